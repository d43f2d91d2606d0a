package poller

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/dcs"
	"notifier/internal/dcssim"
	"notifier/internal/diff"
	"notifier/internal/metrics"
	"notifier/internal/state"
)

const (
	project = "0123456789abcdef0123456789abcdef"
	ak, sk  = "POLLERTESTAK0000000A", "poller-test-sk-0000000000000000000"
)

type env struct {
	sim    *dcssim.Sim
	srv    *httptest.Server
	ledger *state.Ledger
	p      *Poller
	m      *metrics.Metrics
}

// newEnv serves the simulator through wrap (nil: as is) and builds a poller committing to
// a real ledger over a file store.
func newEnv(t *testing.T, wrap func(http.Handler) http.Handler, mod ...func(*Options)) *env {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	sim.AddProject(project)
	var h http.Handler = sim
	if wrap != nil {
		h = wrap(sim)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := dcs.NewClient(dcs.Options{Region: "cn-north-4", ProjectID: project, Endpoint: srv.URL,
		Credentials: dcs.Credentials{AK: ak, SK: sk}, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := state.OpenFile(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fs.Close() })
	ledger, _ := state.NewLedger(fs, state.Empty(), []string{"test"})
	m := metrics.New(prometheus.NewRegistry(), "test")
	o := Options{
		Policy: diff.Policy{ProjectID: project, Region: "cn-north-4", Lookback: 24 * time.Hour, Margin: 10 * time.Minute,
			Terminal: map[string]bool{"SUCCESS": true, "FAILED": true}},
		PageSize: 1000, Interval: time.Minute, ActiveInterval: time.Second, MaxBackoff: time.Minute,
		Lister: c, Ledger: ledger, Metrics: m,
	}
	for _, f := range mod {
		f(&o)
	}
	return &env{sim: sim, srv: srv, ledger: ledger, m: m, p: mustNew(t, o)}
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

func (e *env) put(id, name, status string, created time.Time) {
	e.sim.Put(project, dcssim.Task{ID: id, Name: name, Status: status, CreatedAt: created, UserName: "ops"})
}

func (e *env) cycle(t *testing.T) []string {
	t.Helper()
	res, err := e.p.Cycle(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range res.Events {
		out = append(out, ev.Subject+":"+ev.Data.PreviousStatus+">"+ev.Data.Status)
	}
	return out
}

func TestCyclesAnnounceEachTransitionOnce(t *testing.T) {
	e := newEnv(t, nil)
	now := time.Now()
	e.put("old", "EXTEND", "SUCCESS", now.Add(-time.Hour))
	if got := e.cycle(t); len(got) != 0 {
		t.Fatalf("baseline announced %v", got)
	}
	e.put("swap", "masterStandbySwapJob", "RUNNING", now)
	if got := fmt.Sprint(e.cycle(t)); got != "[swap:>RUNNING]" {
		t.Fatalf("got %s", got)
	}
	if got := e.cycle(t); len(got) != 0 {
		t.Fatalf("nothing changed, got %v", got)
	}
	if err := e.sim.SetStatus(project, "swap", "FAILED"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(e.cycle(t)); got != "[swap:RUNNING>FAILED]" {
		t.Fatalf("got %s", got)
	}
	if n := e.ledger.Count("test"); n != 2 {
		t.Errorf("pending %d, want the 2 events committed", n)
	}
}

// TestPaginationWithInsertsMidScan inserts new tasks at the head of the list after the
// first page is served: the shifted list repeats tasks on the next page, and none may be
// missed or announced twice.
func TestPaginationWithInsertsMidScan(t *testing.T) {
	var e *env
	var inserted atomic.Bool
	now := time.Now()
	e = newEnv(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r)
			if r.URL.Query().Get("offset") == "0" && inserted.Load() == false && e != nil && e.ledger.Project(project) != nil {
				inserted.Store(true)
				for i := range 3 {
					e.put(fmt.Sprintf("new%d", i), "AddWhitelist", "RUNNING", now.Add(time.Duration(i)*time.Second))
				}
			}
		})
	}, func(o *Options) { o.PageSize = 10 })
	for i := range 25 {
		e.put(fmt.Sprintf("h%02d", i), "EXTEND", "SUCCESS", now.Add(-time.Duration(i+1)*time.Minute))
	}
	e.cycle(t) // baseline: 25 tasks over 3 pages
	if got := len(e.ledger.Project(project).Tasks); got != 25 {
		t.Fatalf("baseline recorded %d tasks, want 25", got)
	}
	// A new task arrives, then three more while the poll is past page one.
	e.put("first", "BindEip", "RUNNING", now.Add(-time.Second))
	got := e.cycle(t)
	if !inserted.Load() {
		t.Fatal("the inserts never happened")
	}
	if len(got) != 1 || got[0] != "first:>RUNNING" {
		t.Fatalf("first poll: %v", got)
	}
	// Tasks inserted mid-scan are found by the next poll, each once.
	got = e.cycle(t)
	if fmt.Sprint(got) != "[new0:>RUNNING new1:>RUNNING new2:>RUNNING]" {
		t.Fatalf("second poll: %v", got)
	}
	if n := len(e.ledger.Project(project).Tasks); n != 29 {
		t.Errorf("state holds %d tasks, want 29", n)
	}
}

func TestFailedPollChangesNothing(t *testing.T) {
	faults := []struct {
		name  string
		fault dcssim.Fault
	}{
		{"500", dcssim.Fault{Status: 500}},
		{"502 html", dcssim.Fault{Status: 502, Body: "<html>bad gateway</html>"}},
		{"429", dcssim.Fault{Status: 429, RetryAfter: "2"}},
		{"401", dcssim.Fault{Status: 401}},
		{"html 200", dcssim.Fault{Status: 200, Body: "<html>login</html>"}},
		{"truncated", dcssim.Fault{Truncate: true}},
	}
	for _, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			e := newEnv(t, nil, func(o *Options) { o.PageSize = 2 })
			now := time.Now()
			e.put("a", "EXTEND", "RUNNING", now.Add(-3*time.Minute))
			e.put("b", "modify", "RUNNING", now.Add(-2*time.Minute))
			e.put("c", "BindEip", "RUNNING", now.Add(-time.Minute))
			e.cycle(t)
			before := e.ledger.Project(project)
			_ = e.sim.SetStatus(project, "a", "SUCCESS")
			_ = e.sim.SetStatus(project, "c", "FAILED")
			// The first page is fine; the second fails: the whole poll fails.
			e.sim.InjectFault(dcssim.Fault{Status: 0}) // consumed by page one, answered normally
			e.sim.InjectFault(f.fault)
			res, err := e.p.Cycle(t.Context())
			if err == nil {
				t.Fatal("want an error")
			}
			if len(res.Events) != 0 || e.ledger.Project(project) != before || e.ledger.Count("test") != 0 {
				t.Fatalf("a failed poll produced events %d or changed state", len(res.Events))
			}
			if got := testutil.ToFloat64(e.m.Polls.WithLabelValues(project, "error")); got != 1 {
				t.Errorf("polls{result=error} = %v", got)
			}
			// The next poll sees both transitions.
			if got := e.cycle(t); len(got) != 2 {
				t.Errorf("after recovery: %v", got)
			}
		})
	}
}

func TestIgnoredWindowIsDetectedAndBounded(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk, StartParam: "begin_time"})
	sim.AddProject(project)
	srv := httptest.NewServer(sim)
	defer srv.Close()
	now := time.Now()
	var hist []dcssim.Task
	for i := range 5000 {
		hist = append(hist, dcssim.Task{ID: fmt.Sprintf("h%05d", i), Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(-48*time.Hour - time.Duration(i)*time.Minute)})
	}
	sim.PutAll(project, hist)
	sim.Put(project, dcssim.Task{ID: "recent", Name: "EXTEND", Status: "RUNNING", CreatedAt: now.Add(-time.Minute)})
	c, _ := dcs.NewClient(dcs.Options{Region: "cn-north-4", ProjectID: project, Endpoint: srv.URL, Credentials: dcs.Credentials{AK: ak, SK: sk}})
	fs, _ := state.OpenFile(t.TempDir())
	defer fs.Close()
	ledger, _ := state.NewLedger(fs, state.Empty(), nil)
	m := metrics.New(prometheus.NewRegistry(), "test")
	p := mustNew(t, Options{Policy: diff.Policy{ProjectID: project, Lookback: 24 * time.Hour, Margin: 10 * time.Minute,
		Terminal: map[string]bool{"SUCCESS": true}}, PageSize: 1000, Lister: c, Ledger: ledger, Metrics: m})
	if _, err := p.Cycle(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := sim.Requests(project); got != 1 {
		t.Errorf("requests = %d: paging must stop at the first page older than the window", got)
	}
	if got := testutil.ToFloat64(m.WindowIgnored.WithLabelValues(project)); got != 1 {
		t.Errorf("window_ignored_total = %v, want 1", got)
	}
	if got := len(ledger.Project(project).Tasks); got != 1 {
		t.Errorf("state holds %d tasks, want only the recent one", got)
	}
}
