import { createRouter, createWebHistory, type RouteComponent, type RouteRecordRaw } from 'vue-router'
import { NAV } from '../lib/nav'
import { useAuth } from '../stores/auth'
import { api } from '../api/client'

// Every page is its own chunk: the login page loads none of them.
const pages: Record<string, () => Promise<{ default: RouteComponent }>> = {
  overview: () => import('../views/OverviewView.vue'),
  stats: () => import('../views/StatsView.vue'),
  console: () => import('../views/ConsoleView.vue'),
  simulator: () => import('../views/SimulatorView.vue'),
  commands: () => import('../views/CommandsView.vue'),
  menus: () => import('../views/MenusView.vue'),
  publications: () => import('../views/PublicationsView.vue'),
  materials: () => import('../views/MaterialsView.vue'),
  reminders: () => import('../views/ResourceView.vue'),
  locations: () => import('../views/LocationsView.vue'),
  customers: () => import('../views/CustomersView.vue'),
  applications: () => import('../views/ApplicationsView.vue'),
  accounts: () => import('../views/AccountsView.vue'),
  orgs: () => import('../views/OrgsView.vue'),
  users: () => import('../views/ResourceView.vue'),
  roles: () => import('../views/ResourceView.vue'),
  config: () => import('../views/ConfigFilesView.vue'),
  audit: () => import('../views/AuditView.vue'),
  deadLetters: () => import('../views/DeadLettersView.vue'),
}

const appRoutes: RouteRecordRaw[] = NAV.map((entry) => ({
  path: entry.path === '/' ? '' : entry.path.slice(1),
  name: entry.name,
  component: pages[entry.name]!,
  props: { resource: entry.name },
  meta: { perm: entry.perm, title: `nav.${entry.name}` },
}))

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('../views/LoginView.vue'), meta: { public: true } },
  {
    path: '/',
    component: () => import('../layouts/AppLayout.vue'),
    children: [
      ...appRoutes,
      { path: 'password', name: 'password', component: () => import('../views/PasswordView.vue'), meta: { perm: null, title: 'password.title' } },
      { path: 'forbidden', name: 'forbidden', component: () => import('../views/ForbiddenView.vue'), meta: { perm: null, title: 'forbidden.title' } },
      { path: ':rest(.*)*', name: 'notfound', component: () => import('../views/NotFoundView.vue'), meta: { perm: null, title: 'notFound.title' } },
    ],
  },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!api.loggedIn) return { name: 'login', query: { next: to.fullPath } }
  const auth = useAuth()
  try {
    await auth.load()
  } catch {
    return { name: 'login', query: { next: to.fullPath } }
  }
  const perm = (to.meta.perm ?? null) as string | null
  if (!auth.can(perm)) return { name: 'forbidden', query: { page: String(to.name ?? '') } }
  return true
})
