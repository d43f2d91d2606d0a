package app_test

import (
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/diff"
	"notifier/internal/state"
)

// The status page shows the window parameter "auto" learned, not "auto" forever, on an
// API that keeps start_time (as documented, and as the simulator does): a notifier that
// restarts over a state from a day ago learns start_time at its first poll (the state knew a
// task older than the window, and the listing left it out), and a later restart shows it
// from the state before any poll.
func TestStatusPageShowsTheLearnedWindow(t *testing.T) {
	now := time.Now().UTC()
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	old := dcssim.Task{ID: "8abf0000000000000000000000000011", Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(-25 * time.Hour)}
	sim.Put(statusProject, old)
	sim.Put(statusProject, dcssim.Task{ID: "8abf0000000000000000000000000012", Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(-time.Hour)})
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)

	// The state an earlier run left: it saw the old task, inside its window then.
	dir := t.TempDir()
	fs, err := state.OpenFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	snap := state.Empty()
	snap.Projects[statusProject] = &diff.ProjectState{Horizon: now.Add(-49 * time.Hour).UnixMilli(), LastOK: now.Add(-time.Minute).UnixMilli(),
		Tasks: diff.TasksOf(map[string]diff.TaskState{old.ID: {Status: "SUCCESS", Created: old.CreatedAt.UnixMilli()}})}
	if err := fs.Save(t.Context(), snap); err != nil {
		t.Fatal(err)
	}
	if err := fs.Close(); err != nil {
		t.Fatal(err)
	}

	cfg := config.Default()
	cfg.DCS.AKEnv, cfg.DCS.SKEnv, cfg.DCS.SecurityTokenEnv = "T_AK", "T_SK", ""
	cfg.DCS.Projects = []config.Project{{Name: "prod-eu", Region: "eu-west-101", ProjectID: statusProject, Endpoint: api.URL}}
	cfg.NATS.URL = ""
	cfg.State.Path = dir
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"T_AK": testAK, "T_SK": testSK}
	start := func() *app.App {
		a, err := app.New(&cfg, app.Deps{Log: zerolog.Nop(), Version: "test", Getenv: func(k string) string { return env[k] }})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	window := func(a *app.App, when string) (string, bool) {
		t.Helper()
		p := a.StatusPage(t.Context(), time.Now())
		if len(p.Projects) != 1 {
			t.Fatalf("%s: projects %+v", when, p.Projects)
		}
		return p.Projects[0].WindowParam, p.Projects[0].WindowLearned
	}

	a := start()
	if param, learned := window(a, "before the first poll"); param != "auto" || learned {
		t.Errorf("before the first poll: window %q, learned %v; want auto, not learned", param, learned)
	}
	if err := a.Once(t.Context(), io.Discard); err != nil {
		t.Fatalf("Once: %v", err)
	}
	if param, learned := window(a, "after the first poll"); param != "start_time" || !learned {
		t.Errorf("after the first poll: window %q, learned %v; want start_time, learned", param, learned)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	a = start()
	t.Cleanup(func() { a.Close() })
	if param, learned := window(a, "after a restart"); param != "start_time" || !learned {
		t.Errorf("after a restart, before any poll: window %q, learned %v; want start_time from the state", param, learned)
	}
}
