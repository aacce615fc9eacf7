import { describe, expect, it } from 'vitest'
import { ApiClient, ApiError } from '../src/api/client'

class MemoryStorage {
  data = new Map<string, string>()
  getItem(k: string) { return this.data.get(k) ?? null }
  setItem(k: string, v: string) { this.data.set(k, v) }
  removeItem(k: string) { this.data.delete(k) }
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })

describe('ApiClient', () => {
  it('refreshes an expired access token once and retries the call', async () => {
    const calls: string[] = []
    const fetcher = async (url: RequestInfo | URL, init?: RequestInit) => {
      const path = new URL(String(url)).pathname
      const auth = (init?.headers as Record<string, string>)?.Authorization ?? ''
      calls.push(`${path} ${auth}`)
      if (path === '/api/v1/auth/refresh') return json(200, { access_token: 'A2', refresh_token: 'R2', expires_in: 900, token_type: 'bearer' })
      return auth === 'Bearer A2' ? json(200, { ok: true }) : json(401, { code: 'not_authenticated', message: 'expired' })
    }
    const storage = new MemoryStorage()
    const client = new ApiClient('http://admin.test', storage as unknown as Storage, fetcher as typeof fetch)
    client.setTokens({ access_token: 'A1', refresh_token: 'R1', expires_in: 900, token_type: 'bearer' })
    await Promise.all([client.get('/api/v1/a'), client.get('/api/v1/b')])
    expect(calls.filter((c) => c.startsWith('/api/v1/auth/refresh'))).toHaveLength(1)
    expect(JSON.parse(storage.getItem('wxhub.tokens')!)).toEqual({ access: 'A2', refresh: 'R2' })
  })

  it('ends the session when the refresh token is refused', async () => {
    let expired = 0
    const fetcher = async () => json(401, { code: 'not_authenticated', message: 'revoked' })
    const client = new ApiClient('http://admin.test', new MemoryStorage() as unknown as Storage, fetcher as typeof fetch)
    client.setTokens({ access_token: 'A', refresh_token: 'R', expires_in: 1, token_type: 'bearer' })
    client.hooks.onSessionExpired = () => expired++
    await expect(client.get('/api/v1/x')).rejects.toBeInstanceOf(ApiError)
    expect(expired).toBe(1)
    expect(client.loggedIn).toBe(false)
  })

  it('reports a 403 with the API message and field errors on 422', async () => {
    const seen: ApiError[] = []
    const fetcher = async (url: RequestInfo | URL) =>
      String(url).endsWith('/forbidden')
        ? json(403, { code: 'permission_denied', message: "permission 'menu.publish' required" })
        : json(422, { code: 'validation_error', message: 'bad', errors: [{ loc: ['name'], message: 'too long', type: 'limit' }] })
    const client = new ApiClient('http://admin.test', new MemoryStorage() as unknown as Storage, fetcher as typeof fetch)
    client.hooks.onForbidden = (e) => seen.push(e)
    await expect(client.get('/forbidden')).rejects.toMatchObject({ status: 403, code: 'permission_denied' })
    expect(seen[0]?.message).toContain('menu.publish')
    await expect(client.get('/invalid')).rejects.toMatchObject({ status: 422, errors: [{ loc: ['name'] }] })
  })
})
