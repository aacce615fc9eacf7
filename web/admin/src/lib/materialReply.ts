// The `params` of the `material` handler (a reply from the material library), kept as the JSON
// text the command and menu-action forms edit. Mirrors MaterialReplyParams in the admin API
// (services/admin_api/api/routes/commands.py), which refuses keys it does not know.

export type ReplyType = 'text' | 'image' | 'voice' | 'video' | 'music' | 'news'

/** Reply type → the kind of material it is made from (music: its cover image). */
export const REPLY_MATERIAL_KIND: Record<ReplyType, string> = {
  text: 'text', image: 'image', voice: 'voice', video: 'video', music: 'image', news: 'news',
}

export const REPLY_TYPES = Object.keys(REPLY_MATERIAL_KIND) as ReplyType[]

/** Keys besides reply_type and material_id that each reply type takes. */
const EXTRA_KEYS: Record<ReplyType, string[]> = {
  text: [], image: [], voice: [], news: [],
  video: ['title', 'description'],
  music: ['title', 'description', 'music_url', 'hq_music_url'],
}

export interface MaterialReply {
  reply_type: ReplyType | null
  material_id: number | null
}

function parse(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text)
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** What the params text names today (nulls where it names nothing usable). */
export function readMaterialReply(text: string): MaterialReply {
  const params = parse(text)
  const type = params.reply_type
  const id = params.material_id
  return {
    reply_type: typeof type === 'string' && type in REPLY_MATERIAL_KIND ? (type as ReplyType) : null,
    material_id: typeof id === 'number' && Number.isInteger(id) && id > 0 ? id : null,
  }
}

/** The params text naming `reply`, keeping the extra keys its reply type takes and dropping
 *  the rest (e.g. the `content` of a text handler the form started from). */
export function writeMaterialReply(text: string, reply: MaterialReply): string {
  const params = parse(text)
  const next: Record<string, unknown> = {}
  if (reply.reply_type) next.reply_type = reply.reply_type
  if (reply.material_id) next.material_id = reply.material_id
  for (const key of reply.reply_type ? EXTRA_KEYS[reply.reply_type] : []) {
    next[key] = typeof params[key] === 'string' ? params[key] : ''
  }
  return JSON.stringify(next, null, 2)
}
