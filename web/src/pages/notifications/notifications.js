// Logic of the notification bell and page, kept out of the components so it can be
// unit-tested. Values follow GET /api/v1/notifications.

// How often the bell asks for the unread count.
export const BELL_POLL_MS = 60000
// How many notifications the bell's popover shows.
export const BELL_SIZE = 5

// badgeValue is what the bell's badge shows: nothing for 0, the number up to 99, then "99+".
export function badgeValue(unread) {
  const n = Number(unread) || 0
  if (n <= 0) return ''
  return n > 99 ? '99+' : String(n)
}

// parseData reads a notification's data (an object, or JSON text from older answers).
export function parseData(data) {
  if (data && typeof data === 'object') return data
  if (typeof data === 'string' && data) {
    try {
      const v = JSON.parse(data)
      return v && typeof v === 'object' ? v : {}
    } catch {
      return {}
    }
  }
  return {}
}

// noteText returns the title and body of a notification in the reader's language: known kinds
// have texts in the locale (notifications.kinds.<kind>.title/body, filled from data); others
// show the title and body the server stored.
export function noteText(note, t, te) {
  const key = `notifications.kinds.${note && note.kind}`
  if (note && te(`${key}.title`)) {
    const data = parseData(note.data)
    return { title: t(`${key}.title`, data), body: t(`${key}.body`, data) }
  }
  return { title: (note && note.title) || '', body: (note && note.body) || '' }
}

// markRead returns the list with one notification read (at `at`) and the unread count
// lowered when it was unread, without touching the original objects.
export function markRead(state, id, at = new Date().toISOString()) {
  const items = Array.isArray(state && state.items) ? state.items : []
  let unread = Number(state && state.unread) || 0
  const next = items.map((n) => {
    if (n.id !== id || n.read_at) return n
    unread = Math.max(0, unread - 1)
    return { ...n, read_at: at }
  })
  return { ...state, items: next, unread }
}

// markAllRead returns the list with everything read and no unread count.
export function markAllRead(state, at = new Date().toISOString()) {
  const items = Array.isArray(state && state.items) ? state.items : []
  return { ...state, items: items.map((n) => (n.read_at ? n : { ...n, read_at: at })), unread: 0 }
}

// linkOf turns a notification's link into a console route path (only paths inside the
// console; anything else is ignored).
export function linkOf(note) {
  const l = note && note.link
  return typeof l === 'string' && /^\/(?!\/)[A-Za-z0-9/_-]*$/.test(l) ? l : ''
}
