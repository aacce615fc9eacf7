// One HTTP client for the admin API: bearer tokens, silent refresh on 401, typed errors.
import type { TokenRead } from './types'

/** One problem of a 422 answer: where (`["audience", "audience_id"]`, body fields without a
 * `body` prefix), what, and its machine-readable type. */
export interface FieldProblem {
  loc: (string | number)[]
  message: string
  type?: string
}

/** A problem's location as one dotted name (`audience.audience_id`, `file.line.3`). */
export function locName(problem: FieldProblem): string {
  return problem.loc.map(String).join('.')
}

/** An error answer of the API: `{"code", "message", "errors"?}` (see the API's description). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldProblem[] = [],
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

const STORAGE_KEY = 'wxhub.tokens'

interface StoredTokens {
  access: string
  refresh: string
}

export interface ClientHooks {
  /** The refresh token was refused too: the login session is over. */
  onSessionExpired?: () => void
  /** The API said 403: the caller lacks a permission. */
  onForbidden?: (error: ApiError) => void
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | null | undefined>
  json?: unknown
  form?: FormData | URLSearchParams
  body?: Blob | ArrayBuffer
  headers?: Record<string, string>
  /** Answer as a Blob (CSV exports, material files) instead of JSON. */
  blob?: boolean
  /** Do not report a 403 through the global hook (the caller shows it itself). */
  quietForbidden?: boolean
}

export class ApiClient {
  private tokens: StoredTokens | null
  private refreshing: Promise<boolean> | null = null
  hooks: ClientHooks = {}

  constructor(
    private readonly base = '',
    private readonly storage: Storage | null = typeof localStorage === 'undefined' ? null : localStorage,
    private readonly fetcher: typeof fetch = (...args) => fetch(...args),
  ) {
    const raw = this.storage?.getItem(STORAGE_KEY)
    this.tokens = raw ? (JSON.parse(raw) as StoredTokens) : null
  }

  get loggedIn(): boolean {
    return this.tokens !== null
  }

  /** The current access token (the console socket sends it as `?token=`). */
  get accessToken(): string | null {
    return this.tokens?.access ?? null
  }

  setTokens(tokens: TokenRead | null): void {
    this.tokens = tokens ? { access: tokens.access_token, refresh: tokens.refresh_token } : null
    if (this.tokens) this.storage?.setItem(STORAGE_KEY, JSON.stringify(this.tokens))
    else this.storage?.removeItem(STORAGE_KEY)
  }

  async login(username: string, password: string): Promise<TokenRead> {
    const form = new URLSearchParams({ username, password, grant_type: 'password' })
    const tokens = await this.request<TokenRead>('POST', '/api/v1/auth/login', { form }, false)
    this.setTokens(tokens)
    return tokens
  }

  async logout(): Promise<void> {
    try {
      if (this.tokens) await this.request('POST', '/api/v1/auth/logout')
    } finally {
      this.setTokens(null)
    }
  }

  get<T>(path: string, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options)
  }

  post<T>(path: string, json?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, json })
  }

  put<T>(path: string, json?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...options, json })
  }

  patch<T>(path: string, json?: unknown, options: RequestOptions = {}): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, json })
  }

  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path)
  }

  async request<T>(method: string, path: string, options: RequestOptions = {}, retry = true): Promise<T> {
    const response = await this.send(method, path, options)
    if (response.status === 401 && retry && this.tokens) {
      if (await this.refresh()) return this.request<T>(method, path, options, false)
      this.setTokens(null)
      this.hooks.onSessionExpired?.()
    }
    if (!response.ok) {
      const error = await toError(response)
      if (error.status === 403 && !options.quietForbidden) this.hooks.onForbidden?.(error)
      throw error
    }
    if (options.blob) return (await response.blob()) as T
    if (response.status === 204) return undefined as T
    const text = await response.text()
    return (text ? JSON.parse(text) : undefined) as T
  }

  /** Exchange the refresh token once for everyone waiting (tokens rotate on every use). */
  private refresh(): Promise<boolean> {
    if (!this.refreshing) {
      const token = this.tokens?.refresh
      this.refreshing = (async () => {
        if (!token) return false
        const response = await this.send('POST', '/api/v1/auth/refresh', { json: { refresh_token: token } }, false)
        if (!response.ok) return false
        this.setTokens((await response.json()) as TokenRead)
        return true
      })().finally(() => {
        this.refreshing = null
      })
    }
    return this.refreshing
  }

  private send(method: string, path: string, options: RequestOptions, auth = true): Promise<Response> {
    const url = new URL(this.base + path, this.base || globalThis.location?.origin || 'http://localhost')
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value))
    }
    const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
    let body: BodyInit | undefined
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json'
      body = JSON.stringify(options.json)
    } else if (options.form) {
      body = options.form
    } else if (options.body) {
      body = options.body
    }
    if (auth && this.tokens) headers.Authorization = `Bearer ${this.tokens.access}`
    return this.fetcher(url.toString(), { method, headers, body })
  }
}

async function toError(response: Response): Promise<ApiError> {
  let payload: Record<string, unknown> = {}
  try {
    payload = (await response.json()) as Record<string, unknown>
  } catch {
    // not JSON (a proxy's error page): keep the status line
  }
  const { code, message, errors, ...details } = payload
  return new ApiError(
    response.status,
    typeof code === 'string' ? code : `http_${response.status}`,
    typeof message === 'string' ? message : response.statusText,
    Array.isArray(errors) ? (errors as FieldProblem[]) : [],
    details,
  )
}

export const api = new ApiClient()
