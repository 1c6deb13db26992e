package org

// Customer-profile permissions (notes and tagging customers). They live in their own file so the
// capability's grants read in one place. Merging, splitting and identities use PermCustomerWrite;
// every one of them also needs the customer(s) inside the caller's data scope.
const (
	// PermCustomerNote writes notes and follow-up records on customers of the caller's scope
	// (a guide on their own customers) and deletes the caller's own notes.
	PermCustomerNote = "customer.note"
	// PermCustomerTag puts tags of the library on customers of the caller's scope and takes them
	// off; editing the library itself stays PermTagsWrite.
	PermCustomerTag = "customer.tag"
)

func init() {
	for _, role := range []Role{Owner, Admin, Manager, Guide, CustomerService} {
		rolePerms[role] = append(rolePerms[role], PermCustomerNote, PermCustomerTag)
	}
}
