import { createApp } from 'vue'
import { createPinia } from 'pinia'
import ElementPlus from 'element-plus'
import 'element-plus/dist/index.css'

import App from './App.vue'
import { i18n, currentLocale } from './i18n.js'
import { router } from './router.js'
import { client } from './api/index.js'
import { useSessionStore } from './stores/session.js'
import { useOrgStore } from './stores/org.js'
import './styles.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia)
app.use(i18n)
app.use(ElementPlus)

client.setLocaleGetter(currentLocale)
// A 401 on any call means the session ended (expired, logged out elsewhere): go to login.
client.setUnauthorizedHandler(() => {
  const session = useSessionStore(pinia)
  session.clear()
  useOrgStore(pinia).reset()
  const current = router.currentRoute.value
  if (current.name !== 'login') {
    router.replace({ name: 'login', query: current.fullPath !== '/' ? { redirect: current.fullPath } : {} })
  }
})

app.use(router)
app.mount('#app')
