package dcs

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"notifier/internal/dcssim"
)

const (
	project = "0123456789abcdef0123456789abcdef"
	ak, sk  = "TESTAKTESTAKTESTAK12", "test-sk-must-never-leak-0123456789"
)

func newSim(t *testing.T) (*dcssim.Sim, *httptest.Server) {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	sim.AddProject(project)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv
}

func newClient(t *testing.T, endpoint string, mod ...func(*Options)) *Client {
	t.Helper()
	o := Options{Region: "cn-north-4", ProjectID: project, Endpoint: endpoint, Credentials: Credentials{AK: ak, SK: sk}, Timeout: 5 * time.Second}
	for _, m := range mod {
		m(&o)
	}
	c, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestListAgainstSimulator(t *testing.T) {
	sim, srv := newSim(t)
	now := time.Now().UTC()
	for i := range 5 {
		sim.Put(project, dcssim.Task{ID: fmt.Sprintf("t%d", i), Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(time.Duration(-i) * time.Hour)})
	}
	c := newClient(t, srv.URL)
	p, err := c.List(t.Context(), Query{Offset: 1, Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 5 || len(p.Tasks) != 2 || p.Tasks[0].ID != "t1" || p.Tasks[1].ID != "t2" {
		t.Fatalf("offset/limit not honoured: count %d tasks %+v", p.Count, p.Tasks)
	}
	// The window reaches the server: only tasks created in the last 90 minutes.
	p, err = c.List(t.Context(), Query{Limit: 10, Start: now.Add(-90 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tasks) != 2 {
		t.Errorf("start_time not honoured: %d tasks", len(p.Tasks))
	}
}

func TestWrongCredentialsAreAnAuthError(t *testing.T) {
	_, srv := newSim(t)
	c := newClient(t, srv.URL, func(o *Options) { o.Credentials.SK = "wrong-secret-key-wrong-secret-key" })
	_, err := c.List(t.Context(), Query{Limit: 10})
	if !IsAuth(err) {
		t.Fatalf("err = %v, want an auth error", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-key") {
		t.Error("the secret key is in the error")
	}
}

func TestErrorClasses(t *testing.T) {
	tests := []struct {
		name       string
		fault      dcssim.Fault
		check      func(error) bool
		retryAfter time.Duration
	}{
		{name: "500", fault: dcssim.Fault{Status: 500}, check: func(err error) bool { var ae *APIError; return errors.As(err, &ae) && ae.Status == 500 }},
		{name: "429 with Retry-After", fault: dcssim.Fault{Status: 429, RetryAfter: "7"}, check: IsThrottled, retryAfter: 7 * time.Second},
		{name: "429 without Retry-After", fault: dcssim.Fault{Status: 429}, check: IsThrottled},
		{name: "403", fault: dcssim.Fault{Status: 403}, check: IsAuth},
		{name: "html with 200", fault: dcssim.Fault{Status: 200, Body: "<html>maintenance</html>"}, check: func(err error) bool { return errors.Is(err, ErrDecode) }},
		{name: "truncated body", fault: dcssim.Fault{Truncate: true}, check: func(err error) bool {
			var te *TransportError
			return errors.As(err, &te) || errors.Is(err, ErrDecode)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv := newSim(t)
			sim.Put(project, dcssim.Task{ID: "x", Name: "modify", Status: "RUNNING", CreatedAt: time.Now(), Params: strings.Repeat("p", 4096)})
			sim.InjectFault(tt.fault)
			_, err := newClient(t, srv.URL).List(t.Context(), Query{Limit: 10})
			if err == nil || !tt.check(err) {
				t.Fatalf("err = %v (%T)", err, err)
			}
			if got, _ := RetryAfter(err); got != tt.retryAfter {
				t.Errorf("retry after %v, want %v", got, tt.retryAfter)
			}
		})
	}
}

func TestTimeoutAndCancel(t *testing.T) {
	sim, srv := newSim(t)
	sim.InjectFault(dcssim.Fault{Delay: time.Hour})
	c := newClient(t, srv.URL, func(o *Options) { o.Timeout = 50 * time.Millisecond })
	var te *TransportError
	if _, err := c.List(t.Context(), Query{Limit: 10}); !errors.As(err, &te) {
		t.Fatalf("a server that never answers: err = %v, want a transport error", err)
	}
	sim.InjectFault(dcssim.Fault{Delay: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := newClient(t, srv.URL).List(ctx, Query{Limit: 10}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}

func TestRedirectIsNotFollowed(t *testing.T) {
	var hits int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		t.Errorf("redirect followed, Authorization sent: %q", r.Header.Get("Authorization"))
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/v2/x/tasks", http.StatusFound)
	}))
	defer redirector.Close()
	_, err := newClient(t, redirector.URL).List(t.Context(), Query{Limit: 10})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != http.StatusFound || ae.Location == "" {
		t.Fatalf("err = %v", err)
	}
	if hits != 0 {
		t.Error("the other host was contacted")
	}
}

func TestBodyLimit(t *testing.T) {
	sim, srv := newSim(t)
	sim.Put(project, dcssim.Task{ID: "big", Name: "modify", Status: "SUCCESS", CreatedAt: time.Now(), Params: strings.Repeat("x", 1<<20)})
	c := newClient(t, srv.URL, func(o *Options) { o.MaxBodyBytes = 512 << 10 })
	if _, err := c.List(t.Context(), Query{Limit: 10}); !errors.Is(err, ErrDecode) || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v", err)
	}
	c = newClient(t, srv.URL)
	p, err := c.List(t.Context(), Query{Limit: 10})
	if err != nil || len(p.Tasks) != 1 {
		t.Fatalf("a 1 MB params string under the limit must decode: %v", err)
	}
}

func TestEndpoint(t *testing.T) {
	if got, err := Endpoint("cn-north-4", ""); err != nil || got != "https://dcs.cn-north-4.myhuaweicloud.com" {
		t.Errorf("cn-north-4: %q %v", got, err)
	}
	if _, err := Endpoint("xx-1", ""); err == nil || !strings.Contains(err.Error(), `unknown region "xx-1"`) {
		t.Errorf("xx-1: %v", err)
	}
	if got, _ := Endpoint("xx-1", "https://dcs.example.internal/"); got != "https://dcs.example.internal" {
		t.Errorf("override: %q", got)
	}
}

// TestOptionsNeverPrintTheKeys: Options and Client, printed any way, show neither the SK
// nor the security token (the AK is an identifier, but it is hidden as well).
func TestOptionsNeverPrintTheKeys(t *testing.T) {
	o := Options{Region: "cn-north-4", ProjectID: project, Endpoint: "https://example.invalid",
		Credentials: Credentials{AK: ak, SK: sk, SecurityToken: "security-token-never-shown"}}
	c, err := NewClient(o)
	if err != nil {
		t.Fatal(err)
	}
	out := fmt.Sprintf("%v %+v %#v %v %+v", o, o, o, c, *c)
	for _, secret := range []string{sk, "security-token-never-shown", ak} {
		if strings.Contains(out, secret) {
			t.Errorf("printing shows %q: %s", secret, out)
		}
	}
}

// TestQueryParamOverridesStartParam: Query.Param sends the window under another name for one
// request, and the client's own name otherwise.
func TestQueryParamOverridesStartParam(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk, StartParam: "begin_time"})
	sim.AddProject(project)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	now := time.Now().UTC()
	for i := range 3 {
		sim.Put(project, dcssim.Task{ID: fmt.Sprintf("t%d", i), Status: "SUCCESS", CreatedAt: now.Add(time.Duration(-i) * time.Hour)})
	}
	c := newClient(t, srv.URL) // start_time, which this server ignores
	start := now.Add(-90 * time.Minute)
	for _, tt := range []struct {
		param string
		want  int
	}{{"", 3}, {"start_time", 3}, {"begin_time", 2}} {
		p, err := c.List(t.Context(), Query{Limit: 10, Start: start, Param: tt.param})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Tasks) != tt.want {
			t.Errorf("Param %q: %d tasks, want %d", tt.param, len(p.Tasks), tt.want)
		}
	}
}
