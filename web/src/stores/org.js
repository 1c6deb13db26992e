import { defineStore } from 'pinia'
import { orgUnits } from '../api/index.js'
import { buildTree } from '../utils/tree.js'

// The visible org tree, shared by the org page and every org-unit picker.
export const useOrgStore = defineStore('org', {
  state: () => ({
    items: [],
    loaded: false,
    loading: false,
  }),
  getters: {
    tree: (s) => buildTree(s.items),
    byId: (s) => new Map(s.items.map((u) => [u.id, u])),
  },
  actions: {
    async load({ force = false } = {}) {
      if (this.loaded && !force) return
      this.loading = true
      try {
        const page = await orgUnits.list()
        this.items = (page && page.items) || []
        this.loaded = true
      } finally {
        this.loading = false
      }
    },
    reset() {
      this.items = []
      this.loaded = false
    },
  },
})
