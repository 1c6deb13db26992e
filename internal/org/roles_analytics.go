package org

// PermAnalyticsRead reads the value dashboards (channel ROI, funnels, cohorts, repurchase rhythm):
// aggregates only, no personal data, limited to the caller's scope.
const PermAnalyticsRead = "analytics.read"

func init() {
	for _, role := range []Role{Owner, Admin, Manager, Analyst} {
		rolePerms[role] = append(rolePerms[role], PermAnalyticsRead)
	}
}
