// Checks of the WeCom settings form that the console makes before asking the server (which
// checks the same things again and has the last word).

// WeCom's limit for a text message, counted in characters (code points) like the server does.
export const WELCOME_TEXT_MAX = 4000

// runeCount counts code points, so an emoji counts as one character as on the server.
export function runeCount(value) {
  return Array.from(value || '').length
}

// apiBaseURLProblem returns '' when the value is acceptable (empty means the official API),
// 'invalid' when it is not an http(s) URL with a host, and 'slash' when its path does not end
// with "/" (the server appends method names such as gettoken to it).
export function apiBaseURLProblem(value) {
  const v = (value || '').trim()
  if (v === '') return ''
  let u
  try {
    u = new URL(v)
  } catch {
    return 'invalid'
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.host) return 'invalid'
  const path = v.replace(/[?#].*$/, '')
  return path.endsWith('/') ? '' : 'slash'
}
