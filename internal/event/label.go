package event

import (
	"maps"
	"slices"
)

// Label returns the readable name of a task while it runs, for people: "Master/standby
// switchover" for masterStandbySwapJob, as a Slack card of the running task says it. A
// name it does not know is returned as given. It is TensesOf(name).Running: the tenses
// are the one list of labels, so the status page, the demo, Slack, PagerDuty and
// Alertmanager word a task alike.
func Label(name string) string { return TensesOf(name).Running }

// LabelOf names a task in the tense its status calls for (DefaultStatuses): "Master/standby
// switchover succeeded" once it succeeded, "Master/standby switchover failed" once it
// failed, "Master/standby switchover" while it runs or when it ended otherwise.
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
// each tense: the one list of known task names and of their labels (docs/events.md shows
// it). They are the vendor's words, from the task names of the ListCenterTask page:
// masterStandbySwapJob is its 主备切换, the "master/standby switchover" of Huawei's
// console and docs; EXTEND its 变更规格 (change specifications), DelReplica 删除副本
// (delete replica), AddWhitelist 设置IP白名单 (set IP whitelist), RemoveIpFromDns
// 域名摘除IP (remove an IP from the domain name). The switchover keeps its noun: the
// running tense is "Master/standby switchover", which a headline follows with "started".
var tenses = map[string]Tenses{
	SwitchoverTask:       {"Master/standby switchover", "Master/standby switchover succeeded", "Master/standby switchover failed"},
	"EXTEND":             {"Changing the specifications", "Specifications changed", "Changing the specifications failed"},
	"ChangeInstanceSpec": {"Changing the specifications", "Specifications changed", "Changing the specifications failed"},
	"BindEip":            {"Enabling public access", "Public access enabled", "Enabling public access failed"},
	"UnBindEip":          {"Disabling public access", "Public access disabled", "Disabling public access failed"},
	"AddReplica":         {"Adding a replica", "Replica added", "Adding a replica failed"},
	"DelReplica":         {"Deleting a replica", "Replica deleted", "Deleting a replica failed"},
	"AddWhitelist":       {"Setting the IP whitelist", "IP whitelist set", "Setting the IP whitelist failed"},
	"UpdatePort":         {"Changing the port", "Port changed", "Changing the port failed"},
	"RemoveIpFromDns":    {"Removing an IP from the domain name", "IP removed from the domain name", "Removing an IP from the domain name failed"},
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
