package web

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/status"
	"notifier/internal/testkit/testutil"
)

// nothing is a Source with nothing to show.
type nothing struct{ reg *prometheus.Registry }

func (n nothing) Registry() *prometheus.Registry                   { return n.reg }
func (nothing) Readiness(time.Time) status.Readiness               { return status.Readiness{} }
func (nothing) Liveness(time.Time) status.Liveness                 { return status.Liveness{} }
func (nothing) StatusPage(context.Context, time.Time) *status.Page { return &status.Page{} }

// The start-up line names the status page's URL, https when the web config turns TLS on,
// and an address on every interface as localhost.
func TestStartLineNamesTheStatusPage(t *testing.T) {
	dir := t.TempDir()
	for _, tt := range []struct {
		name, listen, webConfig, prefix string
	}{
		{name: "plain", listen: "127.0.0.1:0", prefix: "http://127.0.0.1:"},
		{name: "tls", listen: "127.0.0.1:0", webConfig: testutil.WebConfig(t, dir, "ops", "pw"), prefix: "https://127.0.0.1:"},
		{name: "every interface", listen: "0.0.0.0:0", prefix: "http://localhost:"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Listen(Options{HTTP: config.HTTP{Listen: tt.listen, WebConfigFile: tt.webConfig}, Log: zerolog.Nop()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			var logs testutil.SyncBuffer
			s.Set(nothing{prometheus.NewRegistry()}, zerolog.New(&logs))
			var l struct {
				StatusPage string `json:"status_page"`
				Message    string
			}
			if err := json.Unmarshal([]byte(logs.String()), &l); err != nil {
				t.Fatalf("%v: %s", err, logs.String())
			}
			if !strings.HasPrefix(l.StatusPage, tt.prefix) || !strings.HasSuffix(l.StatusPage, "/") || l.StatusPage != s.URL() {
				t.Errorf("status_page = %q (URL %q), want %s…/", l.StatusPage, s.URL(), tt.prefix)
			}
		})
	}
}
