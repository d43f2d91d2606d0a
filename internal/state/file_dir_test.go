package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"notifier/internal/diff"
	"notifier/internal/event"
)

// pev is an event of a project.
func pev(project, id string) event.Event {
	e := ev(id)
	e.Data.ProjectID = project
	return e
}

func tasks(n int) *diff.ProjectState {
	m := map[string]diff.TaskState{}
	for i := range n {
		m[fmt.Sprintf("t%d", i)] = diff.TaskState{Status: "SUCCESS", Created: int64(i), Seq: 1}
	}
	return &diff.ProjectState{Horizon: int64(n), Tasks: diff.TasksOf(m)}
}

// snapJSON is a snapshot's JSON with empty outboxes and project maps alike.
func snapJSON(t *testing.T, s *Snapshot) string {
	t.Helper()
	c := *s
	if len(c.Outbox) == 0 {
		c.Outbox = nil
	}
	if c.Projects == nil {
		c.Projects = map[string]*diff.ProjectState{}
	}
	b, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// openCounting opens a file store that records the names of the files it writes or removes.
func openCounting(t *testing.T, dir string) (*File, *[]string) {
	t.Helper()
	f, err := OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	var names []string
	f.wrote = func(name string) { names = append(names, name) }
	return f, &names
}

func reload(t *testing.T, dir string) *Snapshot {
	t.Helper()
	f, err := OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := f.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func projectFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, ProjectsDir))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A save writes the files of the projects that changed, and only them: a commit its
// project's, a delivery the projects of the events delivered, Touch+Flush the touched one.
func TestFileWritesOnlyChangedProjects(t *testing.T) {
	dir := t.TempDir()
	f, wrote := openCounting(t, dir)
	snap, err := f.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	l, _ := NewLedger(f, snap, []string{"nats", "slack"})
	for _, p := range []string{"p1", "p2", "p3"} {
		if err := l.Commit(t.Context(), p, tasks(3), nil); err != nil {
			t.Fatal(err)
		}
	}
	step := func(what string, want []string, do func() error) {
		t.Helper()
		*wrote = nil
		if err := do(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(*wrote)
		if !slices.Equal(*wrote, want) {
			t.Errorf("%s: files written %v, want %v", what, *wrote, want)
		}
	}
	step("commit of p2 with events", []string{"p2.json"}, func() error {
		return l.Commit(t.Context(), "p2", tasks(4), []event.Event{pev("p2", "a"), pev("p2", "b")})
	})
	step("commit of p1 with an event", []string{"p1.json"}, func() error {
		return l.Commit(t.Context(), "p1", tasks(4), []event.Event{pev("p1", "c")})
	})
	step("nats delivered one event of p2", []string{"p2.json"}, func() error { return l.Done(t.Context(), "nats", []string{"a"}) })
	step("nats delivered an event of p1 and one of p2", []string{"p1.json", "p2.json"}, func() error {
		return l.Done(t.Context(), "nats", []string{"b", "c"})
	})
	step("a delivery of nothing pending", nil, func() error { return l.Done(t.Context(), "nats", []string{"a"}) })
	step("touch of p3, flushed", []string{"p3.json"}, func() error {
		l.Touch("p3", tasks(5))
		return l.Flush(t.Context())
	})
	step("the same snapshot again", nil, func() error { return f.Save(t.Context(), l.snap) })
	want := snapJSON(t, l.snap)
	f.Close()
	if got := snapJSON(t, reload(t, dir)); got != want {
		t.Errorf("after a restart:\n got %.400s\nwant %.400s", got, want)
	}
}

// The ledger hands events out oldest first; the order across projects survives a restart,
// and so does a delivery that went across two projects.
func TestFileOrderAcrossProjectsSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	f, _ := openCounting(t, dir)
	l, _ := NewLedger(f, Empty(), []string{"nats", "slack"})
	var ids []string
	for i, p := range []string{"p2", "p1", "p3", "p1", "p2", "p9", "p1"} {
		id := fmt.Sprintf("e%02d", i)
		ids = append(ids, id)
		if err := l.Commit(t.Context(), p, tasks(i+1), []event.Event{pev(p, id)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Done(t.Context(), "nats", []string{"e00", "e01"}); err != nil { // p2 and p1
		t.Fatal(err)
	}
	f.Close()
	g, _ := openCounting(t, dir)
	snap, err := g.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	l2, _ := NewLedger(g, snap, []string{"nats", "slack"})
	pendingIDs := func(sink string) []string {
		var got []string
		for _, e := range l2.Pending(sink, 100) {
			got = append(got, e.ID)
		}
		return got
	}
	if got := pendingIDs("slack"); !slices.Equal(got, ids) {
		t.Errorf("slack pending after restart %v, want %v", got, ids)
	}
	if got := pendingIDs("nats"); !slices.Equal(got, ids[2:]) {
		t.Errorf("nats pending after restart %v, want %v", got, ids[2:])
	}
	// New events after the restart come after the old ones, also across restarts.
	if err := l2.Commit(t.Context(), "p0", tasks(1), []event.Event{pev("p0", "e99")}); err != nil {
		t.Fatal(err)
	}
	g.Close()
	var got []string
	for _, p := range reload(t, dir).Outbox {
		got = append(got, p.Event.ID)
	}
	if want := append(slices.Clone(ids), "e99"); !slices.Equal(got, want) {
		t.Errorf("outbox after a second restart %v, want %v", got, want)
	}
}

// A project no longer in the snapshot with nothing pending loses its file; one with only
// pending events keeps a file without a state until they are delivered.
func TestFileRemovesProjectsWithNothingLeft(t *testing.T) {
	dir := t.TempDir()
	f, _ := openCounting(t, dir)
	s := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"a": tasks(1), "b": tasks(2)},
		Outbox: []Pending{{Event: pev("gone", "x"), Sinks: []string{"nats"}}}}
	if err := f.Save(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if got := projectFiles(t, dir); !slices.Equal(got, []string{"a.json", "b.json", "gone.json"}) {
		t.Fatalf("files %v", got)
	}
	back, err := f.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := back.Projects["gone"]; ok || len(back.Outbox) != 1 {
		t.Errorf("a project with only pending events: %s", snapJSON(t, back))
	}
	s = &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"b": s.Projects["b"]}}
	if err := f.Save(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	if got := projectFiles(t, dir); !slices.Equal(got, []string{"b.json"}) {
		t.Errorf("files after a and gone have nothing left: %v", got)
	}
}

// Project ids that are not plain names are encoded: every file stays in the directory,
// no two collide (also where case is ignored), and each comes back under its id.
func TestFileHostileProjectIDs(t *testing.T) {
	ids := []string{"", ".", "..", "../x", "a/b", "/etc/passwd", "A", "a", "x.json", "~61", "~~", "lock",
		"sp ace", "nul\x00l", "ünï", strings.Repeat("a", 128), strings.Repeat("a", 129), strings.Repeat("B", 100),
		strings.Repeat("B", 101), strings.Repeat("z", 300) + "1", strings.Repeat("z", 300) + "2", "0123456789abcdef0123456789abcdef"}
	dir := t.TempDir()
	f, _ := openCounting(t, dir)
	s := Empty()
	names := map[string]string{}
	for i, id := range ids {
		s.Projects[id] = tasks(i + 1)
		s.Outbox = append(s.Outbox, Pending{Event: pev(id, fmt.Sprintf("e%d", i)), Sinks: []string{"nats"}})
		name := strings.ToLower(ProjectFileName(id))
		if other, ok := names[name]; ok {
			t.Errorf("ids %q and %q share the file %s", id, other, name)
		}
		names[name] = id
		if strings.ContainsAny(name, "/\x00") || strings.HasPrefix(name, ".") || len(name) > 255 {
			t.Errorf("id %q: file name %q", id, name)
		}
	}
	if err := f.Save(t.Context(), s); err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got := len(projectFiles(t, dir)); got != len(ids) {
		t.Errorf("%d project files for %d projects", got, len(ids))
	}
	top, _ := os.ReadDir(dir)
	for _, e := range top {
		if e.Name() != ProjectsDir && e.Name() != "lock" {
			t.Errorf("a file outside %s: %s", ProjectsDir, e.Name())
		}
	}
	if got, want := snapJSON(t, reload(t, dir)), snapJSON(t, s); got != want {
		t.Errorf("round trip:\n got %.300s\nwant %.300s", got, want)
	}
}

// A project file that cannot be read is an error naming it, never a fresh start.
func TestFileCorruptProjectFileIsAnError(t *testing.T) {
	for name, c := range map[string]struct{ file, content, want string }{
		"garbage":     {"p.json", "not json", "unreadable"},
		"truncated":   {"p.json", `{"version":1,"id":"p","project":{"tasks":{"a":`, "unreadable"},
		"version":     {"p.json", `{"version":9,"id":"p","project":{"tasks":{}}}`, "unreadable"},
		"null tasks":  {"p.json", `{"version":1,"id":"p","project":{"tasks":null}}`, "unreadable"},
		"empty":       {"p.json", `{"version":1,"id":"p"}`, "unreadable"},
		"foreign":     {"p.json", `{"version":1,"id":"p","outbox":[{"order":1,"event":{"id":"x","data":{"project_id":"q"}},"sinks":["nats"]}]}`, "unreadable"},
		"no order":    {"p.json", `{"version":1,"id":"p","outbox":[{"event":{"id":"x","data":{"project_id":"p"}},"sinks":["nats"]}]}`, "unreadable"},
		"renamed":     {"q.json", `{"version":1,"id":"p","project":{"tasks":{}}}`, "holds project"},
		"bad outbox":  {"p.json", `{"version":1,"id":"p","outbox":[{"order":1,"event":{},"sinks":[]}]}`, "unreadable"},
		"trailing":    {"p.json", `{"version":1,"id":"p","project":{"tasks":{}}} {}`, "unreadable"},
		"not a file":  {"p.json", "", "is a directory"},
		"second good": {"p.json", `{"version":1,"id":"p","project":{"tasks":{}}}x`, "unreadable"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, ProjectsDir, c.file)
			os.MkdirAll(filepath.Dir(path), 0o700)
			good := filepath.Join(dir, ProjectsDir, "good.json")
			if err := os.WriteFile(good, []byte(`{"version":1,"id":"good","project":{"tasks":{}}}`), 0o600); err != nil {
				t.Fatal(err)
			}
			if name == "not a file" {
				// A directory named like a project file is skipped, not read: not an error.
				if err := os.Mkdir(path, 0o700); err != nil {
					t.Fatal(err)
				}
				if s := reload(t, dir); len(s.Projects) != 1 {
					t.Errorf("projects %v", s.Projects)
				}
				return
			}
			if err := os.WriteFile(path, []byte(c.content), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := OpenFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			_, err = f.Load(t.Context())
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), path) {
				t.Fatalf("err = %v, want an error naming %s with %q", err, path, c.want)
			}
		})
	}
}

// copyState copies the state files of dir (not the lock) to a new directory: what a crash
// at this instant would leave.
func copyState(t *testing.T, dir string) string {
	t.Helper()
	to := t.TempDir()
	if err := os.MkdirAll(filepath.Join(to, ProjectsDir), 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{FileName, filepath.Join(ProjectsDir, "*")} {
		matches, _ := filepath.Glob(filepath.Join(dir, name))
		for _, m := range matches {
			b, err := os.ReadFile(m)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			rel, _ := filepath.Rel(dir, m)
			if err := os.WriteFile(filepath.Join(to, rel), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	return to
}

// A save stopped after any file of it (a crash) leaves a consistent state: every project
// with its pending events at the previous snapshot or the new one, as a pair.
func TestFileCrashInTheMiddleOfASave(t *testing.T) {
	dir := t.TempDir()
	f, _ := openCounting(t, dir)
	prev := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"a": tasks(1), "b": tasks(1), "c": tasks(1)},
		Outbox: []Pending{{Event: pev("a", "a1"), Sinks: []string{"nats"}}, {Event: pev("b", "b1"), Sinks: []string{"nats", "slack"}}}}
	if err := f.Save(t.Context(), prev); err != nil {
		t.Fatal(err)
	}
	next := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"a": tasks(2), "b": prev.Projects["b"], "d": tasks(2)},
		Outbox: []Pending{{Event: pev("b", "b1"), Sinks: []string{"slack"}}, {Event: pev("a", "a2"), Sinks: []string{"nats"}}, {Event: pev("d", "d1"), Sinks: []string{"nats"}}}}
	var crashes []string
	f.wrote = func(string) { crashes = append(crashes, copyState(t, dir)) }
	if err := f.Save(t.Context(), next); err != nil {
		t.Fatal(err)
	}
	if len(crashes) != 4 { // a, b, d written, c removed
		t.Errorf("%d files written or removed, want 4", len(crashes))
	}
	for i, c := range crashes {
		checkMix(t, fmt.Sprintf("crash %d", i), reload(t, c), prev, next)
	}
}

// checkMix checks that every project of got, state and pending events, is as in prev or
// as in next, and that the outbox is in order.
func checkMix(t *testing.T, what string, got, prev, next *Snapshot) {
	t.Helper()
	of := func(s *Snapshot, p string) string {
		var pend []Pending
		for _, e := range s.Outbox {
			if e.Event.Data.ProjectID == p {
				pend = append(pend, e)
			}
		}
		b, _ := json.Marshal(struct {
			S *diff.ProjectState
			P []Pending
		}{s.Projects[p], pend})
		return string(b)
	}
	for _, p := range []string{"a", "b", "c", "d"} {
		if g := of(got, p); g != of(prev, p) && g != of(next, p) {
			t.Errorf("%s: project %s is %s, neither the previous %s nor the new %s", what, p, g, of(prev, p), of(next, p))
		}
	}
	rank := map[string]int{"a1": 1, "b1": 2, "a2": 3, "d1": 4}
	for i := 1; i < len(got.Outbox); i++ {
		if rank[got.Outbox[i-1].Event.ID] > rank[got.Outbox[i].Event.ID] {
			t.Errorf("%s: outbox out of order: %v", what, got.Outbox)
		}
	}
}

// A state directory of an earlier version (one state.json) is loaded and migrated by the
// next save; state.json is authoritative until the project files are complete, whatever
// step a crash interrupts.
func TestFileMigratesStateJSON(t *testing.T) {
	dir := t.TempDir()
	old := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"a": tasks(1), "b": tasks(2), "A/B": tasks(3)},
		Outbox: []Pending{{Event: pev("b", "b1"), Sinks: []string{"nats"}}, {Event: pev("a", "a1"), Sinks: []string{"nats", "slack"}}}}
	b, _ := json.Marshal(old)
	if err := os.WriteFile(filepath.Join(dir, FileName), b, 0o600); err != nil {
		t.Fatal(err)
	}
	// Left by an interrupted migration: another state of a, and a project not in state.json.
	os.MkdirAll(filepath.Join(dir, ProjectsDir), 0o700)
	for name, content := range map[string]string{
		"a.json":     `{"version":1,"id":"a","project":{"horizon":99,"tasks":{}}}`,
		"stray.json": `{"version":1,"id":"stray","project":{"tasks":{}}}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, ProjectsDir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	want := snapJSON(t, old)
	f, _ := openCounting(t, dir)
	snap, err := f.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := snapJSON(t, snap); got != want {
		t.Fatalf("state.json must be authoritative:\n got %s\nwant %s", got, want)
	}
	var crashes []string
	f.wrote = func(string) { crashes = append(crashes, copyState(t, dir)) }
	l, _ := NewLedger(f, snap, []string{"nats", "slack"})
	if err := l.Flush(t.Context()); err != nil { // nothing to save
		t.Fatal(err)
	}
	if err := f.Save(t.Context(), snap); err != nil { // the first save
		t.Fatal(err)
	}
	// Every step: a, b, A/B written, stray removed, state.json removed.
	if len(crashes) != 5 {
		t.Errorf("%d steps, want 5", len(crashes))
	}
	for i, c := range crashes {
		if got := snapJSON(t, reload(t, c)); got != want {
			t.Errorf("crash after step %d loads\n %s\nwant %s", i, got, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, FileName)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("state.json after the migration: %v", err)
	}
	if got := projectFiles(t, dir); !slices.Equal(got, []string{"a.json", "b.json", ProjectFileName("A/B")}) {
		t.Errorf("project files after the migration: %v", got)
	}
	// Order kept, and the next save writes only what changed.
	crashes = nil
	var wrote []string
	f.wrote = func(name string) { wrote = append(wrote, name) }
	if err := l.Done(t.Context(), "slack", []string{"a1"}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(wrote, []string{"a.json"}) {
		t.Errorf("after the migration a delivery wrote %v, want [a.json]", wrote)
	}
	f.Close()
	back := reload(t, dir)
	if len(back.Outbox) != 2 || back.Outbox[0].Event.ID != "b1" || back.Outbox[1].Event.ID != "a1" {
		t.Errorf("outbox after the migration: %v", back.Outbox)
	}
}

// A save that fails after some of its files were written returns the error; the store
// still knows what each file holds, so the next save (of the previous snapshot, as the
// ledger does after a failed commit, or of the new one) puts every file right.
func TestFileSaveThatFailsHalfway(t *testing.T) {
	for _, retry := range []string{"previous", "new"} {
		t.Run(retry, func(t *testing.T) {
			dir := t.TempDir()
			f, _ := openCounting(t, dir)
			prev := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"a": tasks(1), "b": tasks(1), "c": tasks(1)},
				Outbox: []Pending{{Event: pev("a", "a1"), Sinks: []string{"nats"}}}}
			if err := f.Save(t.Context(), prev); err != nil {
				t.Fatal(err)
			}
			next := &Snapshot{Version: Version, Projects: map[string]*diff.ProjectState{"a": tasks(2), "b": tasks(2), "c": tasks(2)},
				Outbox: []Pending{{Event: pev("c", "c1"), Sinks: []string{"nats"}}}}
			f.failWrite = func(name string) error {
				if name == "b.json" {
					return errors.New("disk full")
				}
				return nil
			}
			if err := f.Save(t.Context(), next); err == nil || !strings.Contains(err.Error(), "disk full") {
				t.Fatalf("save: %v, want the error", err)
			}
			checkMix(t, "after the failed save", readState(t, dir), prev, next)
			f.failWrite = nil
			want := prev
			if retry == "new" {
				want = next
			}
			if err := f.Save(t.Context(), want); err != nil {
				t.Fatal(err)
			}
			if got := snapJSON(t, readState(t, dir)); got != snapJSON(t, want) {
				t.Errorf("after the next save:\n got %s\nwant %s", got, snapJSON(t, want))
			}
		})
	}
}

func readState(t *testing.T, dir string) *Snapshot {
	t.Helper()
	s, err := ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// The temporary project files of a crashed save are removed at the next start; project
// files and files not ours are left alone.
func TestFileTemporaryProjectFilesAreRemovedAtStart(t *testing.T) {
	dir := t.TempDir()
	projects := filepath.Join(dir, ProjectsDir)
	os.MkdirAll(projects, 0o700)
	left := filepath.Join(projects, ".tmp-123456")
	keep := map[string]string{
		filepath.Join(projects, "p.json"): `{"version":1,"id":"p","project":{"tasks":{}}}`,
		filepath.Join(projects, "README"): "mine",
	}
	os.WriteFile(left, []byte("{"), 0o600)
	for name, content := range keep {
		if err := os.WriteFile(name, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s := reload(t, dir)
	if _, err := os.Stat(left); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("leftover %s after start: %v", left, err)
	}
	for name := range keep {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if s.Projects["p"] == nil {
		t.Errorf("project p not loaded: %s", snapJSON(t, s))
	}
}
