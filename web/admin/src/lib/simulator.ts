// Turning the simulator's replies and the follower's inbox into chat bubbles.
import type { InboxItem, SimulatorResult } from '../api/types'

export interface Bubble {
  from: 'user' | 'account'
  /** passive | custom | template | mass | user | error */
  source: string
  text: string
  image?: string
  articles?: { title: string; description?: string; url?: string; picurl?: string }[]
  at: number
  key: string
}

type Fields = Record<string, unknown>

function asArray(value: unknown): Fields[] {
  if (Array.isArray(value)) return value as Fields[]
  return value && typeof value === 'object' ? [value as Fields] : []
}

/** The passive reply (WeChat reply XML fields) as a bubble; null when the gateway sent none. */
export function replyBubble(result: SimulatorResult, at: number): Bubble | null {
  const reply = result.reply as Fields | null
  if (!reply) return null
  const base = { from: 'account' as const, source: 'passive', at, key: `p${at}` }
  switch (reply.MsgType) {
    case 'text':
      return { ...base, text: String(reply.Content ?? '') }
    case 'news': {
      const items = asArray((reply.Articles as Fields | undefined)?.item)
      return {
        ...base,
        text: '',
        articles: items.map((a) => ({ title: String(a.Title ?? ''), description: String(a.Description ?? ''), url: String(a.Url ?? ''), picurl: String(a.PicUrl ?? '') })),
      }
    }
    case 'image':
      return { ...base, text: `[image ${String((reply.Image as Fields | undefined)?.MediaId ?? '')}]` }
    default:
      return { ...base, text: `[${String(reply.MsgType)}] ${JSON.stringify(reply)}` }
  }
}

/** A message the platform sent later (customer-service, template, mass) as a bubble. */
export function inboxBubble(item: InboxItem): Bubble {
  const body = item.body as Fields
  const base = { from: 'account' as const, source: item.kind, at: item.at * 1000, key: `i${item.msgid}` }
  if (item.kind === 'template') {
    const data = (body.data ?? {}) as Record<string, { value?: unknown }>
    const lines = Object.entries(data).map(([k, v]) => `${k}: ${String(v?.value ?? '')}`)
    return { ...base, text: [`${String(body.template_id ?? '')}`, ...lines].join('\n') }
  }
  const msgtype = String(body.msgtype ?? '')
  const payload = (body[msgtype] ?? {}) as Fields
  if (msgtype === 'text') return { ...base, text: String(payload.content ?? '') }
  if (msgtype === 'news') {
    return { ...base, text: '', articles: asArray(payload.articles).map((a) => ({ title: String(a.title ?? ''), description: String(a.description ?? ''), url: String(a.url ?? ''), picurl: String(a.picurl ?? '') })) }
  }
  if (msgtype === 'image') return { ...base, text: `[image ${String(payload.media_id ?? '')}]` }
  return { ...base, text: `[${msgtype}] ${JSON.stringify(payload)}` }
}

/** Top-level and sub-buttons of a read-back menu (`{menu: {button: [...]}}`). */
export interface MenuButton {
  name: string
  type?: string
  key?: string
  url?: string
  sub_button?: MenuButton[]
}

export function menuButtons(readBack: Record<string, unknown>): MenuButton[] {
  const menu = readBack.menu as { button?: MenuButton[] } | undefined
  return (menu?.button ?? []).map((b) => ({ ...b, sub_button: Array.isArray(b.sub_button) ? b.sub_button : ((b.sub_button as { list?: MenuButton[] } | undefined)?.list ?? []) }))
}
