package event

import (
	"maps"
	"slices"
)

// labels are the readable names of the task names the DCS task center is known to use:
// those of the vendor's ListCenterTask page and of its example response. It is the one
// list of known task names (KnownTaskNames); the simulator plays the same names.
var labels = map[string]string{
	SwitchoverTask:       "Master/standby switchover",
	"EXTEND":             "Spec change",
	"ChangeInstanceSpec": "Spec change",
	"BindEip":            "Public access enabled",
	"UnBindEip":          "Public access disabled",
	"AddReplica":         "Replica added",
	"DelReplica":         "Replica removed",
	"AddWhitelist":       "IP whitelist changed",
	"UpdatePort":         "Port changed",
	"RemoveIpFromDns":    "IP removed from DNS",
	"modify":             "Password changed",
	"dcsExportJob":       "Data export",
}

// Label returns the readable name of a task name, for people: "Master/standby switchover"
// for masterStandbySwapJob. A name it does not know is returned as given.
func Label(name string) string {
	if l, ok := labels[name]; ok {
		return l
	}
	return name
}

// KnownTaskNames returns the task names the DCS task center is known to use, sorted. A
// filter naming another task is not wrong (the list may be incomplete) but is suspect.
func KnownTaskNames() []string { return slices.Sorted(maps.Keys(labels)) }

// IsKnownTaskName reports whether name is one of KnownTaskNames.
func IsKnownTaskName(name string) bool {
	_, ok := labels[name]
	return ok
}
