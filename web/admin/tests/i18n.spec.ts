import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { baseCompile } from '@intlify/message-compiler'
import { describe, expect, it } from 'vitest'
import zhCN from '../src/i18n/zh-CN'
import en from '../src/i18n/en'

type Tree = { [key: string]: string | Tree }

function keys(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v, `${prefix}${k}.`)))
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return /\.(vue|ts)$/.test(name) && !path.includes('i18n') ? [path] : []
  })
}

const src = join(__dirname, '..', 'src')

describe('messages', () => {
  it('English has exactly the keys of Chinese', () => {
    expect(keys(en as Tree).sort()).toEqual(keys(zhCN as Tree).sort())
  })
  it('no message is empty', () => {
    const flat = (tree: Tree): string[] => Object.values(tree).flatMap((v) => (typeof v === 'string' ? [v] : flat(v)))
    expect(flat(en as Tree).filter((m) => !m.trim())).toEqual([])
    expect(flat(zhCN as Tree).filter((m) => !m.trim())).toEqual([])
  })
  it('every message compiles (literal braces written as {\'{\'}; a stray one blanks the page)', () => {
    const broken = (tree: Tree, prefix = ''): string[] =>
      Object.entries(tree).flatMap(([k, v]) => {
        if (typeof v !== 'string') return broken(v, `${prefix}${k}.`)
        const errors: string[] = []
        baseCompile(v, { onError: (e) => errors.push(e.message) })
        return errors.map((e) => `${prefix}${k}: ${e}`)
      })
    expect(broken(zhCN as Tree)).toEqual([])
    expect(broken(en as Tree)).toEqual([])
  })
  it('every literal key the code uses exists', () => {
    const known = new Set(keys(zhCN as Tree))
    const used = sources(src).flatMap((file) =>
      [...readFileSync(file, 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)].map((m) => `${m[1]} (${file.slice(src.length)})`),
    )
    expect(used.filter((u) => !known.has(u.split(' ')[0]!))).toEqual([])
  })
  it('templates hold no hard-coded Chinese text outside messages', () => {
    const offenders = sources(src)
      .filter((f) => f.endsWith('.vue'))
      .flatMap((file) => {
        const template = readFileSync(file, 'utf8').split('<template>')[1] ?? ''
        return /[\u4e00-\u9fff]/.test(template.replace(/'我'/g, '')) ? [file] : []
      })
    expect(offenders).toEqual([])
  })
})

describe('resource pages', () => {
  it('every column, field and filter has a label in both languages', async () => {
    const { RESOURCES } = await import('../src/resources')
    const zh = new Set(keys(zhCN as Tree))
    const en2 = new Set(keys(en as Tree))
    const missing: string[] = []
    for (const config of Object.values(RESOURCES)) {
      for (const item of [...config.columns, ...config.fields, ...(config.filters ?? [])]) {
        const key = item.label ?? `fields.${item.prop}`
        if (!zh.has(key) || !en2.has(key)) missing.push(`${config.name}: ${key}`)
      }
    }
    expect(missing).toEqual([])
  })
})
