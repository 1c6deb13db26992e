import { defineStore } from 'pinia'
import { auth, client } from '../api/index.js'

const LAST_TENANT_KEY = 'siyu.lastTenant'

export function lastTenant() {
  try {
    return localStorage.getItem(LAST_TENANT_KEY) || ''
  } catch {
    return ''
  }
}

function rememberTenant(slug) {
  try {
    localStorage.setItem(LAST_TENANT_KEY, slug)
  } catch {
    // ignore: only a convenience
  }
}

// The session store holds the Me object of GET /api/v1/auth/me:
// {user, tenant, permissions, csrf_token}.
export const useSessionStore = defineStore('session', {
  state: () => ({
    me: null,
    loaded: false,
  }),
  getters: {
    loggedIn: (s) => s.me !== null,
    user: (s) => (s.me ? s.me.user : null),
    tenant: (s) => (s.me ? s.me.tenant : null),
    permissions: (s) => new Set((s.me && s.me.permissions) || []),
  },
  actions: {
    can(permission) {
      return this.permissions.has(permission)
    },
    setMe(me) {
      this.me = me || null
      client.setCsrfToken(me ? me.csrf_token : '')
      if (me && me.tenant && me.tenant.slug) rememberTenant(me.tenant.slug)
    },
    // load asks the server who we are, once; a 401 simply means "not logged in".
    async load({ force = false } = {}) {
      if (this.loaded && !force) return
      try {
        this.setMe(await auth.me())
      } catch (err) {
        if (err.status !== 401) throw err
        this.setMe(null)
      } finally {
        this.loaded = true
      }
    },
    async login(tenant, username, password) {
      const me = await auth.login(tenant, username, password)
      this.setMe(me)
      this.loaded = true
      return me
    },
    async logout() {
      try {
        await auth.logout()
      } finally {
        this.clear()
      }
    },
    clear() {
      this.setMe(null)
      this.loaded = true
    },
  },
})
