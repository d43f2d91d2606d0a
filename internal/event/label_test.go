package event

import "testing"

func TestTensesCoverLabels(t *testing.T) {
	for _, n := range KnownTaskNames() {
		tn, ok := tenses[n]
		if !ok || tn.Running == "" || tn.Succeeded == "" || tn.Failed == "" {
			t.Errorf("%s has no tenses: %+v", n, tn)
		}
	}
	if len(tenses) != len(labels) {
		t.Errorf("%d tenses for %d labels", len(tenses), len(labels))
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
