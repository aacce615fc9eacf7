import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import { api } from '../api/client'
import type { MeRead } from '../api/types'

export const useAuth = defineStore('auth', () => {
  const me = ref<MeRead | null>(null)
  const permissions = computed(() => new Set(me.value?.permissions ?? []))

  function can(permission: string | null): boolean {
    return permission === null || permissions.value.has(permission)
  }

  async function load(): Promise<MeRead | null> {
    if (!api.loggedIn) return null
    if (!me.value) me.value = await api.get<MeRead>('/api/v1/auth/me')
    return me.value
  }

  async function login(username: string, password: string): Promise<void> {
    await api.login(username, password)
    me.value = null
    await load()
  }

  async function logout(): Promise<void> {
    try {
      await api.logout()
    } finally {
      me.value = null
    }
  }

  function forget(): void {
    me.value = null
  }

  return { me, permissions, can, load, login, logout, forget }
})
