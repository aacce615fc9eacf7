// The simulator's conversation with one account as one follower (used by the simulator page and
// the commands page's "try it" box).
import { computed, ref, type Ref } from 'vue'
import { api, ApiError } from '../api/client'
import type { InboxItem, SimulatorResult, SimulatorSend } from '../api/types'
import { i18n } from '../i18n'
import { inboxBubble, menuButtons, replyBubble, type Bubble, type MenuButton } from './simulator'

export type SimAction = Omit<Partial<SimulatorSend>, 'openid'> & { kind: SimulatorSend['kind'] }

export function useSimulator(accountId: Ref<number | null>, openid: Ref<string>) {
  const sent = ref<Bubble[]>([])
  const inbox = ref<Bubble[]>([])
  const last = ref<SimulatorResult | null>(null)
  const busy = ref(false)
  const menu = ref<MenuButton[]>([])
  const menuError = ref('')
  const bubbles = computed(() => [...sent.value, ...inbox.value].sort((a, b) => a.at - b.at))
  const base = () => `/api/v1/accounts/${accountId.value}/simulator`
  let seq = 0

  function userText(action: SimAction): string {
    const t = i18n.global.t
    switch (action.kind) {
      case 'text': return action.content ?? ''
      case 'location': return t('simulator.sentLocation', { lat: action.latitude, lng: action.longitude, label: action.label ?? '' })
      case 'image': return action.pic_url ? '' : t('simulator.sentImage', { id: action.media_id })
      case 'click': return t('simulator.sentClick', { key: action.key })
      case 'view': return t('simulator.sentView', { url: action.url })
      case 'subscribe': return t('simulator.sentSubscribe')
      default: return t('simulator.sentUnsubscribe')
    }
  }

  async function send(action: SimAction): Promise<SimulatorResult | null> {
    if (accountId.value === null) return null
    const at = Date.now() + seq++ / 1000
    sent.value.push({ from: 'user', source: 'user', text: userText(action), image: action.kind === 'image' ? action.pic_url || undefined : undefined, at, key: `u${at}` })
    busy.value = true
    try {
      const result = await api.post<SimulatorResult>(`${base()}/send`, { ...action, openid: openid.value })
      last.value = result
      const reply = replyBubble(result, at + 0.0005)
      if (reply) sent.value.push(reply)
      else if (result.status !== 200) sent.value.push({ from: 'account', source: 'error', text: i18n.global.t('simulator.gatewayStatus', { status: result.status }), at: at + 0.0005, key: `e${at}` })
      return result
    } catch (e) {
      const message = e instanceof ApiError ? e.message : String(e)
      sent.value.push({ from: 'account', source: 'error', text: message, at: at + 0.0005, key: `e${at}` })
      return null
    } finally {
      busy.value = false
    }
  }

  async function loadInbox(): Promise<void> {
    if (accountId.value === null || !openid.value) return
    try {
      const answer = await api.get<{ items: InboxItem[] }>(`${base()}/inbox`, { query: { openid: openid.value }, quietForbidden: true })
      inbox.value = answer.items.map(inboxBubble)
    } catch {
      // production has no sandbox record; the page says so once
    }
  }

  async function loadMenu(): Promise<void> {
    if (accountId.value === null) return
    menuError.value = ''
    try {
      menu.value = menuButtons(await api.get<Record<string, unknown>>(`${base()}/menu`, { quietForbidden: true }))
    } catch (e) {
      menu.value = []
      menuError.value = e instanceof ApiError ? e.message : String(e)
    }
  }

  function clear(): void {
    sent.value = []
    last.value = null
  }

  return { bubbles, last, busy, menu, menuError, send, loadInbox, loadMenu, clear }
}
