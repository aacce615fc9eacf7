// Reference data for pickers and labels (accounts, organisations, roles, permissions), loaded once.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import { api } from '../api/client'
import type { AccountRead, OrgNode, Page, Schemas } from '../api/types'
import { useAuth } from './auth'

type RoleRead = Schemas['RoleRead']
type PermissionRead = Schemas['PermissionRead']

export interface OrgOption {
  id: number
  name: string
  depth: number
}

function flatten(nodes: OrgNode[], depth = 0, out: OrgOption[] = []): OrgOption[] {
  for (const node of nodes) {
    out.push({ id: node.id, name: node.name, depth })
    flatten((node.children ?? []) as OrgNode[], depth + 1, out)
  }
  return out
}

export const useRefs = defineStore('refs', () => {
  const accounts = ref<AccountRead[]>([])
  const orgs = ref<OrgOption[]>([])
  const orgTree = ref<OrgNode[]>([])
  const roles = ref<RoleRead[]>([])
  const permissions = ref<PermissionRead[]>([])
  // One load per kind, shared by every component asking while it runs.
  const loaded = new Map<string, Promise<void>>()

  function once(name: string, perm: string, load: () => Promise<void>): Promise<void> {
    if (!useAuth().can(perm)) return Promise.resolve()
    let running = loaded.get(name)
    if (!running) {
      running = load().catch(() => {
        loaded.delete(name)
      })
      loaded.set(name, running)
    }
    return running
  }

  const loadAccounts = (force = false) => {
    if (force) loaded.delete('accounts')
    return once('accounts', 'account.read', async () => {
      accounts.value = (await api.get<Page<AccountRead>>('/api/v1/accounts', { query: { page_size: 200 }, quietForbidden: true })).items
    })
  }
  const loadOrgs = (force = false) => {
    if (force) loaded.delete('orgs')
    return once('orgs', 'org.read', async () => {
      orgTree.value = await api.get<OrgNode[]>('/api/v1/orgs/tree', { quietForbidden: true })
      orgs.value = flatten(orgTree.value)
    })
  }
  const loadRoles = () =>
    once('roles', 'role.read', async () => {
      roles.value = (await api.get<Page<RoleRead>>('/api/v1/roles', { query: { page_size: 200 }, quietForbidden: true })).items
    })
  const loadPermissions = () =>
    once('permissions', 'role.read', async () => {
      permissions.value = await api.get<PermissionRead[]>('/api/v1/permissions', { quietForbidden: true })
    })

  function accountName(id: unknown): string {
    return accounts.value.find((a) => a.id === id)?.name ?? String(id ?? '')
  }
  function orgName(id: unknown): string {
    return orgs.value.find((o) => o.id === id)?.name ?? String(id ?? '')
  }

  return { accounts, orgs, orgTree, roles, permissions, loadAccounts, loadOrgs, loadRoles, loadPermissions, accountName, orgName }
})
