package event

import "testing"

func TestTensesCoverLabels(t *testing.T) {
	for _, n := range KnownTaskNames() {
		tn, ok := tenses[n]
		if !ok || tn.Running == "" || tn.Succeeded == "" || tn.Failed == "" {
			t.Errorf("%s has no tenses: %+v", n, tn)
		}
	}
}

// The status page and the demo word a task as Slack does.
func TestLabelAgreesWithTheTenses(t *testing.T) {
	for _, c := range []struct{ name, status, label, of string }{
		{SwitchoverTask, "RUNNING", "Master/standby switchover", "Master/standby switchover"},
		{SwitchoverTask, "FAILED", "Master/standby switchover", "Master/standby switchover failed"},
		{SwitchoverTask, "SUCCESS", "Master/standby switchover", "Master/standby switchover succeeded"},
		{"AddReplica", "SUCCESS", "Adding a replica", "Replica added"},
		{"AddReplica", "CANCELLED", "Adding a replica", "Adding a replica"},
		{"dcsNewJob", "SUCCESS", "dcsNewJob", "dcsNewJob succeeded"},
	} {
		if got := Label(c.name); got != c.label {
			t.Errorf("Label(%s) = %q, want %q", c.name, got, c.label)
		}
		if got := LabelOf(c.name, c.status); got != c.of {
			t.Errorf("LabelOf(%s, %s) = %q, want %q", c.name, c.status, got, c.of)
		}
	}
	if !IsKnownTaskName("AddReplica") || IsKnownTaskName("dcsNewJob") || len(KnownTaskNames()) != len(tenses) {
		t.Error("the known task names are not those with tenses")
	}
}

func TestPhrase(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Outcome
		want string
	}{
		{"AddReplica", OutcomeRunning, "Adding a replica"},
		{"AddReplica", OutcomeSucceeded, "Replica added"},
		{"AddReplica", OutcomeFailed, "Adding a replica failed"},
		{"AddReplica", OutcomeEnded, "Adding a replica"},
		{"dcsNewJob", OutcomeSucceeded, "dcsNewJob succeeded"},
		{"dcsNewJob", OutcomeRunning, "dcsNewJob"},
	} {
		if got := Phrase(c.name, c.o); got != c.want {
			t.Errorf("Phrase(%s, %s) = %q, want %q", c.name, c.o, got, c.want)
		}
	}
}

// The switchover is worded as Huawei's console and docs word it ("master/standby
// switchover", the vendor's 主备切换), in every tense: a search for "switchover" finds
// every message about one.
func TestSwitchoverInTheVendorsWords(t *testing.T) {
	tn := TensesOf(SwitchoverTask)
	if tn != (Tenses{"Master/standby switchover", "Master/standby switchover succeeded", "Master/standby switchover failed"}) {
		t.Errorf("TensesOf(%s) = %+v", SwitchoverTask, tn)
	}
}
