import { createRouter, createWebHistory } from 'vue-router'
import { useSessionStore } from './stores/session.js'
import { i18n } from './i18n.js'

// The navigation of the console. Each entry is a page that exists; the side menu shows
// the entries whose permission the user holds, in this order.
export const NAV = [
  { name: 'customers', path: '/customers', permission: 'customer.read', title: 'nav.customers', icon: 'Avatar' },
  { name: 'losses', path: '/losses', permission: 'customer.read', title: 'nav.losses', icon: 'Warning' },
  { name: 'transfers', path: '/transfers', permission: 'customer.transfer', title: 'nav.transfers', icon: 'Switch' },
  { name: 'tags', path: '/tags', permission: 'customer.read', title: 'nav.tags', icon: 'PriceTag' },
  { name: 'orders', path: '/orders', permission: 'customer.read', title: 'nav.orders', icon: 'Tickets' },
  { name: 'customer-value', path: '/customer-value', permission: 'customer.read', title: 'nav.customerValue', icon: 'Histogram' },
  { name: 'channels', path: '/acquisition/channels', permission: 'acquisition.read', title: 'nav.channels', icon: 'Promotion' },
  { name: 'live-codes', path: '/acquisition/live-codes', permission: 'acquisition.read', title: 'nav.liveCodes', icon: 'Grid' },
  { name: 'group-codes', path: '/acquisition/group-codes', permission: 'acquisition.read', title: 'groupCodes.nav', icon: 'ChatDotRound' },
  { name: 'store-codes', path: '/acquisition/store-codes', permission: 'acquisition.read', title: 'storeCodes.nav', icon: 'Shop' },
  { name: 'phone-tasks', path: '/acquisition/phone-tasks', permission: 'phone_tasks.work', title: 'phoneTasks.nav', icon: 'Phone' },
  { name: 'package-cards', path: '/acquisition/package-cards', permission: 'acquisition.read', title: 'packageCards.nav', icon: 'Box' },
  { name: 'channel-stats', path: '/acquisition/stats', permission: 'acquisition.read', title: 'nav.channelStats', icon: 'DataLine' },
  { name: 'sms', path: '/acquisition/sms', permission: 'acquisition.read', title: 'sms.nav', icon: 'Message' },
  { name: 'analytics', path: '/analytics', permission: 'analytics.read', title: 'nav.analytics', icon: 'TrendCharts' },
  { name: 'org', path: '/org', permission: 'org.read', title: 'nav.org', icon: 'OfficeBuilding' },
  { name: 'staff', path: '/staff', permission: 'staff.read', title: 'nav.staff', icon: 'User' },
  { name: 'wecom-sync', path: '/wecom/sync', permission: 'settings.read', title: 'nav.wecomSync', icon: 'Refresh' },
  { name: 'wecom-settings', path: '/settings/wecom', permission: 'settings.read', title: 'nav.wecomSettings', icon: 'Setting' },
  { name: 'custom-fields', path: '/settings/custom-fields', permission: 'settings.write', title: 'customerData.fields.nav', icon: 'Setting' },
]

const pages = {
  analytics: () => import('./pages/analytics/AnalyticsPage.vue'),
  customers: () => import('./pages/customers/CustomersPage.vue'),
  tags: () => import('./pages/tags/TagsPage.vue'),
  orders: () => import('./pages/orders/OrdersPage.vue'),
  'customer-value': () => import('./pages/value/CustomerValuePage.vue'),
  channels: () => import('./pages/acquisition/ChannelsPage.vue'),
  'live-codes': () => import('./pages/acquisition/LiveCodesPage.vue'),
  'group-codes': () => import('./pages/acquisition/GroupCodesPage.vue'),
  'store-codes': () => import('./pages/acquisition/StoreCodesPage.vue'),
  'channel-stats': () => import('./pages/acquisition/ChannelStatsPage.vue'),
  'phone-tasks': () => import('./pages/acquisition/PhoneTasksPage.vue'),
  'package-cards': () => import('./pages/acquisition/PackageCardsPage.vue'),
  sms: () => import('./pages/acquisition/SmsPage.vue'),
  losses: () => import('./pages/losses/LossesPage.vue'),
  transfers: () => import('./pages/transfers/TransfersPage.vue'),
  org: () => import('./pages/org/OrgPage.vue'),
  staff: () => import('./pages/staff/StaffPage.vue'),
  'wecom-sync': () => import('./pages/wecom/WecomSyncPage.vue'),
  'wecom-settings': () => import('./pages/settings/WecomSettingsPage.vue'),
  'custom-fields': () => import('./pages/settings/CustomFieldsPage.vue'),
}

// Routes below a page of the menu, shown inside it (the page renders a <router-view>); they
// inherit its permission.
const subpages = {
  customers: [
    {
      // A customer's profile, in a drawer over the list; deep-linkable.
      path: ':id(\\d+)',
      name: 'customer',
      component: () => import('./pages/customers/CustomerDrawer.vue'),
      meta: { title: 'customers.profileTitle' },
    },
  ],
}

// homeFor returns the first page the user may open (the customers page for every role that
// has customer.read).
export function homeFor(session) {
  const item = NAV.find((n) => session.can(n.permission))
  return item ? { name: item.name } : { name: 'no-access' }
}

const routes = [
  {
    path: '/login',
    name: 'login',
    component: () => import('./pages/login/LoginPage.vue'),
    meta: { public: true, title: 'login.title' },
  },
  {
    // The WeCom sidebar for guides: a mobile page outside the console layout.
    path: '/sidebar',
    name: 'sidebar',
    component: () => import('./pages/sidebar/SidebarPage.vue'),
    meta: { permission: 'customer.read', title: 'sidebar.title' },
  },
  {
    path: '/',
    component: () => import('./pages/layout/ConsoleLayout.vue'),
    children: [
      { path: '', name: 'home', redirect: () => homeFor(useSessionStore()) },
      ...NAV.map((n) => ({
        path: n.path.slice(1),
        name: n.name,
        component: pages[n.name],
        meta: { permission: n.permission, title: n.title },
        ...(subpages[n.name] ? { children: subpages[n.name] } : {}),
      })),
      {
        // Everyone's own notifications (the bell's "see all"); no permission needed.
        path: 'notifications',
        name: 'notifications',
        component: () => import('./pages/notifications/NotificationsPage.vue'),
        meta: { title: 'notifications.title' },
      },
      {
        path: 'no-access',
        name: 'no-access',
        component: () => import('./pages/layout/NoAccessPage.vue'),
        meta: { title: 'noAccess.title' },
      },
    ],
  },
  { path: '/:rest(.*)*', redirect: '/' },
]

export const router = createRouter({
  history: createWebHistory('/'),
  routes,
})

router.beforeEach(async (to) => {
  const session = useSessionStore()
  try {
    await session.load()
  } catch {
    // The server did not answer: treat as logged out; the login form shows the error.
    session.clear()
  }
  if (to.meta.public) {
    if (to.name === 'login' && session.loggedIn) return homeFor(session)
    return true
  }
  if (!session.loggedIn) {
    return { name: 'login', query: to.fullPath && to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
  }
  if (to.meta.permission && !session.can(to.meta.permission)) {
    return homeFor(session)
  }
  return true
})

router.afterEach((to) => {
  const t = i18n.global.t
  const title = to.meta.title ? t(to.meta.title) : ''
  document.title = title ? `${title} · ${t('app.name')}` : t('app.name')
})
