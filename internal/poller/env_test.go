package poller

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/dcs"
	"notifier/internal/dcssim"
	"notifier/internal/diff"
	"notifier/internal/event"
	"notifier/internal/metrics"
	"notifier/internal/state"
	"notifier/internal/testkit/testutil"
)

const (
	project = "0123456789abcdef0123456789abcdef"
	ak, sk  = "POLLERTESTAK0000000A", "poller-test-sk-0000000000000000000"
	sink    = "test" // the one receiver of every env's ledger
)

// env is a poller over a real DCS client and an HTTP server (the simulator unless the
// test brings its own API), committing to a real ledger, logging into logs.
type env struct {
	sim    *dcssim.Sim
	srv    *httptest.Server
	ledger *state.Ledger
	p      *Poller
	m      *metrics.Metrics
	logs   *testutil.SyncBuffer
}

// setup is what an env differs in; the zero value is the simulator as is, over a new
// file store.
type setup struct {
	sim     dcssim.Options                  // AK and SK are set by newEnv
	wrap    func(http.Handler) http.Handler // serves the API instead of the simulator
	maxBody int64                           // the client's dcs.max_body_bytes; 0: default
	store   state.Store                     // the ledger's store, loaded; nil: a new File
}

// newEnv builds the env s describes, with the poller's options changed by mod.
func newEnv(t testing.TB, s setup, mod ...func(*Options)) *env {
	t.Helper()
	s.sim.AK, s.sim.SK = ak, sk
	sim := dcssim.New(s.sim)
	sim.AddProject(project)
	var h http.Handler = sim
	if s.wrap != nil {
		h = s.wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := dcs.NewClient(dcs.Options{Region: "cn-north-4", ProjectID: project, Endpoint: srv.URL,
		Credentials: dcs.Credentials{AK: ak, SK: sk}, Timeout: 5 * time.Second, MaxBodyBytes: s.maxBody})
	if err != nil {
		t.Fatal(err)
	}
	if s.store == nil {
		fs, err := state.OpenFile(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { fs.Close() })
		s.store = fs
	}
	snap, err := s.store.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ledger, _ := state.NewLedger(s.store, snap, []string{sink})
	e := &env{sim: sim, srv: srv, ledger: ledger, m: metrics.New(prometheus.NewRegistry(), "test"), logs: &testutil.SyncBuffer{}}
	o := Options{
		Policy: diff.Policy{ProjectID: project, Region: "cn-north-4", Lookback: 24 * time.Hour, Margin: 10 * time.Minute,
			Terminal: map[string]bool{"SUCCESS": true, "FAILED": true}},
		PageSize: 1000, Interval: time.Minute, ActiveInterval: time.Second, MaxBackoff: time.Minute,
		Lister: c, Ledger: ledger, Log: zerolog.New(e.logs), Metrics: e.m,
	}
	for _, f := range mod {
		f(&o)
	}
	e.p = mustNew(t, o)
	return e
}

// simClient is a real DCS client of the test project at url (the simulator's).
func simClient(t testing.TB, url string) *dcs.Client {
	t.Helper()
	c, err := dcs.NewClient(dcs.Options{Region: "cn-north-4", ProjectID: project, Endpoint: url,
		Credentials: dcs.Credentials{AK: ak, SK: sk}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// fileLedger is a ledger over a new file store, with the one receiver sink.
func fileLedger(t testing.TB) *state.Ledger {
	t.Helper()
	fs, err := state.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	snap, err := fs.Load(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	ledger, _ := state.NewLedger(fs, snap, []string{sink})
	return ledger
}

// mustNew builds a Poller or fails the test.
func mustNew(t testing.TB, o Options) *Poller {
	t.Helper()
	p, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// put adds or replaces a task of the simulator's project.
func (e *env) put(id, name, status string, created time.Time) {
	e.sim.Put(project, dcssim.Task{ID: id, Name: name, Status: status, CreatedAt: created, UserName: "ops"})
}

// cycle polls once and returns the events as "task:previous>status", failing the test if
// the poll fails.
func (e *env) cycle(t *testing.T) []string {
	t.Helper()
	res, err := e.p.Cycle(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return transitions(res)
}

// transitions are a poll's task events as "task:previous>status" (the events about the
// watch itself, such as a restored blind spot, are left out).
func transitions(res diff.Result) []string {
	var out []string
	for _, ev := range res.Events {
		if ev.Type == event.TypeRestored || ev.Type == event.TypeGap {
			continue
		}
		out = append(out, ev.Subject+":"+ev.Data.PreviousStatus+">"+ev.Data.Status)
	}
	return out
}

// restored returns the poll's restored event, if any.
func restored(res diff.Result) *event.Event {
	for i := range res.Events {
		if res.Events[i].Type == event.TypeRestored {
			return &res.Events[i]
		}
	}
	return nil
}
