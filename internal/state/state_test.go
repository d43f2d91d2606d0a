package state

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

func ev(id string) event.Event { return event.Event{SpecVersion: "1.0", ID: id, Subject: "t-" + id} }

func TestFileRoundTripAndLock(t *testing.T) {
	dir := t.TempDir()
	f, err := OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap, err := f.Load(t.Context())
	if err != nil || len(snap.Projects) != 0 {
		t.Fatalf("fresh load: %v %v", snap, err)
	}
	snap.Projects["p"] = &diff.ProjectState{Horizon: 5, Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: "RUNNING", Created: 7, Seq: 1}})}
	snap.Outbox = []Pending{{Event: ev("e1"), Sinks: []string{"nats"}}}
	if err := f.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenFile(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second open: %v, want ErrLocked", err)
	}
	f.Close()
	g, err := OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	back, err := g.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if back.Projects["p"].Tasks.Map()["a"] != snap.Projects["p"].Tasks.Map()["a"] || back.Outbox[0].Event.ID != "e1" {
		t.Errorf("round trip: %+v", back)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestUnreadableStateIsAnError(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":     "not json",
		"truncated":   `{"version":1,"projects":{"p":{"horizon":1,"tasks":{"a":`,
		"old version": `{"version":99,"projects":{}}`,
		"null tasks":  `{"version":1,"projects":{"p":{"horizon":1,"tasks":null}}}`,
		"bad outbox":  `{"version":1,"projects":{},"outbox":[{"event":{},"sinks":[]}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, FileName), []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := OpenFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = f.Load(t.Context())
			if err == nil || !strings.Contains(err.Error(), "unreadable") {
				t.Fatalf("err = %v, want an 'unreadable' error, never a silent reset", err)
			}
		})
	}
}

func TestUnwritableDirectory(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes into read-only directories")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if _, err := OpenFile(dir); err == nil {
		t.Fatal("opening a read-only state directory must fail at start")
	}
}

// failingStore fails every save while fail is set.
type failingStore struct {
	saved *Snapshot
	fail  bool
}

func (s *failingStore) Load(context.Context) (*Snapshot, error) { return Empty(), nil }
func (s *failingStore) Save(_ context.Context, snap *Snapshot) error {
	if s.fail {
		return errors.New("disk full")
	}
	s.saved = snap
	return nil
}
func (s *failingStore) Close() error { return nil }

func TestLedgerCommitIsAllOrNothing(t *testing.T) {
	st := &failingStore{}
	l, _ := NewLedger(st, Empty(), []string{"nats", "slack[0]"})
	next := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{"a": {Status: "RUNNING"}})}
	st.fail = true
	if err := l.Commit(t.Context(), "p", next, []event.Event{ev("e1")}); err == nil {
		t.Fatal("commit must report the failed save")
	}
	if l.Project("p") != nil || l.Count("nats") != 0 {
		t.Fatal("a failed commit must leave no trace")
	}
	st.fail = false
	if err := l.Commit(t.Context(), "p", next, []event.Event{ev("e1"), ev("e2")}); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.Wake("nats"):
	default:
		t.Error("commit with events must wake the sinks")
	}
	if got := l.Pending("nats", 10); len(got) != 2 || got[0].ID != "e1" {
		t.Fatalf("pending = %v", got)
	}
	if err := l.Done(t.Context(), "nats", []string{"e1"}); err != nil {
		t.Fatal(err)
	}
	if l.Count("nats") != 1 || l.Count("slack[0]") != 2 {
		t.Errorf("counts nats %d slack %d", l.Count("nats"), l.Count("slack[0]"))
	}
	if len(st.saved.Outbox) != 2 {
		t.Errorf("saved outbox has %d events, want 2 (e1 still pending for slack)", len(st.saved.Outbox))
	}
	// A failed save of progress keeps it in memory and saves it with the next flush.
	st.fail = true
	if err := l.Done(t.Context(), "slack[0]", []string{"e1", "e2"}); err == nil {
		t.Fatal("want the save error")
	}
	if l.Count("slack[0]") != 0 {
		t.Error("progress must be kept in memory")
	}
	st.fail = false
	if err := l.Flush(t.Context()); err != nil {
		t.Fatal(err)
	}
	if len(st.saved.Outbox) != 1 || st.saved.Outbox[0].Event.ID != "e2" {
		t.Errorf("after flush the outbox is %+v, want only e2 for nats", st.saved.Outbox)
	}
}

func TestLedgerDropsSinksNoLongerConfigured(t *testing.T) {
	snap := Empty()
	snap.Outbox = []Pending{{Event: ev("a"), Sinks: []string{"oncall"}}, {Event: ev("b"), Sinks: []string{"nats", "oncall"}}}
	l, removed := NewLedger(&failingStore{}, snap, []string{"nats"})
	if removed["oncall"] != 2 || len(removed) != 1 || l.Count("nats") != 1 {
		t.Errorf("removed %v, nats pending %d: want oncall's 2 events dropped and nats keeping its 1", removed, l.Count("nats"))
	}
}

// Routing is decided at commit: each event is queued for the receivers the route names,
// and an event no receiver wants is not kept at all.
func TestLedgerQueuesEachEventForItsRoutedReceiversOnly(t *testing.T) {
	st := &failingStore{}
	route := func(e *event.Event) []string {
		switch e.ID {
		case "critical":
			return []string{"nats", "oncall", "gone"} // "gone" is not configured
		case "info":
			return []string{"nats"}
		}
		return nil
	}
	l, _ := NewLedger(st, Empty(), []string{"nats", "oncall"}, Route(route))
	next := &diff.ProjectState{Tasks: diff.TasksOf(map[string]diff.TaskState{})}
	if err := l.Commit(t.Context(), "p", next, []event.Event{ev("critical"), ev("info"), ev("nobody")}); err != nil {
		t.Fatal(err)
	}
	if got := l.Pending("oncall", 10); len(got) != 1 || got[0].ID != "critical" {
		t.Errorf("oncall's queue = %v, want [critical]", got)
	}
	if l.Count("nats") != 2 || len(st.saved.Outbox) != 2 {
		t.Errorf("nats pending %d, saved outbox %d: want 2 and 2 (nobody's event is not kept)", l.Count("nats"), len(st.saved.Outbox))
	}
}

// A crash during a save leaves its temporary file behind; the next start removes it, and
// nothing else in the directory.
func TestTemporaryFilesOfACrashedSaveAreRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	left := filepath.Join(dir, FileName+".tmp-123456")
	other := filepath.Join(dir, "notes.txt")
	for _, name := range []string{left, other} {
		if err := os.WriteFile(name, []byte("{"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f, err := OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := os.Stat(left); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("leftover %s after start: %v", filepath.Base(left), err)
	}
	if _, err := os.Stat(other); err != nil {
		t.Errorf("a file that is not ours was touched: %v", err)
	}
}
