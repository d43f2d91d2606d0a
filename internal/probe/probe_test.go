package probe

import (
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"notifier/internal/testkit/testutil"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"notifier/internal/config"
	"notifier/internal/dcssim"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const (
	project = "0123456789abcdef0123456789abcdef"
	ak, sk  = "PROBEAKPROBEAKPROBE1", "probe-sk-must-never-leak-0123456789"
)

// env is a simulator serving project, with a history of 40 finished tasks over 20 days.
type env struct {
	sim   *dcssim.Sim
	srv   *httptest.Server
	clock *testutil.Clock
}

func newEnv(t *testing.T, o dcssim.Options, tasks int) *env {
	t.Helper()
	c := testutil.NewClock(time.Now().UTC().Truncate(time.Second))
	o.AK, o.SK, o.Now = ak, sk, c.Now
	sim := dcssim.New(o)
	sim.AddProject(project)
	sim.PutAll(project, dcssim.SeedHistory(project, tasks, c.Now().Add(-20*24*time.Hour), c.Now().Add(-time.Hour)))
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return &env{sim, srv, c}
}

// configFor is a configuration with the one project at endpoint, credentials from PROBE_AK
// and PROBE_SK.
func configFor(t *testing.T, endpoint string, extra string) *config.Config {
	t.Helper()
	cfg, err := config.Load([]byte(`
[dcs]
ak_env = "PROBE_AK"
sk_env = "PROBE_SK"
` + extra + `
[[dcs.projects]]
name = "prod-eu"
region = "eu-west-101"
project_id = "` + project + `"
endpoint = "` + endpoint + `"
`))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func getenv(sk string) func(string) string {
	return func(k string) string {
		return map[string]string{"PROBE_AK": ak, "PROBE_SK": sk}[k]
	}
}

func (e *env) probe(t *testing.T, extra string) *ProjectReport {
	t.Helper()
	rep, err := Run(t.Context(), Options{
		Config: configFor(t, e.srv.URL, extra), Getenv: getenv(sk), Now: e.clock.Now, Wait: e.clock.Wait,
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Projects) != 1 || rep.Usable != rep.Projects[0].Usable {
		t.Fatalf("report: %+v", rep)
	}
	return rep.Projects[0]
}

// TestVerdictsMatchTheSimulator: in every variant the simulator plays, the probe says what it
// does.
func TestVerdictsMatchTheSimulator(t *testing.T) {
	tests := []struct {
		name   string
		sim    dcssim.Options
		usable bool
		order  string
		count  string
		cap    int
		start  string // verdict for start_time
		begin  string // verdict for begin_time
		on     string
		format string // a key of TimeFormats
		warn   string // in a warning, when set
		line   string // in the config lines, when set
	}{
		{name: "documented", usable: true, order: OrderNewestFirst, count: CountTotal, start: WindowFilters, begin: WindowIgnored,
			on: WindowOnCreate, format: "created_at 2006-01-02T15:04:05.000Z", line: `start_time_param = "start_time"`},
		{name: "oldest first", sim: dcssim.Options{Order: dcssim.OrderOldestFirst}, usable: true, order: OrderOldestFirst, count: CountTotal,
			start: WindowFilters, begin: WindowIgnored, on: WindowOnCreate, warn: "oldest_first, not newest first"},
		{name: "unsorted", sim: dcssim.Options{Order: dcssim.OrderUnsorted}, usable: true, order: OrderUnsorted, count: CountTotal,
			start: WindowFilters, begin: WindowIgnored, on: WindowOnCreate, warn: "unsorted, not newest first"},
		{name: "page cap", sim: dcssim.Options{PageCap: 7}, usable: true, order: OrderNewestFirst, count: CountTotal, cap: 7,
			start: WindowFilters, begin: WindowIgnored, on: WindowOnCreate, line: "page_size = 7"},
		{name: "task_count is the page size", sim: dcssim.Options{CountIsPageSize: true}, usable: true, order: OrderNewestFirst,
			count: CountPageSize, start: WindowFilters, begin: WindowIgnored, on: WindowOnCreate},
		{name: "page cap and task_count the page size", sim: dcssim.Options{PageCap: 7, CountIsPageSize: true}, usable: false,
			order: OrderNewestFirst, count: CountPageSize, cap: 7, start: WindowFilters, begin: WindowIgnored, on: WindowOnCreate,
			line: "page_size = 7"},
		{name: "begin_time only", sim: dcssim.Options{StartParam: "begin_time"}, usable: true, order: OrderNewestFirst, count: CountTotal,
			start: WindowIgnored, begin: WindowFilters, on: WindowOnCreate, line: `start_time_param = "begin_time"  # "auto" finds it too`},
		{name: "no filter at all", sim: dcssim.Options{IgnoreWindow: true}, usable: true, order: OrderNewestFirst, count: CountTotal,
			start: WindowIgnored, begin: WindowIgnored, on: Unknown, warn: "neither start_time nor begin_time filters", line: "neither name filters"},
		{name: "window on updated_at", sim: dcssim.Options{WindowOn: "updated_at"}, usable: true, order: OrderNewestFirst, count: CountTotal,
			start: WindowFilters, begin: WindowIgnored, on: WindowOnUpdate},
		{name: "times in whole seconds", sim: dcssim.Options{TimeFormat: dcssim.TimeLayoutSeconds}, usable: true, order: OrderNewestFirst,
			count: CountTotal, start: WindowFilters, begin: WindowIgnored, on: WindowOnCreate, format: "updated_at 2006-01-02T15:04:05Z"},
		{name: "times with a space", sim: dcssim.Options{TimeFormat: dcssim.TimeLayoutSpace}, usable: true, order: OrderNewestFirst,
			count: CountTotal, start: WindowFilters, begin: WindowIgnored, on: WindowOnCreate, format: "created_at 2006-01-02 15:04:05",
			warn: "without a zone (created_at 2006-01-02 15:04:05) are read as UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newEnv(t, tt.sim, 40).probe(t, "")
			if p.Usable != tt.usable || p.Order != tt.order || p.TaskCount != tt.count || p.PageCap != tt.cap ||
				p.LimitHonoured != Yes || p.OffsetHonoured != Yes || !p.Complete || p.Tasks != 40 {
				t.Errorf("usable %v order %s task_count %s cap %d limit %s offset %s complete %v tasks %d; want %v %s %s %d yes yes true 40\nproblems %q",
					p.Usable, p.Order, p.TaskCount, p.PageCap, p.LimitHonoured, p.OffsetHonoured, p.Complete, p.Tasks,
					tt.usable, tt.order, tt.count, tt.cap, p.Problems)
			}
			if w := p.Window; w == nil || w.Verdicts["start_time"] != tt.start || w.Verdicts["begin_time"] != tt.begin || w.FiltersOn != tt.on {
				t.Errorf("window %+v, want start_time %s, begin_time %s, on %s", w, tt.start, tt.begin, tt.on)
			}
			if tt.format != "" && p.TimeFormats[tt.format] != 40 {
				t.Errorf("time formats %v, want %q ×40", p.TimeFormats, tt.format)
			}
			if tt.warn != "" && !slices.ContainsFunc(p.Warnings, func(w string) bool { return strings.Contains(w, tt.warn) }) {
				t.Errorf("warnings %q lack %q", p.Warnings, tt.warn)
			}
			if p.Credential != "accepted" || !p.Reachable || p.TLS != "none (the endpoint is plain http)" || p.Throttled != 0 {
				t.Errorf("credential %q reachable %v tls %q throttled %d", p.Credential, p.Reachable, p.TLS, p.Throttled)
			}
			if p.Recent == nil || p.Recent.Tasks != 40 {
				t.Errorf("last 30 days: %+v, want 40 tasks", p.Recent)
			}
			if tt.line != "" {
				rep := &Report{Projects: []*ProjectReport{p}}
				if lines := strings.Join(advise(configFor(t, "http://x", ""), rep.Projects), "\n"); !strings.Contains(lines, tt.line) {
					t.Errorf("config lines lack %q:\n%s", tt.line, lines)
				}
			}
		})
	}
}

// TestThrottlingIsRetriedAndReported: the gateway's rate limit answers 429 APIGW.0308 without
// Retry-After; the probe waits 3 s (on the simulator's clock), retries and says so.
func TestThrottlingIsRetriedAndReported(t *testing.T) {
	e := newEnv(t, dcssim.Options{RateLimit: 3}, 40)
	before := e.clock.Now()
	p := e.probe(t, "max_requests_per_second = 1000") // the budget's spacing: 2 ms at most, halved
	if !p.Usable || p.Throttled == 0 || !strings.Contains(p.Throttle, "HTTP 429 APIGW.0308, no Retry-After") {
		t.Fatalf("usable %v, throttled %d (%q), problems %q", p.Usable, p.Throttled, p.Throttle, p.Problems)
	}
	// On the simulator's clock: 3 s a throttling answer, and the budget's spacing of the
	// few dozen requests.
	if waited, want := e.clock.Now().Sub(before), time.Duration(p.Throttled)*throttleWait; waited < want || waited > want+200*time.Millisecond {
		t.Errorf("waited %v for %d answers", waited, p.Throttled)
	}
	if p.Window.Verdicts["start_time"] != WindowFilters {
		t.Errorf("verdicts under throttling: %v", p.Window.Verdicts)
	}
}

// TestNewNamesAndStatusesAreFlagged: a task name and a status the notifier does not know are
// counted and marked new; the config lines name the status.
func TestNewNamesAndStatusesAreFlagged(t *testing.T) {
	e := newEnv(t, dcssim.Options{}, 10)
	now := e.clock.Now()
	e.sim.Put(project, dcssim.Task{ID: "n1", Name: "FlushData", Status: "PAUSED", CreatedAt: now.Add(-time.Minute)})
	e.sim.Put(project, dcssim.Task{ID: "old", Name: "AncientJob", Status: "SUCCESS", CreatedAt: now.Add(-40 * 24 * time.Hour), UpdatedAt: now.Add(-40 * 24 * time.Hour)})
	rep, err := Run(t.Context(), Options{Config: configFor(t, e.srv.URL, ""), Getenv: getenv(sk), Now: e.clock.Now, Wait: e.clock.Wait})
	if err != nil {
		t.Fatal(err)
	}
	c := rep.Projects[0].Recent
	if c.Tasks != 11 || !slices.Contains(c.Names, Count{Value: "FlushData", Count: 1, New: true}) ||
		!slices.Contains(c.Statuses, Count{Value: "PAUSED", Count: 1, New: true}) ||
		slices.ContainsFunc(c.Names, func(n Count) bool { return n.Value == "AncientJob" || n.New && n.Value != "FlushData" }) {
		t.Errorf("census %+v", c)
	}
	if lines := strings.Join(rep.ConfigLines, "\n"); !strings.Contains(lines, "# new statuses seen: PAUSED") {
		t.Errorf("config lines:\n%s", lines)
	}
}

// TestFewTasks: with no task at all nothing can be compared; the probe says so and the
// project is still usable.
func TestFewTasks(t *testing.T) {
	p := newEnv(t, dcssim.Options{}, 0).probe(t, "")
	if !p.Usable || p.Order != Unknown || p.LimitHonoured != Unknown || p.Window != nil || !p.Complete {
		t.Errorf("%+v", p)
	}
}

// TestRefusals: what the probe says when the API refuses or cannot be reached.
func TestRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env) (endpoint, secret, extra string)
		want  string // in the problems
	}{
		{"wrong secret key", func(t *testing.T, e *env) (string, string, string) {
			return e.srv.URL, "wrong-secret-wrong-secret-wrong-secret", ""
		}, "HTTP 401 APIGW.0301 (Incorrect IAM authentication information: verify aksk signature fail): the secret key in $PROBE_SK does not belong to the access key in $PROBE_AK"},
		{"no permission", func(t *testing.T, e *env) (string, string, string) {
			e.sim.InjectFault(dcssim.Fault{Status: http.StatusForbidden})
			return e.srv.URL, sk, ""
		}, "may not read DCS in project " + project + " (eu-west-101): it likely lacks the DCS ReadOnlyAccess policy"},
		{"wrong endpoint", func(t *testing.T, e *env) (string, string, string) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(http.StatusNotFound)
				_, _ = w.Write([]byte(`{"error_code":"APIGW.0101","error_msg":"The API does not exist"}`))
			}))
			t.Cleanup(srv.Close)
			return srv.URL, sk, ""
		}, "HTTP 404 APIGW.0101: The API does not exist: the endpoint http://127.0.0.1"},
		{"nothing listens", func(t *testing.T, e *env) (string, string, string) {
			srv := httptest.NewServer(http.NotFoundHandler())
			srv.Close()
			return srv.URL, sk, ""
		}, "unreachable: connection refused"},
		{"certificate not trusted", func(t *testing.T, e *env) (string, string, string) {
			srv := httptest.NewUnstartedServer(e.sim)
			srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake
			srv.StartTLS()
			t.Cleanup(srv.Close)
			return srv.URL, sk, ""
		}, "unreachable: TLS failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, dcssim.Options{}, 5)
			endpoint, secret, extra := tt.setup(t, e)
			rep, err := Run(t.Context(), Options{Config: configFor(t, endpoint, extra), Getenv: getenv(secret), Now: e.clock.Now, Wait: e.clock.Wait})
			if err != nil {
				t.Fatal(err)
			}
			p := rep.Projects[0]
			if rep.Usable || p.Usable || !slices.ContainsFunc(p.Problems, func(s string) bool { return strings.Contains(s, tt.want) }) {
				t.Errorf("usable %v, problems %q; want %q", rep.Usable, p.Problems, tt.want)
			}
			var b strings.Builder
			rep.WriteText(&b)
			if strings.Contains(b.String(), secret) || strings.Contains(b.String(), sk) {
				t.Errorf("the secret key is in the report:\n%s", b.String())
			}
		})
	}
}

// TestTLSReported: over TLS the version and the certificate are reported.
func TestTLSReported(t *testing.T) {
	e := newEnv(t, dcssim.Options{}, 5)
	srv := httptest.NewTLSServer(e.sim)
	t.Cleanup(srv.Close)
	rep, err := Run(t.Context(), Options{Config: configFor(t, srv.URL, "insecure_skip_verify = true"), Getenv: getenv(sk), Now: e.clock.Now, Wait: e.clock.Wait})
	if err != nil {
		t.Fatal(err)
	}
	if p := rep.Projects[0]; !p.Usable || !strings.HasPrefix(p.TLS, "TLS 1.3, certificate for example.com by ") || !strings.Contains(p.TLS, "NOT verified") {
		t.Errorf("usable %v, tls %q", p.Usable, p.TLS)
	}
}

func TestConfigErrors(t *testing.T) {
	e := newEnv(t, dcssim.Options{}, 0)
	for _, tt := range []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"unknown project", Options{Project: "ffffffffffffffffffffffffffffffff", Getenv: getenv(sk)}, "--project ffffffffffffffffffffffffffffffff is not in dcs.projects (configured: " + project + ")"},
		{"credentials unset", Options{}, "dcs.ak_env, dcs.sk_env: not set in the environment: PROBE_AK, PROBE_SK"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Config = configFor(t, e.srv.URL, "")
			_, err := Run(t.Context(), tt.o)
			var ce *ConfigError
			if !errors.As(err, &ce) || err.Error() != tt.wantErr {
				t.Errorf("err = %v, want a ConfigError %q", err, tt.wantErr)
			}
		})
	}
	if e.sim.Stats().Requests != 0 {
		t.Errorf("a config error sent %d requests", e.sim.Stats().Requests)
	}
}
