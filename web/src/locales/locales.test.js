import { describe, it, expect } from 'vitest'
import { readdirSync, readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import zhCN from './zh-CN.json'
import en from './en.json'

function keys(obj, prefix = '') {
  return Object.entries(obj).flatMap(([k, v]) =>
    v !== null && typeof v === 'object' ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

function leaves(obj) {
  return Object.values(obj).flatMap((v) => (v !== null && typeof v === 'object' ? leaves(v) : [v]))
}

describe('locales', () => {
  it('zh-CN and en have exactly the same keys', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
  })

  it('every message is a non-empty string', () => {
    for (const v of [...leaves(zhCN), ...leaves(en)]) {
      expect(typeof v).toBe('string')
      expect(v.trim()).not.toBe('')
    }
  })

  it('components carry no literal Chinese UI text', () => {
    const src = join(dirname(fileURLToPath(import.meta.url)), '..')
    const offenders = []
    const walk = (dir) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else if (/\.(vue|js)$/.test(e.name) && !/\.test\.js$/.test(e.name)) {
          if (/[\u4e00-\u9fff]/.test(readFileSync(p, 'utf8'))) offenders.push(p)
        }
      }
    }
    walk(src)
    expect(offenders).toEqual([])
  })
})
