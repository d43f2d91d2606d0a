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

// Tenses is how a task reads while it runs, once it succeeded and once it failed: "Adding
// a replica", "Replica added", "Adding a replica failed".
type Tenses struct{ Running, Succeeded, Failed string }

// tenses has an entry for every name of labels (TestTensesCoverLabels).
var tenses = map[string]Tenses{
	SwitchoverTask:       {"Switching master and standby", "Master and standby switched", "Switching master and standby failed"},
	"EXTEND":             {"Changing the spec", "Spec changed", "Changing the spec failed"},
	"ChangeInstanceSpec": {"Changing the spec", "Spec changed", "Changing the spec failed"},
	"BindEip":            {"Enabling public access", "Public access enabled", "Enabling public access failed"},
	"UnBindEip":          {"Disabling public access", "Public access disabled", "Disabling public access failed"},
	"AddReplica":         {"Adding a replica", "Replica added", "Adding a replica failed"},
	"DelReplica":         {"Removing a replica", "Replica removed", "Removing a replica failed"},
	"AddWhitelist":       {"Changing the IP whitelist", "IP whitelist changed", "Changing the IP whitelist failed"},
	"UpdatePort":         {"Changing the port", "Port changed", "Changing the port failed"},
	"RemoveIpFromDns":    {"Removing an IP from DNS", "IP removed from DNS", "Removing an IP from DNS failed"},
	"modify":             {"Changing the password", "Password changed", "Changing the password failed"},
	"dcsExportJob":       {"Exporting data", "Data exported", "Exporting data failed"},
}

// TensesOf returns how a task of this name reads in each outcome. A name it does not know
// reads as given: "dcsNewJob", "dcsNewJob succeeded", "dcsNewJob failed".
func TensesOf(name string) Tenses {
	if t, ok := tenses[name]; ok {
		return t
	}
	return Tenses{name, name + " succeeded", name + " failed"}
}

// Phrase names a task in the tense of its outcome: failed and succeeded tasks in theirs,
// a running one in the present ("Adding a replica"), and one that ended otherwise in the
// present too, for the caller to follow with its status ("Adding a replica" cancelled).
func Phrase(name string, o Outcome) string {
	t := TensesOf(name)
	switch o {
	case OutcomeFailed:
		return t.Failed
	case OutcomeSucceeded:
		return t.Succeeded
	}
	return t.Running
}
