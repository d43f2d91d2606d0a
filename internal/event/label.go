package event

import (
	"maps"
	"slices"
)

// Label returns the readable name of a task while it runs, for people: "Switching master
// and standby" for masterStandbySwapJob, as a Slack card of the running task says it. A
// name it does not know is returned as given. It is TensesOf(name).Running: the tenses
// are the one list of labels, so the status page, the demo and Slack word a task alike.
func Label(name string) string { return TensesOf(name).Running }

// LabelOf names a task in the tense its status calls for (DefaultStatuses): "Master and
// standby switched" once it succeeded, "Switching master and standby failed" once it
// failed, "Switching master and standby" while it runs or when it ended otherwise.
func LabelOf(name, status string) string { return Phrase(name, DefaultStatuses().Outcome(status)) }

// KnownTaskNames returns the task names the DCS task center is known to use, sorted: those
// of the vendor's ListCenterTask page and of its example response; the simulator plays the
// same names. A filter naming another task is not wrong (the list may be incomplete) but
// is suspect.
func KnownTaskNames() []string { return slices.Sorted(maps.Keys(tenses)) }

// IsKnownTaskName reports whether name is one of KnownTaskNames.
func IsKnownTaskName(name string) bool {
	_, ok := tenses[name]
	return ok
}

// Tenses is how a task reads while it runs, once it succeeded and once it failed: "Adding
// a replica", "Replica added", "Adding a replica failed".
type Tenses struct{ Running, Succeeded, Failed string }

// tenses are the readable names of the task names the DCS task center is known to use, in
// each tense: the one list of known task names and of their labels.
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
