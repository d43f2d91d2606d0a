package app

import (
	"errors"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/dcssim"
)

// brokenListener accepts nothing and fails for good once broken is closed, as a listener
// out of file descriptors does.
type brokenListener struct {
	net.Listener
	broken chan struct{}
}

var errAccept = errors.New("accept: too many open files")

func (l *brokenListener) Accept() (net.Conn, error) {
	<-l.broken
	return nil, errAccept
}

// TestHTTPFailureStopsRun: the HTTP server failing while the notifier runs stops the
// other components, and Run returns its error naming http.listen rather than logging it
// and running on without endpoints.
func TestHTTPFailureStopsRun(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: kvAK, SK: kvSK})
	sim.AddProject(kvProject)
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	cfg := config.Default()
	cfg.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: kvProject, Endpoint: api.URL}}
	cfg.Poll.Interval = config.Duration(100 * time.Millisecond)
	cfg.NATS.URL = ""
	cfg.State.Path = t.TempDir()
	cfg.HTTP.Listen = "127.0.0.1:0"
	a, err := New(&cfg, Deps{
		Log:    zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel),
		Getenv: func(k string) string { return map[string]string{"CLOUD_SDK_AK": kvAK, "CLOUD_SDK_SK": kvSK}[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	bl := &brokenListener{Listener: a.ln, broken: make(chan struct{})}
	a.ln = bl
	done := make(chan error, 1)
	go func() { done <- a.Run(t.Context()) }()
	deadline := time.Now().Add(10 * time.Second)
	for testutil.ToFloat64(a.m.Polls.WithLabelValues(kvProject, "ok")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no poll within 10s")
		}
		time.Sleep(10 * time.Millisecond)
	}

	close(bl.broken)
	select {
	case err := <-done:
		if !errors.Is(err, errAccept) || !strings.Contains(err.Error(), "http.listen "+bl.Addr().String()) {
			t.Fatalf("Run = %v, want the accept error naming http.listen and the address", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Run went on for 15s after its HTTP server failed")
	}
}
