package web

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/silence"
	"notifier/internal/testkit/testutil"
)

// silencer is a Source that keeps silences in memory as the app does: validated, with a
// new id.
type silencer struct {
	nothing
	mu  sync.Mutex
	all []silence.Silence
}

func (s *silencer) Silences() []silence.Silence {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]silence.Silence(nil), s.all...)
}

func (s *silencer) AddSilence(_ context.Context, sl silence.Silence) (silence.Silence, error) {
	sl.ID = silence.NewID()
	if err := sl.Validate(); err != nil {
		return silence.Silence{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.all = append(s.all, sl)
	return sl, nil
}

func (s *silencer) ExpireSilence(_ context.Context, id string) (silence.Silence, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.all {
		if s.all[i].ID == id {
			s.all[i] = s.all[i].Expire(time.Now())
			return s.all[i], true, nil
		}
	}
	return silence.Silence{}, false, nil
}

func serveSilences(t *testing.T, h config.HTTP) (*Server, *silencer) {
	t.Helper()
	s, err := Listen(Options{HTTP: h, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	src := &silencer{nothing: nothing{reg: prometheus.NewRegistry()}}
	s.Set(src, zerolog.Nop())
	return s, src
}

// loopbackURL is the API of s as reached on this machine.
func loopbackURL(s *Server, scheme string) string {
	_, port, _ := net.SplitHostPort(s.Addr())
	return scheme + "://127.0.0.1:" + port + SilencesPath
}

func do(t *testing.T, c *http.Client, method, url, contentType, body string, auth ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if len(auth) == 2 {
		req.SetBasicAuth(auth[0], auth[1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b bytes.Buffer
	_, _ = b.ReadFrom(resp.Body)
	return resp.StatusCode, b.String()
}

const aSilence = `{"matchers":{"task_name":"masterStandbySwapJob","instance":"redis-orders*"},` +
	`"ends_at":"2099-01-01T00:00:00Z","starts_at":"2026-01-01T00:00:00Z","created_by":"alice","comment":"planned failover test"}`

// On loopback without authentication the API serves: POST adds (201, the new id), GET
// lists, DELETE expires (then GET lists it only with ?expired=true); what is not a
// silence is refused with why.
func TestSilencesAPIOnLoopback(t *testing.T) {
	s, _ := serveSilences(t, config.HTTP{Listen: "127.0.0.1:0"})
	url, c := loopbackURL(s, "http"), http.DefaultClient
	code, body := do(t, c, http.MethodPost, url, "application/json", aSilence)
	var added silence.Silence
	if code != http.StatusCreated || json.Unmarshal([]byte(body), &added) != nil || added.ID == "" || added.CreatedBy != "alice" {
		t.Fatalf("POST = %d %s", code, body)
	}
	var l SilenceList
	if code, body := do(t, c, http.MethodGet, url, "", ""); code != http.StatusOK || json.Unmarshal([]byte(body), &l) != nil ||
		len(l.Silences) != 1 || l.Silences[0].ID != added.ID {
		t.Fatalf("GET = %d %s", code, body)
	}
	if code, body := do(t, c, http.MethodDelete, url+"/"+added.ID, "", ""); code != http.StatusOK || !strings.Contains(body, added.ID) {
		t.Fatalf("DELETE = %d %s", code, body)
	}
	if _, body := do(t, c, http.MethodGet, url, "", ""); !strings.Contains(body, `"silences":[]`) {
		t.Errorf("GET after expiry lists %s, want none", body)
	}
	if _, body := do(t, c, http.MethodGet, url+"?expired=true", "", ""); !strings.Contains(body, added.ID) {
		t.Errorf("GET ?expired=true lists %s, want the expired one", body)
	}
	for _, tt := range []struct {
		name, method, path, ctype, body string
		code                            int
		says                            string
	}{
		{"unknown id", http.MethodDelete, "/nope", "", "", http.StatusNotFound, `no silence \"nope\"`},
		{"no matcher", http.MethodPost, "", "application/json", `{"ends_at":"2099-01-01T00:00:00Z","created_by":"a","comment":"c"}`, http.StatusBadRequest, "matchers: none set"},
		{"unknown field", http.MethodPost, "", "application/json", `{"matcher":{}}`, http.StatusBadRequest, `unknown field \"matcher\"`},
		{"not JSON", http.MethodPost, "", "text/plain", aSilence, http.StatusUnsupportedMediaType, "application/json"},
	} {
		if code, body := do(t, c, tt.method, url+tt.path, tt.ctype, tt.body); code != tt.code || !strings.Contains(body, tt.says) {
			t.Errorf("%s: %d %s, want %d saying %s", tt.name, code, body, tt.code, tt.says)
		}
	}
}

// On every interface without authentication the API is refused, saying why and what to
// do; the rest of the endpoints still serve. With basic auth it serves, to its users.
func TestSilencesAPIRefusedWithoutAuthentication(t *testing.T) {
	s, src := serveSilences(t, config.HTTP{Listen: "0.0.0.0:0"})
	url := loopbackURL(s, "http")
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		code, body := do(t, http.DefaultClient, method, url, "application/json", aSilence)
		if code != http.StatusForbidden || !strings.Contains(body, "is not a loopback address") || !strings.Contains(body, "basic_auth_users") {
			t.Errorf("%s on 0.0.0.0 without auth = %d %s, want 403 saying why", method, code, body)
		}
	}
	if code, _ := do(t, http.DefaultClient, http.MethodDelete, url+"/x", "", ""); code != http.StatusForbidden {
		t.Errorf("DELETE on 0.0.0.0 without auth = %d, want 403", code)
	}
	if len(src.Silences()) != 0 {
		t.Error("a refused POST added a silence")
	}
	if code, _ := do(t, http.DefaultClient, http.MethodGet, strings.TrimSuffix(url, SilencesPath)+"/readyz", "", ""); code != http.StatusOK {
		t.Errorf("/readyz = %d", code)
	}

	dir := t.TempDir()
	s, _ = serveSilences(t, config.HTTP{Listen: "0.0.0.0:0", WebConfigFile: testutil.WebConfig(t, dir, "ops", "pw")})
	url, c := loopbackURL(s, "https"), testutil.WebClient(t, dir)
	if code, _ := do(t, c, http.MethodGet, url, "", ""); code != http.StatusUnauthorized {
		t.Errorf("GET without credentials = %d, want 401", code)
	}
	if code, body := do(t, c, http.MethodPost, url, "application/json", aSilence, "ops", "pw"); code != http.StatusCreated {
		t.Errorf("POST with basic auth = %d %s, want 201", code, body)
	}
	anonymous := strings.Replace(aSilence, `"created_by":"alice",`, "", 1)
	if code, body := do(t, c, http.MethodPost, url, "application/json", anonymous, "ops", "pw"); code != http.StatusCreated ||
		!strings.Contains(body, `"created_by":"ops"`) {
		t.Errorf("POST without created_by = %d %s, want it created by the basic auth user", code, body)
	}
}
