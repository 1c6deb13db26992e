// The one HTTP client of the console. It speaks the conventions of docs/api.md:
// JSON in and out, the session cookie, X-CSRF-Token on state-changing requests,
// Accept-Language on every request, and the error shape
// {"error":{code,message,fields,field_codes,request_id}} turned into an ApiError.

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS'])

// ApiError is what every failed call throws. fields maps a request field name to a
// message the server wrote in the caller's language; fieldCodes maps it to a stable
// code (required, too_long, invalid, not_found, taken, not_allowed).
export class ApiError extends Error {
  constructor({ status = 0, code = 'internal', message = '', fields = {}, fieldCodes = {}, requestId = '' } = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields
    this.fieldCodes = fieldCodes
    this.requestId = requestId
  }

  // hasFieldErrors reports whether the error names at least one bad field.
  get hasFieldErrors() {
    return Object.keys(this.fields).length > 0 || Object.keys(this.fieldCodes).length > 0
  }
}

const CODE_BY_STATUS = {
  400: 'invalid',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  429: 'locked',
}

function plainObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? v : {}
}

function stringValues(obj) {
  const out = {}
  for (const [k, v] of Object.entries(plainObject(obj))) {
    if (v !== null && v !== undefined && v !== '') out[k] = String(v)
  }
  return out
}

// errorFromResponse builds an ApiError from a status and a parsed body (which may be
// anything, because a proxy in front of the server may answer with HTML or nothing).
export function errorFromResponse(status, body, requestId = '') {
  const e = plainObject(plainObject(body).error)
  const code = typeof e.code === 'string' && e.code ? e.code : CODE_BY_STATUS[status] || 'internal'
  return new ApiError({
    status,
    code,
    message: typeof e.message === 'string' ? e.message : '',
    fields: stringValues(e.fields),
    fieldCodes: stringValues(e.field_codes),
    requestId: (typeof e.request_id === 'string' && e.request_id) || requestId || '',
  })
}

// fieldMessages returns field → message for a form. A field the server named only by
// code gets the message translate(code) (for example an i18n lookup).
export function fieldMessages(err, translate = (code) => code) {
  if (!(err instanceof ApiError)) return {}
  const out = { ...err.fields }
  for (const [field, code] of Object.entries(err.fieldCodes)) {
    if (!out[field]) out[field] = translate(code)
  }
  return out
}

function buildQuery(query) {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null || v === '') continue
    params.append(k, String(v))
  }
  const s = params.toString()
  return s ? `?${s}` : ''
}

// createClient makes a client. Options:
//   fetch           the fetch implementation (default: globalThis.fetch)
//   baseURL         prefix for paths (default '')
//   getLocale       () => the Accept-Language value
//   onUnauthorized  (err) => void, called on a 401 unless the call opts out
export function createClient(options = {}) {
  const state = {
    csrfToken: '',
    fetch: options.fetch || ((...args) => globalThis.fetch(...args)),
    baseURL: options.baseURL || '',
    getLocale: options.getLocale || (() => 'zh-CN'),
    onUnauthorized: options.onUnauthorized || null,
  }

  async function request(method, path, { query, body, noAuthRedirect = false } = {}) {
    method = method.toUpperCase()
    const headers = {
      Accept: 'application/json',
      'Accept-Language': state.getLocale(),
    }
    const init = { method, headers, credentials: 'same-origin' }
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json'
      init.body = JSON.stringify(body)
    }
    if (!SAFE_METHODS.has(method) && state.csrfToken) {
      headers['X-CSRF-Token'] = state.csrfToken
    }

    let res
    try {
      res = await state.fetch(state.baseURL + path + buildQuery(query), init)
    } catch (cause) {
      const err = new ApiError({ status: 0, code: 'network', message: '' })
      err.cause = cause
      throw err
    }

    const requestId = (res.headers && res.headers.get && res.headers.get('X-Request-Id')) || ''
    let data = null
    if (res.status !== 204) {
      const text = await res.text()
      if (text) {
        try {
          data = JSON.parse(text)
        } catch {
          data = null
        }
      }
    }

    if (!res.ok) {
      const err = errorFromResponse(res.status, data, requestId)
      if (res.status === 429 && res.headers && res.headers.get) {
        const retry = Number(res.headers.get('Retry-After'))
        if (Number.isFinite(retry) && retry > 0) err.retryAfter = retry
      }
      if (res.status === 401 && !noAuthRedirect && state.onUnauthorized) {
        state.onUnauthorized(err)
      }
      throw err
    }
    return data
  }

  return {
    request,
    get: (path, query, opts) => request('GET', path, { ...opts, query }),
    post: (path, body, opts) => request('POST', path, { ...opts, body }),
    put: (path, body, opts) => request('PUT', path, { ...opts, body }),
    patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
    del: (path, opts) => request('DELETE', path, opts),
    setCsrfToken(token) {
      state.csrfToken = token || ''
    },
    get csrfToken() {
      return state.csrfToken
    },
    setLocaleGetter(fn) {
      state.getLocale = fn
    },
    setUnauthorizedHandler(fn) {
      state.onUnauthorized = fn
    },
  }
}
