package web

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/status"
)

// Before anything is served (the first configuration's state loading), the process is
// alive but not ready: /healthz 200, /readyz 503 saying it is starting, in its usual
// shape, anything else 503.
func TestEndpointsBeforeTheFirstApp(t *testing.T) {
	s := &Server{}
	for path, want := range map[string]int{"/healthz": http.StatusOK, "/readyz": http.StatusServiceUnavailable, "/metrics": http.StatusServiceUnavailable} {
		rec := httptest.NewRecorder()
		s.serveSource(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != want {
			t.Errorf("GET %s while starting = %d %s, want %d", path, rec.Code, rec.Body, want)
		}
	}
	rec := httptest.NewRecorder()
	s.serveSource(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	var r status.Readiness
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || r.Status != "not ready" || len(r.Reasons) != 1 ||
		!strings.HasPrefix(r.Reasons[0], "starting") || r.Projects == nil || r.Problems == nil {
		t.Errorf("/readyz while starting = %s (%v), want not ready, starting, lists not null", rec.Body, err)
	}
}

// A web config that cannot be served fails the start, naming the key, before anything
// listens; the listener has the timeouts it should.
func TestListenRefusesABadWebConfig(t *testing.T) {
	h := config.HTTP{Listen: "127.0.0.1:0", WebConfigFile: filepath.Join(t.TempDir(), "missing.yml")}
	if s, err := Listen(Options{HTTP: h, Log: zerolog.Nop()}); err == nil || !strings.Contains(err.Error(), "http.web_config_file") {
		s.Close()
		t.Fatalf("Listen with a missing web config = %v, want an error naming http.web_config_file", err)
	}
	srv := newServer(http.NotFoundHandler(), zerolog.Nop())
	if srv.ReadTimeout != 5*time.Minute || srv.WriteTimeout != 5*time.Minute || srv.IdleTimeout != 5*time.Minute ||
		srv.ReadHeaderTimeout != 5*time.Second {
		t.Errorf("timeouts read %v, write %v, idle %v, header %v; want Prometheus' 5m and a 5s header",
			srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout, srv.ReadHeaderTimeout)
	}
}

// A busy http.listen port is found by Listen, before anything runs (so a reload to such a
// port keeps what runs), and the error names the key; "" listens nowhere.
func TestListenOnABusyPortFails(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	if s, err := Listen(Options{HTTP: config.HTTP{Listen: taken.Addr().String()}, Log: zerolog.Nop()}); err == nil ||
		!strings.Contains(err.Error(), "http.listen") {
		s.Close()
		t.Fatalf("Listen on a busy port = %v, want an error naming http.listen", err)
	}
	s, err := Listen(Options{HTTP: config.HTTP{Listen: "127.0.0.1:0"}, Log: zerolog.Nop()})
	if err != nil || s.Addr() == "" {
		t.Fatalf("Listen on a free port = %v, %v", s, err)
	}
	s.Close()
	if s, err := Listen(Options{Log: zerolog.Nop()}); s != nil || err != nil || s.Addr() != "" || s.Failed() != nil {
		t.Errorf("Listen without http.listen = %v, %v; want nothing served", s, err)
	}
}

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

// The server failing while it serves is reported (Failed), naming http.listen and the
// address, rather than logged while the notifier runs on without endpoints: run and the
// demo stop on it.
func TestServerFailureIsReported(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bl := &brokenListener{Listener: ln, broken: make(chan struct{})}
	s := start(bl, Options{Log: zerolog.Nop()})
	defer s.Close()
	select {
	case err := <-s.Failed():
		t.Fatalf("failed before the listener broke: %v", err)
	default:
	}
	close(bl.broken)
	select {
	case err := <-s.Failed():
		if !errors.Is(err, errAccept) || !strings.Contains(err.Error(), "http.listen "+bl.Addr().String()) {
			t.Fatalf("Failed = %v, want the accept error naming http.listen and the address", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no failure reported 15s after the listener broke")
	}
}
