package app

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/exporter-toolkit/web"
	"github.com/rs/zerolog"
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

// NewServer returns the http.Server of the listener, with its timeouts, serving h.
func NewServer(h http.Handler, log zerolog.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: readHeaderTimeout, ReadTimeout: readTimeout,
		WriteTimeout: writeTimeout, IdleTimeout: idleTimeout,
		ErrorLog: slog.NewLogLogger(slogHandler(log), slog.LevelWarn)}
}

// Serve serves srv on ln through Prometheus' exporter-toolkit, which applies the web
// configuration file webConfig (http.web_config_file): TLS, basic auth against bcrypt
// hashes, response headers. It reads the file again at every request and every TLS
// handshake, so new users, passwords and certificates apply without a reload; whether
// TLS is on is decided here, at the start. "" serves plain HTTP without authentication.
// Serve returns nil once srv is shut down.
func Serve(ln net.Listener, srv *http.Server, webConfig string, log zerolog.Logger) error {
	err := web.Serve(ln, srv, &web.FlagConfig{WebConfigFile: &webConfig}, slog.New(slogHandler(log)))
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
