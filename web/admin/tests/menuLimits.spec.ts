import { describe, expect, it } from 'vitest'
import { menuProblems, toApiButtons } from '../src/lib/menuLimits'

describe('menuProblems', () => {
  it('accepts a menu within the limits', () => {
    expect(menuProblems([{ name: '净值查询', type: 'click', key: 'NAV' }, { name: '官网', type: 'view', url: 'https://example.com' }])).toEqual([])
  })
  it('counts names in UTF-8 bytes: 6 Chinese characters are 18 bytes > 16', () => {
    const problems = menuProblems([{ name: '一二三四五六', type: 'click', key: 'K' }])
    expect(problems).toEqual([{ path: 'buttons[0].name', key: 'menus.limit.name', params: { max: 16, n: 18 } }])
  })
  it('limits top-level and sub-button counts', () => {
    const many = Array.from({ length: 4 }, (_, i) => ({ name: `B${i}`, type: 'click', key: `K${i}` }))
    expect(menuProblems(many).map((p) => p.key)).toContain('menus.limit.top')
    const subs = Array.from({ length: 6 }, (_, i) => ({ name: `S${i}`, type: 'click', key: `K${i}` }))
    expect(menuProblems([{ name: 'G', sub_button: subs }]).map((p) => p.path)).toContain('buttons[0].sub_button')
  })
  it('needs a key for clicks and an http(s) URL for links', () => {
    const problems = menuProblems([{ name: 'A', type: 'click', key: '' }, { name: 'B', type: 'view', url: 'ftp://x' }])
    expect(problems.map((p) => [p.path, p.key])).toEqual([
      ['buttons[0].key', 'menus.limit.key'],
      ['buttons[1].url', 'menus.limit.scheme'],
    ])
  })
})

describe('toApiButtons', () => {
  it('keeps only name and sub-buttons on a group and drops empty fields', () => {
    expect(toApiButtons([{ name: 'G', type: 'click', key: 'X', sub_button: [{ name: 'S', type: 'view', url: 'https://a.b', key: '' }] }])).toEqual([
      { name: 'G', sub_button: [{ name: 'S', type: 'view', url: 'https://a.b' }] },
    ])
  })
})
