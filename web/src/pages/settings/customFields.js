// Pure logic of custom fields: the definition form and the values a customer's profile edits.

export const FIELD_TYPES = ['text', 'number', 'date', 'select', 'multiselect']
export const KEY_RE = /^[a-z][a-z0-9_]{0,31}$/

export function hasOptions(type) {
  return type === 'select' || type === 'multiselect'
}

// parseOptions reads the options textarea: one per line (commas also split), trimmed, unique.
export function parseOptions(text) {
  const out = []
  for (const part of String(text || '').split(/[\n,，]/)) {
    const o = part.trim()
    if (o && !out.includes(o)) out.push(o)
  }
  return out
}

// fieldPayload is the POST body of a new field from the form.
export function fieldPayload(form) {
  const type = form.type
  return {
    key: String(form.key || '').trim(),
    label: String(form.label || '').trim(),
    type,
    options: hasOptions(type) ? parseOptions(form.options) : [],
    sort: Number.isInteger(form.sort) ? form.sort : 0,
  }
}

// formProblems names the form fields the server would refuse, before asking it.
export function formProblems(form) {
  const p = fieldPayload(form)
  const out = {}
  if (!KEY_RE.test(p.key)) out.key = 'invalid'
  if (!p.label) out.label = 'required'
  if (!FIELD_TYPES.includes(p.type)) out.type = 'required'
  if (hasOptions(p.type) && p.options.length === 0) out.options = 'required'
  return out
}

// toFormValue turns a stored value into what the field's input edits.
export function toFormValue(field, value) {
  if (field.type === 'multiselect') return Array.isArray(value) ? value.slice() : []
  if (field.type === 'number') return typeof value === 'number' ? value : null
  return value === undefined || value === null ? '' : String(value)
}

// fromFormValue turns an input back into the API value; empty is null (removes the value).
export function fromFormValue(field, v) {
  if (field.type === 'multiselect') return Array.isArray(v) && v.length ? v : null
  if (field.type === 'number') return typeof v === 'number' && Number.isFinite(v) ? v : null
  const s = typeof v === 'string' ? v.trim() : v === null || v === undefined ? '' : String(v)
  return s === '' ? null : s
}

// changedValues returns {key: value} of the fields whose input differs from what is stored.
export function changedValues(fields, stored, form) {
  const out = {}
  for (const f of fields) {
    const before = fromFormValue(f, toFormValue(f, stored ? stored[f.key] : undefined))
    const after = fromFormValue(f, form[f.key])
    if (JSON.stringify(before) !== JSON.stringify(after)) out[f.key] = after
  }
  return out
}

// displayValue is a value as the profile shows it.
export function displayValue(field, value) {
  if (value === undefined || value === null || value === '') return ''
  if (Array.isArray(value)) return value.join('、')
  return String(value)
}
