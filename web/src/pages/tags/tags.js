// Logic of the tag pages, kept out of the components so it can be unit-tested. Values follow
// GET /api/v1/tag-groups and the tags of GET /api/v1/customers/{id}.

// MAX_TAG_NAME is WeCom's limit for tag and group names, in characters.
export const MAX_TAG_NAME = 30

// tagNameError checks a tag or group name: '' when fine, else 'required' or 'tooLong'.
export function tagNameError(name) {
  const s = typeof name === 'string' ? name.trim() : ''
  if (!s) return 'required'
  if (Array.from(s).length > MAX_TAG_NAME) return 'tooLong'
  return ''
}

// splitTagNames reads the initial tags of a new group from free text: one per line or separated
// by commas (either width) or 、; blanks and repeats are dropped.
export function splitTagNames(text) {
  const out = []
  for (const part of String(text || '').split(/[\n,，、]+/)) {
    const s = part.trim()
    if (s && !out.includes(s)) out.push(s)
  }
  return out
}

// tagChanges is the body of POST /customers/{id}/tags that turns the current tag ids into the
// selected ones.
export function tagChanges(current, selected) {
  const cur = new Set((current || []).filter(Number.isInteger))
  const sel = new Set((selected || []).filter(Number.isInteger))
  return {
    add: [...sel].filter((id) => !cur.has(id)),
    remove: [...cur].filter((id) => !sel.has(id)),
  }
}

// tagIdsOf is the ids of a customer's tags.
export function tagIdsOf(tags) {
  return (Array.isArray(tags) ? tags : []).map((t) => t && t.id).filter(Number.isInteger)
}

// groupsOf returns the API's groups, each with a tags array, skipping malformed entries.
export function groupsOf(data) {
  const items = data && Array.isArray(data.items) ? data.items : []
  return items
    .filter((g) => g && Number.isInteger(g.id))
    .map((g) => ({ ...g, tags: Array.isArray(g.tags) ? g.tags.filter((t) => t && Number.isInteger(t.id)) : [] }))
}
