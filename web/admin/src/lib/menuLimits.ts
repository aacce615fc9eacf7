// WeChat's custom-menu limits (WECHAT_PROTOCOL.md §8.5), checked in the editor as one types.
// The admin API checks the same rules again (services/admin_api/menus.py) before publishing.
import { byteLength } from './resource'

export const MAX_TOP = 3
export const MAX_SUB = 5
export const TOP_NAME_BYTES = 16
export const SUB_NAME_BYTES = 60
export const KEY_BYTES = 128
export const URL_BYTES = 1024
export const EDITABLE_TYPES = ['click', 'view', 'location_select', 'scancode_push', 'pic_photo_or_album', 'media_id', 'miniprogram'] as const

export interface EditButton {
  name: string
  type?: string
  key?: string
  url?: string
  media_id?: string
  appid?: string
  pagepath?: string
  sub_button?: EditButton[]
}

export interface LimitProblem {
  /** Path of the offending value, like the API's: `buttons[0].sub_button[1].name`. */
  path: string
  /** i18n key and its parameters. */
  key: string
  params?: Record<string, number | string>
}

const CLICK_LIKE = new Set(['click', 'scancode_push', 'scancode_waitmsg', 'pic_sysphoto', 'pic_photo_or_album', 'pic_weixin', 'location_select'])

function checkAction(button: EditButton, where: string, out: LimitProblem[]): void {
  const type = button.type ?? ''
  if (!type) {
    out.push({ path: `${where}.type`, key: 'menus.limit.type' })
    return
  }
  const keyBytes = byteLength(button.key ?? '')
  if (CLICK_LIKE.has(type) && (keyBytes < 1 || keyBytes > KEY_BYTES)) {
    out.push({ path: `${where}.key`, key: 'menus.limit.key', params: { max: KEY_BYTES, n: keyBytes } })
  }
  if (type === 'view' || type === 'miniprogram') {
    const url = button.url ?? ''
    if (byteLength(url) < 1 || byteLength(url) > URL_BYTES) out.push({ path: `${where}.url`, key: 'menus.limit.url', params: { max: URL_BYTES } })
    else if (!/^https?:\/\//.test(url)) out.push({ path: `${where}.url`, key: 'menus.limit.scheme' })
  }
  if (type === 'miniprogram' && !(button.appid && button.pagepath)) out.push({ path: where, key: 'menus.limit.miniprogram' })
  if (type === 'media_id' && !button.media_id) out.push({ path: `${where}.media_id`, key: 'menus.limit.mediaId' })
}

/** Every rule the menu breaks (empty when WeChat would accept it). */
export function menuProblems(buttons: EditButton[]): LimitProblem[] {
  const out: LimitProblem[] = []
  if (buttons.length < 1 || buttons.length > MAX_TOP) out.push({ path: 'buttons', key: 'menus.limit.top', params: { max: MAX_TOP } })
  buttons.forEach((button, i) => {
    const where = `buttons[${i}]`
    const n = byteLength(button.name)
    if (n < 1 || n > TOP_NAME_BYTES) out.push({ path: `${where}.name`, key: 'menus.limit.name', params: { max: TOP_NAME_BYTES, n } })
    const subs = button.sub_button ?? []
    if (!subs.length) {
      checkAction(button, where, out)
      return
    }
    if (subs.length > MAX_SUB) out.push({ path: `${where}.sub_button`, key: 'menus.limit.sub', params: { max: MAX_SUB } })
    subs.forEach((sub, j) => {
      const subWhere = `${where}.sub_button[${j}]`
      const m = byteLength(sub.name)
      if (m < 1 || m > SUB_NAME_BYTES) out.push({ path: `${subWhere}.name`, key: 'menus.limit.name', params: { max: SUB_NAME_BYTES, n: m } })
      checkAction(sub, subWhere, out)
    })
  })
  return out
}

/** The buttons as the API wants them: a group keeps only name + sub_button, empty fields dropped. */
export function toApiButtons(buttons: EditButton[]): EditButton[] {
  const clean = (b: EditButton): EditButton => {
    const out: EditButton = { name: b.name }
    for (const k of ['type', 'key', 'url', 'media_id', 'appid', 'pagepath'] as const) if (b[k]) out[k] = b[k]
    return out
  }
  return buttons.map((b) => (b.sub_button?.length ? { name: b.name, sub_button: b.sub_button.map(clean) } : clean(b)))
}
