// The side menu: one entry per page, each guarded by the permission its API needs.
export interface NavEntry {
  /** Route name and path segment. */
  name: string
  path: string
  /** Permission needed to see the entry; null: every logged-in user. */
  perm: string | null
  icon: string
  group: 'operate' | 'content' | 'system'
}

export const NAV: NavEntry[] = [
  { name: 'overview', path: '/', perm: null, icon: 'DataLine', group: 'operate' },
  { name: 'stats', path: '/stats', perm: 'stats.read', icon: 'TrendCharts', group: 'operate' },
  { name: 'console', path: '/console', perm: 'cs.agent', icon: 'Headset', group: 'operate' },
  { name: 'simulator', path: '/simulator', perm: 'simulator.use', icon: 'Iphone', group: 'operate' },
  { name: 'commands', path: '/commands', perm: 'command.read', icon: 'ChatLineSquare', group: 'operate' },
  { name: 'menus', path: '/menus', perm: 'menu.read', icon: 'Menu', group: 'operate' },
  { name: 'publications', path: '/publications', perm: 'content.read', icon: 'Promotion', group: 'content' },
  { name: 'materials', path: '/materials', perm: 'material.read', icon: 'Picture', group: 'content' },
  { name: 'reminders', path: '/reminders', perm: 'reminder.read', icon: 'Bell', group: 'content' },
  { name: 'locations', path: '/locations', perm: 'location.read', icon: 'Location', group: 'content' },
  { name: 'customers', path: '/customers', perm: 'customer.read', icon: 'User', group: 'content' },
  { name: 'applications', path: '/applications', perm: 'application.read', icon: 'Tickets', group: 'content' },
  { name: 'accounts', path: '/accounts', perm: 'account.read', icon: 'ChatDotRound', group: 'system' },
  { name: 'orgs', path: '/orgs', perm: 'org.read', icon: 'OfficeBuilding', group: 'system' },
  { name: 'users', path: '/users', perm: 'user.read', icon: 'Avatar', group: 'system' },
  { name: 'roles', path: '/roles', perm: 'role.read', icon: 'Key', group: 'system' },
  { name: 'config', path: '/config', perm: 'config.read', icon: 'Document', group: 'system' },
  { name: 'audit', path: '/audit', perm: 'audit.read', icon: 'List', group: 'system' },
  { name: 'deadLetters', path: '/dead-letters', perm: 'deadletter.replay', icon: 'WarningFilled', group: 'system' },
]

/** The entries a user holding `permissions` may see, in menu order. */
export function visibleNav(permissions: Iterable<string>): NavEntry[] {
  const held = new Set(permissions)
  return NAV.filter((entry) => entry.perm === null || held.has(entry.perm))
}
