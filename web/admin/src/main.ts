import { createApp } from 'vue'
import { createPinia } from 'pinia'
import { ElMessage } from 'element-plus'
import 'element-plus/es/components/message/style/css'
import 'element-plus/theme-chalk/base.css'
import App from './App.vue'
import { router } from './router'
import { i18n } from './i18n'
import { api } from './api/client'
import { useAuth } from './stores/auth'
import './styles.css'

const app = createApp(App)
const pinia = createPinia()
app.use(pinia).use(i18n).use(router)

const t = i18n.global.t
api.hooks = {
  onSessionExpired() {
    useAuth(pinia).forget()
    ElMessage.warning({ message: t('login.expired'), grouping: true })
    void router.push({ name: 'login', query: { next: router.currentRoute.value.fullPath } })
  },
  onForbidden(error) {
    // The API names the missing permission in `details.permission` (what an administrator grants).
    const permission = (error.details.details as { permission?: unknown } | undefined)?.permission
    const detail = typeof permission === 'string' ? `${error.message}（${permission}）` : error.message
    ElMessage.error({ message: t('errors.forbidden', { detail }), grouping: true, duration: 6000 })
  },
}

app.mount('#app')
