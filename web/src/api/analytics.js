// The value reports (docs/api.md, "Analytics"): channel ROI, funnels, retention cohorts and the
// repurchase rhythm. Each answers JSON, or a spreadsheet with ?format=xlsx; downloads are not
// JSON, so they use fetch here with the session cookie, the console's language (the sheet's
// headers follow Accept-Language) and the client's error shape.
import { client } from './index.js'
import { errorFromResponse, ApiError } from './client.js'

const V1 = '/api/v1/analytics'

// query of every report: {from: YYYY-MM-DD, to: YYYY-MM-DD} (cohorts: {from: YYYY-MM, months});
// funnel: {from, to, steps: 'scan,added,…'}.
export const analytics = {
  channelROI: (query) => client.get(`${V1}/channel-roi`, query),
  funnel: (query) => client.get(`${V1}/funnel`, query),
  cohorts: (query) => client.get(`${V1}/cohorts`, query),
  repurchase: () => client.get(`${V1}/repurchase`),
}

export const REPORT_PATHS = {
  roi: 'channel-roi',
  funnel: 'funnel',
  cohorts: 'cohorts',
  repurchase: 'repurchase',
}

// fetchReportFile asks for report (a key of REPORT_PATHS) as a spreadsheet; answers
// {blob, disposition}. Failures throw an ApiError like every other call.
export async function fetchReportFile(report, query, locale, fetchImpl = globalThis.fetch) {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue
    params.set(k, String(v))
  }
  params.set('format', 'xlsx')
  let res
  try {
    res = await fetchImpl(`${V1}/${REPORT_PATHS[report]}?${params}`, {
      method: 'GET',
      credentials: 'same-origin',
      headers: { 'Accept-Language': locale || 'zh-CN' },
    })
  } catch (cause) {
    const err = new ApiError({ status: 0, code: 'network' })
    err.cause = cause
    throw err
  }
  const requestId = (res.headers && res.headers.get && res.headers.get('X-Request-Id')) || ''
  if (!res.ok) {
    let body = null
    try {
      body = await res.json()
    } catch {
      body = null
    }
    throw errorFromResponse(res.status, body, requestId)
  }
  return { blob: await res.blob(), disposition: (res.headers && res.headers.get && res.headers.get('Content-Disposition')) || '' }
}
