import { describe, it, expect } from 'vitest'
import { buildTree, findNode, topLevelIds } from './tree.js'

const unit = (id, parent_id, name = `u${id}`) => ({ id, parent_id, name, kind: 'store' })

describe('buildTree', () => {
  it('nests a flat list by parent_id and keeps sibling order', () => {
    const tree = buildTree([unit(1, null, '总部'), unit(3, 1, 'b'), unit(2, 1, 'a'), unit(4, 3), unit(5, 4)])
    expect(tree).toHaveLength(1)
    expect(tree[0].name).toBe('总部')
    expect(tree[0].children.map((n) => n.id)).toEqual([3, 2])
    expect(tree[0].children[0].children[0].children[0].id).toBe(5)
    expect(tree[0].children[1].children).toEqual([])
  })

  it('accepts children listed before their parent', () => {
    const tree = buildTree([unit(5, 4), unit(4, 1), unit(1, null)])
    expect(tree.map((n) => n.id)).toEqual([1])
    expect(findNode(tree, 5).id).toBe(5)
  })

  it('makes units whose parent is not visible roots (manager scope)', () => {
    const tree = buildTree([unit(7, 3), unit(8, 7), unit(9, 3)])
    expect(tree.map((n) => n.id)).toEqual([7, 9])
    expect(tree[0].children.map((n) => n.id)).toEqual([8])
  })

  it('does not modify the input items', () => {
    const items = [unit(1, null), unit(2, 1)]
    buildTree(items)
    expect(items[0]).not.toHaveProperty('children')
  })

  it('survives empty input and cycles', () => {
    expect(buildTree([])).toEqual([])
    expect(buildTree(undefined)).toEqual([])
    const tree = buildTree([unit(1, null), unit(2, 3), unit(3, 2), unit(4, 4)])
    expect(tree.map((n) => n.id)).toEqual([1, 4])
    expect(tree[1].children).toEqual([])
  })
})

describe('topLevelIds', () => {
  it('lists ids down to a depth', () => {
    const tree = buildTree([unit(1, null), unit(2, 1), unit(3, 2), unit(4, 3)])
    expect(topLevelIds(tree, 2)).toEqual([1, 2])
    expect(topLevelIds(tree, 0)).toEqual([])
  })
})
