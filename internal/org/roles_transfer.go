package org

// PermCustomerTransfer creates and reads customer transfers (客户继承: on-job and resigned-staff
// transfers through WeCom) between staff of the caller's scope. It lives in its own file so the
// capability's grants read in one place.
const PermCustomerTransfer = "customer.transfer"

func init() {
	for _, role := range []Role{Owner, Admin, Manager} {
		rolePerms[role] = append(rolePerms[role], PermCustomerTransfer)
	}
}
