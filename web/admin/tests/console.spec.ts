import { describe, expect, it } from 'vitest'
import { FeedCursor, formatCountdown, socketUrl, windowLeftMs, WINDOW_MS } from '../src/lib/console'

describe('the 48-hour window', () => {
  it('counts down from the customer’s last message and stops at zero', () => {
    const last = '2026-12-07T00:00:00Z'
    const start = Date.parse(last)
    expect(windowLeftMs(last, start)).toBe(WINDOW_MS)
    expect(formatCountdown(windowLeftMs(last, start + 1000))).toBe('47:59:59')
    expect(windowLeftMs(last, start + WINDOW_MS + 5)).toBe(0)
    expect(formatCountdown(0)).toBe('00:00:00')
  })
})

describe('FeedCursor', () => {
  it('drops feed items already seen and keeps other frames', () => {
    const cursor = new FeedCursor(5)
    const item = (id: number) => ({ type: 'feed' as const, id, kind: 'message', session_id: 1, payload: {}, at: '' })
    expect(cursor.accept(item(5))).toBe(false)
    expect(cursor.accept(item(6))).toBe(true)
    expect(cursor.accept(item(6))).toBe(false)
    expect(cursor.accept({ type: 'queue', groups: {} })).toBe(true)
    expect(cursor.value).toBe(6)
  })

  it('keeps a lower id that arrives after a higher one (commit order is not id order)', () => {
    const cursor = new FeedCursor(5)
    const item = (id: number) => ({ type: 'feed' as const, id, kind: 'message', session_id: 1, payload: {}, at: '' })
    expect(cursor.accept(item(8))).toBe(true)
    expect(cursor.accept(item(7))).toBe(true)
    expect(cursor.accept(item(7))).toBe(false)
    expect(cursor.value).toBe(8)
  })
})

describe('socketUrl', () => {
  it('follows the page’s scheme and carries token and cursor', () => {
    expect(socketUrl({ protocol: 'https:', host: 'a.example' }, 't k', 7)).toBe('wss://a.example/api/v1/cs/ws?token=t%20k&cursor=7')
    expect(socketUrl({ protocol: 'http:', host: '127.0.0.1:8081' }, 'x', 0)).toBe('ws://127.0.0.1:8081/api/v1/cs/ws?token=x&cursor=0')
  })
})
