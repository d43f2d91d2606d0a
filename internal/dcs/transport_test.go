package dcs

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"notifier/internal/dcssim"
)

// TestProjectsShareConnections: the clients of many projects on one endpoint, built
// without a transport of their own, reuse one connection for requests one after the other
// (a fleet of 1,000 projects does not keep 1,000 connections open).
func TestProjectsShareConnections(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: ak, SK: sk})
	var mu sync.Mutex
	conns := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		conns[r.RemoteAddr] = true
		mu.Unlock()
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	const n = 20
	for i := range n {
		id := project[:30] + string(rune('a'+i/10)) + string(rune('0'+i%10))
		sim.AddProject(id)
		c := newClient(t, srv.URL, func(o *Options) { o.ProjectID = id })
		if _, err := c.List(t.Context(), Query{Limit: 10}); err != nil {
			t.Fatal(err)
		}
	}
	if len(conns) != 1 {
		t.Fatalf("%d projects polled one after the other used %d connections, want 1 shared", n, len(conns))
	}
}
