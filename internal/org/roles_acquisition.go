package org

// Acquisition permissions (channels, their spend, live codes and channel stats). They live in
// their own file so the capability's grants read in one place.
const (
	// PermAcquisitionRead reads channels, live codes and channel stats of the caller's scope
	// (channels of their org subtree for managers).
	PermAcquisitionRead = "acquisition.read"
	// PermAcquisitionWrite creates and edits channels, spend entries and live codes in scope.
	PermAcquisitionWrite = "acquisition.write"
)

func init() {
	grant := map[Role][]string{
		Owner:   {PermAcquisitionRead, PermAcquisitionWrite},
		Admin:   {PermAcquisitionRead, PermAcquisitionWrite},
		Manager: {PermAcquisitionRead, PermAcquisitionWrite},
		Analyst: {PermAcquisitionRead},
	}
	for role, perms := range grant {
		rolePerms[role] = append(rolePerms[role], perms...)
	}
}
