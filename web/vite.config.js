import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The Go binary embeds web/dist. Only dist/app is produced (and emptied) here, so the
// committed dist/README.md survives builds and `go build` works without a web build.
export default defineConfig({
  base: '/',
  plugins: [vue()],
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: false,
  },
  build: {
    outDir: 'dist/app',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: {
      '/api': 'http://localhost:8080',
    },
  },
  test: {
    include: ['src/**/*.test.{js,mjs}'],
    environment: 'node',
  },
})
