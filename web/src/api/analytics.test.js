import { describe, it, expect } from 'vitest'
import { fetchReportFile } from './analytics.js'
import { ApiError } from './client.js'

function headers(map) {
  return { get: (k) => map[k] ?? null }
}

describe('fetchReportFile', () => {
  it('asks for the spreadsheet in the console language with the session cookie', async () => {
    const calls = []
    const fake = async (url, init) => {
      calls.push({ url, init })
      return {
        ok: true,
        status: 200,
        headers: headers({ 'Content-Disposition': 'attachment; filename="funnel-20261123.xlsx"' }),
        blob: async () => 'BLOB',
      }
    }
    const out = await fetchReportFile('funnel', { from: '2026-01-01', to: '', steps: 'scan,added' }, 'en', fake)
    expect(out).toEqual({ blob: 'BLOB', disposition: 'attachment; filename="funnel-20261123.xlsx"' })
    expect(calls).toHaveLength(1)
    expect(calls[0].url).toBe('/api/v1/analytics/funnel?from=2026-01-01&steps=scan%2Cadded&format=xlsx')
    expect(calls[0].init.credentials).toBe('same-origin')
    expect(calls[0].init.headers['Accept-Language']).toBe('en')
  })

  it('turns an error answer into an ApiError', async () => {
    const fake = async () => ({
      ok: false,
      status: 400,
      headers: headers({ 'X-Request-Id': 'r1' }),
      json: async () => ({ error: { code: 'invalid', message: 'bad', fields: { to: 'before' } } }),
    })
    const err = await fetchReportFile('roi', {}, 'zh-CN', fake).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(400)
    expect(err.fields).toEqual({ to: 'before' })
    expect(err.requestId).toBe('r1')
  })

  it('reports a network failure', async () => {
    const err = await fetchReportFile('cohorts', {}, 'zh-CN', async () => {
      throw new TypeError('offline')
    }).catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err.code).toBe('network')
  })
})
