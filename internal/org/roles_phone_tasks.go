package org

// Phone-task permission: working the daily batch-add-by-phone tasks (手机号加好友). Managing the
// lists (import, stats) needs the acquisition permissions; this one lets a caller see and mark the
// tasks of the staff in their scope — guides their own.
const (
	// PermPhoneTasksWork lists the phone tasks of the caller's scope and marks them requested or
	// failed.
	PermPhoneTasksWork = "phone_tasks.work"
)

func init() {
	for _, role := range []Role{Owner, Admin, Manager, Guide} {
		rolePerms[role] = append(rolePerms[role], PermPhoneTasksWork)
	}
}
