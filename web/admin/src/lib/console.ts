// The agent console's pure parts: WeChat's 48-hour window and the socket's feed.

/** WeChat accepts customer-service messages for 48 h after the customer's last message. */
export const WINDOW_MS = 48 * 3600 * 1000

/** Milliseconds left in the window opened at `lastCustomerAt` (never negative). */
export function windowLeftMs(lastCustomerAt: string, now: number): number {
  return Math.max(0, Date.parse(lastCustomerAt) + WINDOW_MS - now)
}

/** `47:59:05` for a duration in milliseconds. */
export function formatCountdown(ms: number): string {
  const total = Math.floor(ms / 1000)
  const hours = Math.floor(total / 3600)
  const minutes = Math.floor((total % 3600) / 60)
  const seconds = total % 60
  return [hours, minutes, seconds].map((n) => String(n).padStart(2, '0')).join(':')
}

/** One frame of `/api/v1/cs/ws`. */
export type ConsoleFrame =
  | { type: 'feed'; id: number; kind: string; session_id: number; payload: Record<string, unknown>; at: string }
  | { type: 'queue'; groups: Record<string, number> }
  | { type: 'hello'; cursor: number; agent_id: number; queue: Record<string, number> }
  | { type: 'ping' }
  | { type: 'pong' }

/**
 * Tracks the resume cursor (the highest feed id seen) and the items seen: an item at or below the
 * cursor the page started from, or one seen already, is dropped. Live pushes come in commit order,
 * which is not always id order, so a lower id not seen yet is new.
 */
export class FeedCursor {
  private readonly seen = new Set<number>()
  private readonly floor: number

  constructor(public value = 0) {
    this.floor = value
  }

  /** Whether `frame` is new; advances the cursor when it is. */
  accept(frame: ConsoleFrame): boolean {
    if (frame.type !== 'feed') return true
    if (frame.id <= this.floor || this.seen.has(frame.id)) return false
    this.seen.add(frame.id)
    this.value = Math.max(this.value, frame.id)
    return true
  }
}

/** The socket's URL for the page at `location`, resuming after `cursor`. */
export function socketUrl(location: { protocol: string; host: string }, token: string, cursor: number): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/api/v1/cs/ws?token=${encodeURIComponent(token)}&cursor=${cursor}`
}
