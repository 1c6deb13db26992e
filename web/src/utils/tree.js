// buildTree turns the flat list of GET /api/v1/org-units ({id, parent_id, …}) into a
// forest: each node is a copy of its item with a children array. Siblings keep the
// order of the input. An item whose parent is not in the list (a manager sees only
// their own subtree) becomes a root. Items caught in a parent cycle, which the server
// never sends, are dropped instead of looping.
export function buildTree(items) {
  const nodes = new Map()
  for (const item of items || []) {
    nodes.set(item.id, { ...item, children: [] })
  }
  const roots = []
  for (const node of nodes.values()) {
    const parent = node.parent_id === null || node.parent_id === undefined ? null : nodes.get(node.parent_id)
    if (parent && parent !== node) {
      parent.children.push(node)
    } else {
      roots.push(node)
    }
  }
  // Keep only what is reachable from a root, so a cycle cannot produce an endless tree.
  const seen = new Set()
  const walk = (list) =>
    list.filter((n) => {
      if (seen.has(n.id)) return false
      seen.add(n.id)
      n.children = walk(n.children)
      return true
    })
  return walk(roots)
}

// findNode returns the node with the given id in a forest, or null.
export function findNode(forest, id) {
  for (const node of forest) {
    if (node.id === id) return node
    const hit = findNode(node.children || [], id)
    if (hit) return hit
  }
  return null
}

// topLevelIds returns the ids of the first `depth` levels of a forest, for
// default-expanded keys.
export function topLevelIds(forest, depth) {
  const out = []
  const walk = (list, level) => {
    if (level >= depth) return
    for (const n of list) {
      out.push(n.id)
      walk(n.children || [], level + 1)
    }
  }
  walk(forest, 0)
  return out
}
