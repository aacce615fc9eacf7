// Shaping the statistics reports (GET /api/v1/stats/<report>) for the charts and filters.
// Reports run over whole UTC days, so the day rollups answer them.

export type ReportName =
  | 'inbound'
  | 'outbound'
  | 'fallbacks'
  | 'errors'
  | 'latency'
  | 'funnel'
  | 'clicks'
  | 'follower_growth'
  | 'commands'
  | 'mass_reach'
  | 'click_through'
export type ReportRow = Record<string, unknown>

export const REPORTS: ReportName[] = ['inbound', 'outbound', 'fallbacks', 'errors', 'latency', 'funnel', 'clicks', 'follower_growth', 'commands', 'mass_reach', 'click_through']

/** How each report is charted per day: split into series by `split`, plotting `value`. */
export const CHARTED: Record<ReportName, { split: string; value: string; sum: boolean }> = {
  inbound: { split: 'kind', value: 'count', sum: true },
  outbound: { split: 'outcome', value: 'count', sum: true },
  fallbacks: { split: 'channel', value: 'count', sum: true },
  errors: { split: 'errcode', value: 'count', sum: true },
  // percentiles do not add up across accounts: the worst one is charted
  latency: { split: 'outcome', value: 'p99_ms', sum: false },
  funnel: { split: 'event_type', value: 'accepted', sum: true },
  clicks: { split: 'source', value: 'count', sum: true },
  // the advanced reports are per day already: their rows carry `day`, not `bucket`
  follower_growth: { split: 'scene', value: 'net', sum: true },
  commands: { split: 'command', value: 'count', sum: true },
  mass_reach: { split: 'account', value: 'sent', sum: true },
  // clicks per day by kind of message; the table holds the rates over the whole range
  click_through: { split: 'message', value: 'clicks', sum: true },
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

// Customer-service supervision (R-ST-1): one report per level, rows per account, group or agent.
export type CsLevel = 'cs_accounts' | 'cs_groups' | 'cs_agents'
export const CS_LEVELS: CsLevel[] = ['cs_accounts', 'cs_groups', 'cs_agents']
/** The durations the reports give as p50/p90 seconds (`<name>_p90_s`). */
export const CS_DURATIONS = ['wait', 'first_response', 'session'] as const

/** Who a supervision row is about: the account, `account · group`, or the agent (queue rows: `account · group`). */
export function csLabel(row: ReportRow, level: CsLevel): string {
  const account = String(row.account ?? '')
  if (level === 'cs_accounts') return account
  const group = `${account} · ${String(row.group ?? '')}`
  if (level === 'cs_groups' || !row.agent) return group
  return String(row.agent_name || `#${String(row.agent)}`)
}

/** The largest `column` per day of a `series=true` report (percentiles do not add up: the worst row is charted); null on days without a value. */
export function worstByDay(rows: ReportRow[], days: string[], column: string): (number | null)[] {
  return days.map((day) => {
    const values = rows.filter((r) => rowDay(r) === day && r[column] !== null && r[column] !== undefined).map((r) => Number(r[column]))
    return values.length ? Math.max(...values) : null
  })
}

/** How many ratings of 1..5 the rows hold, in that order. */
export function ratingCounts(rows: ReportRow[]): number[] {
  return [1, 2, 3, 4, 5].map((r) => rows.reduce((n, row) => n + Number(row[`rating_${r}`] ?? 0), 0))
}

/** The average of all ratings the rows hold (null without any). */
export function csatAverage(rows: ReportRow[]): number | null {
  const counts = ratingCounts(rows)
  const total = counts.reduce((a, b) => a + b, 0)
  if (!total) return null
  return Math.round((counts.reduce((sum, n, i) => sum + n * (i + 1), 0) / total) * 100) / 100
}
