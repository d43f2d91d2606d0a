package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	toolkit "github.com/prometheus/exporter-toolkit/web"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/status"
)

// The listener's timeouts. Prometheus serves its web UI and API with --web.read-timeout
// (default 5m) as http.Server.ReadTimeout, no WriteTimeout, and so an IdleTimeout that
// falls back to the read timeout: 5m for each here, written out, so that none is
// unbounded.
//   - ReadHeaderTimeout is shorter: a client that has not sent its headers within 5s
//     (slowloris) holds a connection for nothing; every request here is a bodiless GET
//     or POST, so the headers are all there is to read.
//   - ReadTimeout 5m: Prometheus' --web.read-timeout default.
//   - WriteTimeout 5m: the slowest answer is POST /-/reload, which waits for the running
//     configuration to stop (up to shutdown.timeout) and the new one to start; a scrape
//     of /metrics takes milliseconds. 5m bounds a client that stops reading without
//     cutting a reload short.
//   - IdleTimeout 5m: a scraper's kept-alive connection survives between scrapes (every
//     15s to 1m), and an abandoned one is closed.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 5 * time.Minute
	writeTimeout      = 5 * time.Minute
	idleTimeout       = 5 * time.Minute
)

// shutdownTimeout is how long Close lets the requests in progress finish.
const shutdownTimeout = 5 * time.Second

// Options configure a Server.
type Options struct {
	HTTP config.HTTP    // http.listen and http.web_config_file
	Log  zerolog.Logger // the listener's own: what fails in it (TLS handshakes, a web config gone)
	// Reload, when set, is asked by POST /-/reload (run); nil: no such endpoint (demo).
	Reload Reloader
}

// Server serves the endpoints on http.listen. A nil *Server (http.listen = "") serves
// nothing, and each of its methods does nothing.
type Server struct {
	addr      string
	webConfig string // the http.web_config_file it serves with
	scheme    string // http, or https when webConfig turns TLS on
	reload    bool   // POST /-/reload is served
	srv       *http.Server
	src       atomic.Pointer[http.Handler] // the Handler of what is served now
	errs      chan error                   // the server failing other than by a shutdown
}

// Listen checks the web configuration file, binds http.listen and serves on it; "" serves
// nothing (nil, nil). Bound here, not later, so that a busy port fails a start (and a
// reload keeps what runs). Until Set gives it something to serve, it answers as a process
// starting: /healthz 200, /readyz 503 (status.Starting), anything else 503. The errors
// name the key.
func Listen(o Options) (*Server, error) {
	if o.HTTP.Listen == "" {
		return nil, nil
	}
	if err := o.HTTP.CheckWebConfig(); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", o.HTTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("http.listen: %w", err)
	}
	return start(ln, o), nil
}

// start serves on ln.
func start(ln net.Listener, o Options) *Server {
	s := &Server{addr: ln.Addr().String(), webConfig: o.HTTP.WebConfigFile, scheme: schemeOf(o.HTTP.WebConfigFile),
		reload: o.Reload != nil, errs: make(chan error, 1)}
	mux := http.NewServeMux()
	if o.Reload != nil {
		mux.Handle("/-/reload", reloadHandler(o.Reload))
	}
	mux.HandleFunc("/", s.serveSource)
	s.srv = newServer(mux, o.Log)
	go func() {
		if err := serve(ln, s.srv, s.webConfig, o.Log); err != nil {
			s.errs <- err
		}
	}()
	return s
}

// serveSource passes a request to what is served now. Before anything is (the first
// configuration's state loading, its connections opening), the process is alive but not
// ready: /healthz answers 200 and everything else 503, /readyz in its usual shape.
func (s *Server) serveSource(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == SilencesPath || strings.HasPrefix(r.URL.Path, SilencesPath+"/") {
		if why := apiRefusal(s.addr, s.webConfig); why != "" {
			writeJSON(w, http.StatusForbidden, APIError{why})
			return
		}
	}
	if h := s.src.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	switch r.URL.Path {
	case "/healthz":
		writeJSON(w, http.StatusOK, status.Alive())
	case "/readyz":
		writeJSON(w, http.StatusServiceUnavailable, status.Starting())
	default:
		http.Error(w, "starting", http.StatusServiceUnavailable)
	}
}

// Set serves src from now on, logging to log; the first Set says where the endpoints are.
func (s *Server) Set(src Source, log zerolog.Logger) {
	if s == nil {
		return
	}
	h := Handler(src, log)
	if s.src.Swap(&h) != nil {
		return
	}
	ev := log.Info().Str("listen", s.addr).Str("status_page", s.URL())
	if s.webConfig != "" {
		ev = ev.Str("web_config_file", s.webConfig) // TLS and basic auth as it says
	}
	if s.reload {
		ev.Msg("serving /metrics, /healthz, /readyz and POST /-/reload")
	} else {
		ev.Msg("serving the status page (/), /metrics, /healthz and /readyz")
	}
}

// Addr is the address served, "" for a nil Server.
func (s *Server) Addr() string {
	if s == nil {
		return ""
	}
	return s.addr
}

// WebConfigFile is the http.web_config_file the Server serves with; "" when there is none.
// The file is read again at every request and handshake, but which file it is, and
// whether TLS is on, is fixed when the Server starts.
func (s *Server) WebConfigFile() string {
	if s == nil {
		return ""
	}
	return s.webConfig
}

// Failed returns a channel that receives the server's failure (nil: never).
func (s *Server) Failed() <-chan error {
	if s == nil {
		return nil
	}
	return s.errs
}

// Close stops the server, letting the requests in progress finish for up to 5s.
func (s *Server) Close() {
	if s == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	_ = s.srv.Shutdown(ctx)
}

// newServer returns the http.Server of the listener, with its timeouts, serving h.
func newServer(h http.Handler, log zerolog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout,
		ErrorLog: slog.NewLogLogger(slogHandler(log), slog.LevelWarn)}
}

// serve serves srv on ln through Prometheus' exporter-toolkit, which applies the web
// configuration file webConfig (http.web_config_file): TLS, basic auth against bcrypt
// hashes, response headers. It reads the file again at every request and every TLS
// handshake, so new users, passwords and certificates apply without a reload; whether
// TLS is on is decided here, at the start. "" serves plain HTTP without authentication.
// It returns nil once srv is shut down.
func serve(ln net.Listener, srv *http.Server, webConfig string, log zerolog.Logger) error {
	err := toolkit.Serve(ln, srv, &toolkit.FlagConfig{WebConfigFile: &webConfig}, slog.New(slogHandler(log)))
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	if webConfig != "" {
		return fmt.Errorf("http.listen %s (http.web_config_file %s): %w", ln.Addr(), webConfig, err)
	}
	return fmt.Errorf("http.listen %s: %w", ln.Addr(), err)
}

// slogHandler is log for the standard library's slog, which exporter-toolkit and
// http.Server log through; its lines say they come from the listener. Warnings and errors
// only (a web config file that became unreadable, a failed TLS handshake): the toolkit's
// own start lines ("Listening on", "TLS is enabled") say what our start line says.
func slogHandler(log zerolog.Logger) slog.Handler {
	return zerolog.NewSlogHandler(log.Level(max(log.GetLevel(), zerolog.WarnLevel)).
		With().Str("component", "http").Logger())
}
