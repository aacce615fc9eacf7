import { describe, expect, it } from 'vitest'
import { csatAverage, csLabel, dailyTotals, dayRange, dayTotal, daysOf, lastDays, ratingCounts, seriesByDay, worstByDay } from '../src/lib/stats'

const rows = [
  { bucket: '2026-12-05T00:00:00Z', account: 'demo', kind: 'text', outcome: 'answered', count: 3 },
  { bucket: '2026-12-05T00:00:00Z', account: 'sh', kind: 'text', outcome: 'answered', count: 2 },
  { bucket: '2026-12-07T00:00:00Z', account: 'demo', kind: 'event', outcome: 'answered', count: 4 },
  { bucket: '2026-11-01T00:00:00Z', account: 'demo', kind: 'text', outcome: 'answered', count: 99 },
]

describe('day ranges', () => {
  it('covers whole UTC days, the last one included', () => {
    expect(dayRange('2026-12-01', '2026-12-07')).toEqual({ since: '2026-12-01T00:00:00Z', until: '2026-12-08T00:00:00Z' })
    expect(dayRange('2026-12-31', '2026-12-31').until).toBe('2027-01-01T00:00:00Z')
  })
  it('counts back n days including today', () => {
    expect(lastDays(7, new Date('2026-12-07T23:30:00Z'))).toEqual(['2026-12-01', '2026-12-07'])
    expect(daysOf('2026-02-27', '2026-03-01')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01'])
  })
})

describe('series', () => {
  const days = daysOf('2026-12-05', '2026-12-07')
  it('charts per-day reports by their day column', () => {
    const growth = [
      { day: '2026-12-05', account: 'demo', scene: 'qr1', net: 3 },
      { day: '2026-12-07', account: 'sh', scene: 'qr1', net: -1 },
      { day: '2026-12-07', account: 'demo', scene: '', net: 2 },
    ]
    expect(seriesByDay(growth, days, 'scene', 'net')).toEqual([
      { name: '—', data: [0, 0, 2] },
      { name: 'qr1', data: [3, 0, -1] },
    ])
    expect(dayTotal(growth, '2026-12-07', 'net')).toBe(1)
  })
  it('splits by a dimension, sums accounts and fills missing days with 0', () => {
    expect(seriesByDay(rows, days, 'kind', 'count')).toEqual([
      { name: 'event', data: [0, 0, 4] },
      { name: 'text', data: [5, 0, 0] },
    ])
  })
  it('takes the largest value when values do not add up (percentiles)', () => {
    const latency = [
      { bucket: '2026-12-05T00:00:00Z', outcome: 'delivered', p99_ms: 800 },
      { bucket: '2026-12-05T00:00:00Z', outcome: 'delivered', p99_ms: 200 },
    ]
    expect(seriesByDay(latency, days, 'outcome', 'p99_ms', false)).toEqual([{ name: 'delivered', data: [800, 0, 0] }])
  })
  it('totals a day and every day', () => {
    expect(dayTotal(rows, '2026-12-05')).toBe(5)
    expect(dailyTotals(rows, days)).toEqual([5, 0, 4])
  })
})

describe('customer-service supervision', () => {
  const days = daysOf('2026-12-05', '2026-12-06')
  const rows = [
    { bucket: '2026-12-05T00:00:00Z', account: 'demo', group: 'default', agent: '4', agent_name: '客服小王', wait_p90_s: 30, rating_5: 2, rating_3: 0 },
    { bucket: '2026-12-05T00:00:00Z', account: 'demo', group: 'default', agent: '', agent_name: '', wait_p90_s: null, rating_5: 0 },
    { bucket: '2026-12-05T00:00:00Z', account: 'bj', group: 'vip', agent: '7', agent_name: '', wait_p90_s: 120, rating_2: 1 },
  ]
  it('labels a row by its level; queue rows and unnamed agents stay recognisable', () => {
    expect(rows.map((r) => csLabel(r, 'cs_agents'))).toEqual(['客服小王', 'demo · default', '#7'])
    expect(csLabel(rows[0]!, 'cs_groups')).toBe('demo · default')
    expect(csLabel(rows[0]!, 'cs_accounts')).toBe('demo')
  })
  it('charts the worst percentile of a day, nothing on a day without one', () => {
    expect(worstByDay(rows, days, 'wait_p90_s')).toEqual([120, null])
  })
  it('sums the rating distribution and averages it', () => {
    expect(ratingCounts(rows)).toEqual([0, 1, 0, 0, 2])
    expect(csatAverage(rows)).toBe(4)
    expect(csatAverage([])).toBeNull()
  })
})
