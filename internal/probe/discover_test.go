package probe

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/dcssim"
	"notifier/internal/testkit/testutil"
)

// Two accounts on one simulator: A (ak, sk, the [dcs] credential) and B (its own, from
// dcs.discover[1]).
const (
	akB, skB  = "PROBEBAKPROBEBAKPROB", "probe-b-sk-must-never-leak-0123456"
	a1, a2    = "a1000000000000000000000000000000", "a2000000000000000000000000000000"
	aEU, aOut = "a3000000000000000000000000000000", "a4000000000000000000000000000000"
	b1, bMars = "b1000000000000000000000000000000", "b2000000000000000000000000000000"
)

type fleetEnv struct {
	sim   *dcssim.Sim
	srv   *httptest.Server
	clock *testutil.Clock
	cfg   *config.Config
}

// newFleetEnv: account A has project (explicit in dcs.projects), a1 and a2 in cn-north-4
// (a2 a sub-project), aEU in eu-west-101 and aOut unnamed; B has b1 in cn-east-3 and bMars
// in a region without DCS. dcs.discover[0] is A's in cn-north-4 only, dcs.discover[1] B's
// in every region.
func newFleetEnv(t *testing.T, extra string) *fleetEnv {
	t.Helper()
	c := testutil.NewClock(time.Now().UTC().Truncate(time.Second))
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk, Now: c.Now, RecordArrivals: true})
	sim.AddAccount(akB, skB)
	for _, p := range []struct{ owner, id, name string }{
		{ak, project, "cn-north-4"}, {ak, a1, "cn-north-4"}, {ak, a2, "cn-north-4_team"}, {ak, aEU, "eu-west-101"},
		{ak, aOut, ""}, {akB, b1, "cn-east-3"}, {akB, bMars, "mars-1"},
	} {
		sim.AddProjectFor(p.owner, p.id, p.name)
		sim.PutAll(p.id, dcssim.SeedHistory(p.id, 12, c.Now().Add(-10*24*time.Hour), c.Now().Add(-time.Hour)))
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg, err := config.Load([]byte(`
[dcs]
ak_env = "PROBE_AK"
sk_env = "PROBE_SK"
` + extra + `
[[dcs.projects]]
region = "cn-north-4"
project_id = "` + project + `"
endpoint = "` + srv.URL + `"

[[dcs.discover]]
name = "acct-a"
regions = ["cn-north-4"]
iam_endpoint = "` + srv.URL + `"
endpoint = "` + srv.URL + `"

[[dcs.discover]]
regions = ["*"]
ak_env = "PROBE_B_AK"
sk_env = "PROBE_B_SK"
iam_endpoint = "` + srv.URL + `"
endpoint = "` + srv.URL + `"
`))
	if err != nil {
		t.Fatal(err)
	}
	return &fleetEnv{sim, srv, c, cfg}
}

func fleetGetenv(skOfB string) func(string) string {
	return func(k string) string {
		return map[string]string{"PROBE_AK": ak, "PROBE_SK": sk, "PROBE_B_AK": akB, "PROBE_B_SK": skOfB}[k]
	}
}

func (e *fleetEnv) run(t *testing.T, o Options) *Report {
	t.Helper()
	o.Config, o.Now, o.Wait = e.cfg, e.clock.Now, e.clock.Wait
	rep, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func skipped(r *DiscoveryReport) map[string]string {
	out := map[string]string{}
	for _, s := range r.Skipped {
		out[s.ID] = s.Reason
	}
	return out
}

// TestDiscoveryProbedAsServeWatches: the probe lists each entry's projects, keeps those
// serve would watch, says why it skips the others, and probes the explicit project and every
// discovered one, each with its account's credential.
func TestDiscoveryProbedAsServeWatches(t *testing.T) {
	e := newFleetEnv(t, "")
	var progress strings.Builder
	rep := e.run(t, Options{Getenv: fleetGetenv(skB), Progress: &progress})
	if !rep.Usable || len(rep.Discovery) != 2 {
		t.Fatalf("usable %v, discovery %+v, problems %q", rep.Usable, rep.Discovery, rep.Problems)
	}
	a, b := rep.Discovery[0], rep.Discovery[1]
	if !a.Usable || a.Credential != "accepted" || a.Listed != 4 || !slices.Equal(a.Watched, []string{a1, a2}) ||
		!sameMap(skipped(a), map[string]string{project: SkipExplicit, aEU: dcs.SkipNotInRegions}) {
		t.Errorf("dcs.discover[0]: %+v", a)
	}
	if !b.Usable || b.Listed != 2 || !slices.Equal(b.Watched, []string{b1}) ||
		!sameMap(skipped(b), map[string]string{bMars: dcs.SkipNoDCS}) {
		t.Errorf("dcs.discover[1]: %+v", b)
	}
	var got []string
	for _, p := range rep.Projects {
		got = append(got, p.ProjectID+" "+p.Name+" "+p.DiscoveredBy)
		if !p.Usable || p.Order != OrderNewestFirst {
			t.Errorf("project %s: usable %v, problems %q", p.ProjectID, p.Usable, p.Problems)
		}
	}
	want := []string{project + "  ", a1 + " acct-a/cn-north-4 dcs.discover[0]", a2 + " acct-a/cn-north-4_team dcs.discover[0]", b1 + " cn-east-3 dcs.discover[1]"}
	if !slices.Equal(got, want) {
		t.Errorf("projects probed:\n%q\nwant\n%q", got, want)
	}
	if !strings.Contains(progress.String(), "probe: project 4/4 "+b1+" (cn-east-3, dcs.discover[1])\n") {
		t.Errorf("progress:\n%s", progress.String())
	}
	var text strings.Builder
	rep.WriteText(&text)
	for _, s := range []string{
		"discovery dcs.discover[0] (acct-a, regions cn-north-4) at " + e.srv.URL + ": usable\n",
		"  projects       4 listed, 2 to probe and watch, 2 skipped\n",
		"    skipped      1 in dcs.projects, which wins: cn-north-4 " + project + "\n",
		"    skipped      1 no DCS endpoint known for its region: mars-1 " + bMars + "\n",
		"project " + b1 + " (cn-east-3, cn-east-3, found by dcs.discover[1]) at " + e.srv.URL + ": usable\n",
	} {
		if !strings.Contains(text.String(), s) {
			t.Errorf("text lacks %q:\n%s", s, text.String())
		}
	}
}

func sameMap(got, want map[string]string) bool {
	if len(got) != len(want) {
		return false
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// TestDiscoveryRefused: B's secret key is wrong. IAM's 401 is explained with B's keys, the
// run is not usable, and A's projects are probed all the same.
func TestDiscoveryRefused(t *testing.T) {
	e := newFleetEnv(t, "")
	wrong := "wrong-b-secret-wrong-b-secret-wrong"
	rep := e.run(t, Options{Getenv: fleetGetenv(wrong)})
	b := rep.Discovery[1]
	want := "HTTP 401 APIGW.0301 (Incorrect IAM authentication information: verify aksk signature fail): " +
		"the secret key in $PROBE_B_SK does not belong to the access key in $PROBE_B_AK"
	if rep.Usable || b.Usable || !b.Reachable || b.Credential != want || len(b.Watched) != 0 ||
		!slices.Contains(b.Problems, "credential refused by IAM: "+want) {
		t.Errorf("usable %v, dcs.discover[1] %+v", rep.Usable, b)
	}
	if len(rep.Projects) != 3 || !rep.Discovery[0].Usable {
		t.Errorf("A's projects: %d probed", len(rep.Projects))
	}
	var text strings.Builder
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "discovery dcs.discover[1] (regions *) at "+e.srv.URL+": NOT usable\n") ||
		strings.Contains(text.String(), wrong) || strings.Contains(text.String(), skB) || strings.Contains(text.String(), sk) {
		t.Errorf("text:\n%s", text.String())
	}
}

// TestDiscoveryForbidden: a 403 from IAM is not blamed on a missing policy (listing one's
// own projects needs none) but on what can refuse it.
func TestDiscoveryForbidden(t *testing.T) {
	e := newFleetEnv(t, "")
	iam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v3/auth/projects" || !strings.HasPrefix(r.Header.Get("Authorization"), "SDK-HMAC-SHA256 Access="+akB+",") {
			t.Errorf("IAM request %s %s, authorization %q", r.Method, r.URL.Path, r.Header.Get("Authorization"))
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error_code":"APIGW.0302","error_msg":"The IAM user is not authorized to access the API","request_id":"0"}`))
	}))
	t.Cleanup(iam.Close)
	e.cfg.DCS.Discover[1].IAMEndpoint = iam.URL
	rep := e.run(t, Options{Getenv: fleetGetenv(skB)})
	b := rep.Discovery[1]
	if rep.Usable || b.Usable || !strings.Contains(b.Credential, "HTTP 403 APIGW.0302") ||
		!strings.Contains(b.Credential, "needs no IAM permission") || !strings.Contains(b.Credential, "ACL for API access") ||
		!strings.Contains(b.Credential, "access key in $PROBE_B_AK") {
		t.Errorf("usable %v, dcs.discover[1] %+v", rep.Usable, b)
	}
}

// TestDiscoveredProjectByID: --project may name a discovered project; one of dcs.projects
// is probed without listing anything.
func TestDiscoveredProjectByID(t *testing.T) {
	e := newFleetEnv(t, "")
	rep := e.run(t, Options{Getenv: fleetGetenv(skB), Project: strings.ToUpper(b1)})
	if !rep.Usable || len(rep.Projects) != 1 || rep.Projects[0].ProjectID != b1 || rep.Projects[0].DiscoveredBy != "dcs.discover[1]" || len(rep.Discovery) != 2 {
		t.Errorf("report %+v", rep)
	}
	before := e.sim.Stats().Requests
	rep = e.run(t, Options{Getenv: fleetGetenv(skB), Project: project})
	if len(rep.Projects) != 1 || rep.Discovery != nil {
		t.Errorf("report %+v", rep)
	}
	// A project no entry would watch is a configuration error, unless a listing failed.
	_, err := Run(t.Context(), Options{Config: e.cfg, Getenv: fleetGetenv(skB), Project: aEU, Now: e.clock.Now, Wait: e.clock.Wait})
	if err == nil || !strings.Contains(err.Error(), "--project "+aEU+" is not in dcs.projects (configured: "+project+") and no [[dcs.discover]] entry would watch it") {
		t.Errorf("err = %v", err)
	}
	rep = e.run(t, Options{Getenv: fleetGetenv("wrong-b-secret-wrong-b-secret-wrong"), Project: aEU})
	if rep.Usable || len(rep.Projects) != 0 || len(rep.Problems) != 1 {
		t.Errorf("report %+v", rep)
	}
	if e.sim.Stats().Requests == before {
		t.Error("no request")
	}
}

// TestBudgetSharedByAKey: every request of one access key, explicit and discovered projects
// alike, is spaced by dcs.max_requests_per_second (on the simulator's clock).
func TestBudgetSharedByAKey(t *testing.T) {
	e := newFleetEnv(t, "max_requests_per_second = 4")
	e.run(t, Options{Getenv: fleetGetenv(skB)})
	for _, key := range []string{ak, akB} {
		at := e.sim.Arrivals(key)
		if len(at) < 5 {
			t.Fatalf("%d requests of %s", len(at), key)
		}
		for i := 1; i < len(at); i++ {
			if gap := at[i].Sub(at[i-1]); gap < 250*time.Millisecond {
				t.Fatalf("requests %d and %d of one key %v apart", i-1, i, gap)
			}
		}
	}
}
