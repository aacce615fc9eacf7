// Shaping the statistics reports (GET /api/v1/stats/<report>) for the charts and filters.
// Reports run over whole UTC days, so the day rollups answer them.

export type ReportName =
  | 'inbound'
  | 'outbound'
  | 'fallbacks'
  | 'errors'
  | 'latency'
  | 'follower_growth'
  | 'commands'
  | 'mass_reach'
export type ReportRow = Record<string, unknown>

export const REPORTS: ReportName[] = ['inbound', 'outbound', 'fallbacks', 'errors', 'latency', 'follower_growth', 'commands', 'mass_reach']

/** How each report is charted per day: split into series by `split`, plotting `value`. */
export const CHARTED: Record<ReportName, { split: string; value: string; sum: boolean }> = {
  inbound: { split: 'kind', value: 'count', sum: true },
  outbound: { split: 'outcome', value: 'count', sum: true },
  fallbacks: { split: 'channel', value: 'count', sum: true },
  errors: { split: 'errcode', value: 'count', sum: true },
  // percentiles do not add up across accounts: the worst one is charted
  latency: { split: 'outcome', value: 'p99_ms', sum: false },
  // the advanced reports are per day already: their rows carry `day`, not `bucket`
  follower_growth: { split: 'scene', value: 'net', sum: true },
  commands: { split: 'command', value: 'count', sum: true },
  mass_reach: { split: 'account', value: 'sent', sum: true },
}

/** The UTC day a row counts for: a series row's `bucket`, or a per-day report's `day`. */
export function rowDay(row: ReportRow): string {
  return String(row.bucket ?? row.day ?? '').slice(0, 10)
}

/** `YYYY-MM-DD` of a date, in UTC. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10)
}

/** The `n` UTC days ending with `today`'s: [first, last], both inclusive. */
export function lastDays(n: number, today: Date = new Date()): [string, string] {
  const first = new Date(today.getTime() - (n - 1) * 86_400_000)
  return [utcDay(first), utcDay(today)]
}

/** The API's `[since, until)` for whole UTC days `first`..`last` (inclusive). */
export function dayRange(first: string, last: string): { since: string; until: string } {
  const until = new Date(`${last}T00:00:00Z`)
  until.setUTCDate(until.getUTCDate() + 1)
  return { since: `${first}T00:00:00Z`, until: until.toISOString().replace('.000Z', 'Z') }
}

/** Every UTC day `first`..`last`. */
export function daysOf(first: string, last: string): string[] {
  const days: string[] = []
  for (let at = new Date(`${first}T00:00:00Z`); utcDay(at) <= last; at.setUTCDate(at.getUTCDate() + 1)) days.push(utcDay(at))
  return days
}

export interface Series {
  name: string
  data: number[]
}

/** Rows of a `series=true` report as one series per `split` value over `days` (missing days: 0). */
export function seriesByDay(rows: ReportRow[], days: string[], split: string, value: string, sum = true): Series[] {
  const index = new Map(days.map((day, i) => [day, i]))
  const series = new Map<string, number[]>()
  for (const row of rows) {
    const day = index.get(rowDay(row))
    if (day === undefined) continue
    const name = String(row[split] ?? '') || '—'
    const data = series.get(name) ?? days.map(() => 0)
    const n = Number(row[value] ?? 0)
    data[day] = sum ? data[day]! + n : Math.max(data[day]!, n)
    series.set(name, data)
  }
  return [...series.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([name, data]) => ({ name, data }))
}

/** Sum of `value` over the rows of one UTC day. */
export function dayTotal(rows: ReportRow[], day: string, value = 'count'): number {
  return rows.filter((r) => rowDay(r) === day).reduce((n, r) => n + Number(r[value] ?? 0), 0)
}

/** Sum of `value` per day over `days`. */
export function dailyTotals(rows: ReportRow[], days: string[], value = 'count'): number[] {
  return days.map((day) => dayTotal(rows, day, value))
}
