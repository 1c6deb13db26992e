// formatTime shows an RFC 3339 time in the browser's time zone, in the console's language.
export function formatTime(value, locale) {
  if (!value) return ''
  const d = new Date(value)
  if (Number.isNaN(d.getTime())) return String(value)
  return new Intl.DateTimeFormat(locale, {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(d)
}

// formatMobile shows a mainland number stored as E.164 (+8613812345678) the way people
// write it (13812345678); other numbers, and masked ones, are shown as they are.
export function formatMobile(value) {
  if (!value) return ''
  const m = /^\+86(1\d{10})$/.exec(value)
  return m ? m[1] : value
}
