import { describe, expect, it } from 'vitest'
import { NAV, visibleNav } from '../src/lib/nav'

// The demo roles of libs/common/db/demo_admin.py.
const APPROVER = ['content.read', 'content.approve', 'material.read', 'account.read', 'customer.read', 'menu.read', 'audit.read']
const EDITOR = ['content.read', 'content.submit', 'material.read', 'material.edit', 'account.read', 'customer.read', 'customer.handover', 'location.read', 'menu.read', 'command.read', 'reminder.read', 'simulator.use']

describe('visibleNav', () => {
  it('shows only the overview without permissions', () => {
    expect(visibleNav([]).map((e) => e.name)).toEqual(['overview'])
  })
  it('shows an approver the pages their permissions open, in menu order', () => {
    expect(visibleNav(APPROVER).map((e) => e.name)).toEqual(['overview', 'menus', 'publications', 'materials', 'customers', 'accounts', 'audit'])
  })
  it('shows a branch editor the simulator but no system pages except accounts', () => {
    const names = visibleNav(EDITOR).map((e) => e.name)
    expect(names).toContain('simulator')
    expect(names).not.toContain('users')
    expect(names).not.toContain('audit')
  })
  it('shows the applications page to holders of application.read, after customers', () => {
    const names = visibleNav([...EDITOR, 'application.read']).map((e) => e.name)
    expect(names.indexOf('applications')).toBe(names.indexOf('customers') + 1)
    expect(visibleNav(APPROVER).map((e) => e.name)).not.toContain('applications')
  })
  it('shows everything to a holder of every permission', () => {
    const all = NAV.map((e) => e.perm).filter((p): p is string => p !== null)
    expect(visibleNav(all)).toHaveLength(NAV.length)
  })
})
