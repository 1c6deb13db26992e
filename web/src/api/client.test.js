import { describe, it, expect, vi } from 'vitest'
import { ApiError, createClient, errorFromResponse, fieldMessages } from './client.js'

// fakeFetch answers every call with one response and records the calls.
function fakeFetch(status, body, headers = {}) {
  const calls = []
  const fn = async (url, init) => {
    calls.push({ url, init })
    const text = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body)
    const h = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]))
    return {
      status,
      ok: status >= 200 && status < 300,
      headers: { get: (k) => h.get(k.toLowerCase()) ?? null },
      text: async () => text,
    }
  }
  fn.calls = calls
  return fn
}

describe('errorFromResponse', () => {
  it('maps the documented error shape', () => {
    const err = errorFromResponse(400, {
      error: {
        code: 'invalid',
        message: '请检查输入',
        fields: { name: '不能为空', mobile: '已被占用' },
        field_codes: { name: 'required', mobile: 'taken' },
        request_id: 'r-1',
      },
    })
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toBeInstanceOf(Error)
    expect(err.status).toBe(400)
    expect(err.code).toBe('invalid')
    expect(err.message).toBe('请检查输入')
    expect(err.fields).toEqual({ name: '不能为空', mobile: '已被占用' })
    expect(err.fieldCodes).toEqual({ name: 'required', mobile: 'taken' })
    expect(err.requestId).toBe('r-1')
    expect(err.hasFieldErrors).toBe(true)
  })

  it('falls back to a code from the status when the body is not the error shape', () => {
    expect(errorFromResponse(409, null).code).toBe('conflict')
    expect(errorFromResponse(429, '<html>').code).toBe('locked')
    expect(errorFromResponse(502, { oops: 1 }).code).toBe('internal')
    const err = errorFromResponse(404, { error: { fields: ['x'], field_codes: null } }, 'hdr-id')
    expect(err.code).toBe('not_found')
    expect(err.fields).toEqual({})
    expect(err.fieldCodes).toEqual({})
    expect(err.requestId).toBe('hdr-id')
    expect(err.hasFieldErrors).toBe(false)
  })
})

describe('fieldMessages', () => {
  it('prefers server messages and translates fields named only by code', () => {
    const err = new ApiError({
      code: 'invalid',
      fields: { name: '不能为空' },
      fieldCodes: { name: 'required', wecom_userid: 'taken' },
    })
    expect(fieldMessages(err, (c) => `T:${c}`)).toEqual({ name: '不能为空', wecom_userid: 'T:taken' })
  })

  it('returns nothing for other errors', () => {
    expect(fieldMessages(new Error('x'))).toEqual({})
  })
})

describe('createClient', () => {
  it('sends JSON, Accept-Language and same-origin credentials, and parses the answer', async () => {
    const fetch = fakeFetch(200, { items: [], next_cursor: '' })
    const c = createClient({ fetch, getLocale: () => 'en' })
    const out = await c.get('/api/v1/staff', { q: '张', status: '', org_unit_id: 3, cursor: undefined })
    expect(out).toEqual({ items: [], next_cursor: '' })
    const { url, init } = fetch.calls[0]
    expect(url).toBe('/api/v1/staff?q=%E5%BC%A0&org_unit_id=3')
    expect(init.method).toBe('GET')
    expect(init.credentials).toBe('same-origin')
    expect(init.headers['Accept-Language']).toBe('en')
    expect(init.headers['X-CSRF-Token']).toBeUndefined()
    expect(init.body).toBeUndefined()
  })

  it('sends the CSRF token on state-changing requests only', async () => {
    const fetch = fakeFetch(201, { id: 7 })
    const c = createClient({ fetch })
    c.setCsrfToken('tok')
    await c.post('/api/v1/org-units', { parent_id: 1, name: 'x', kind: 'store' })
    await c.get('/api/v1/org-units')
    await c.patch('/api/v1/org-units/7', { name: 'y' })
    await c.del('/api/v1/org-units/7')
    const [post, get, patch, del] = fetch.calls.map((x) => x.init)
    expect(post.headers['X-CSRF-Token']).toBe('tok')
    expect(post.headers['Content-Type']).toBe('application/json')
    expect(JSON.parse(post.body)).toEqual({ parent_id: 1, name: 'x', kind: 'store' })
    expect(get.headers['X-CSRF-Token']).toBeUndefined()
    expect(patch.headers['X-CSRF-Token']).toBe('tok')
    expect(del.method).toBe('DELETE')
    expect(del.headers['X-CSRF-Token']).toBe('tok')
  })

  it('returns null for 204', async () => {
    const c = createClient({ fetch: fakeFetch(204) })
    expect(await c.del('/api/v1/org-units/3')).toBeNull()
  })

  it('throws an ApiError with per-field messages', async () => {
    const body = {
      error: { code: 'conflict', message: '该组织下还有员工', fields: {}, field_codes: {}, request_id: 'abc' },
    }
    const c = createClient({ fetch: fakeFetch(409, body) })
    const err = await c.del('/api/v1/org-units/3').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(409)
    expect(err.code).toBe('conflict')
    expect(err.message).toBe('该组织下还有员工')

    const invalid = { error: { code: 'invalid', message: 'bad', fields: { mobile: 'taken!' }, field_codes: { mobile: 'taken' } } }
    const err2 = await createClient({ fetch: fakeFetch(400, invalid) })
      .post('/api/v1/staff', {})
      .catch((e) => e)
    expect(err2.fields).toEqual({ mobile: 'taken!' })
    expect(err2.fieldCodes).toEqual({ mobile: 'taken' })
  })

  it('calls the 401 handler unless the call opts out', async () => {
    const onUnauthorized = vi.fn()
    const c = createClient({ fetch: fakeFetch(401, { error: { code: 'unauthorized', message: '请先登录' } }), onUnauthorized })
    await expect(c.get('/api/v1/org-units')).rejects.toMatchObject({ status: 401, code: 'unauthorized' })
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    await expect(c.post('/api/v1/auth/login', {}, { noAuthRedirect: true })).rejects.toMatchObject({ status: 401 })
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
  })

  it('reports Retry-After on 429', async () => {
    const c = createClient({ fetch: fakeFetch(429, { error: { code: 'locked', message: '稍后再试' } }, { 'Retry-After': '60' }) })
    const err = await c.post('/api/v1/auth/login', {}).catch((e) => e)
    expect(err.code).toBe('locked')
    expect(err.retryAfter).toBe(60)
  })

  it('turns a failed fetch into a network ApiError', async () => {
    const c = createClient({
      fetch: async () => {
        throw new TypeError('Failed to fetch')
      },
    })
    const err = await c.get('/api/v1/auth/me').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('network')
    expect(err.status).toBe(0)
  })
})
