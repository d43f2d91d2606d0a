// Package oncalltest has httptest fakes of the on-call services, PagerDuty's Events API
// v2 and Alertmanager's API v2, written once for every test that needs one. Each checks
// every request as the real service does and answers as it does.
package oncalltest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// RoutingKey is the integration key the PagerDuty fake knows, of the real form: 32
// characters.
const RoutingKey = "R0UT1NGKEYR0UT1NGKEYR0UT1NGKEY32"

// PDEvent is an Events API v2 event as PagerDuty documents it; the fake decodes strictly.
type PDEvent struct {
	RoutingKey  string `json:"routing_key"`
	EventAction string `json:"event_action"`
	DedupKey    string `json:"dedup_key"`
	Payload     *struct {
		Summary       string         `json:"summary"`
		Source        string         `json:"source"`
		Severity      string         `json:"severity"`
		Timestamp     string         `json:"timestamp"`
		Component     string         `json:"component"`
		Group         string         `json:"group"`
		Class         string         `json:"class"`
		CustomDetails map[string]any `json:"custom_details"`
	} `json:"payload"`
	Links []struct {
		Href string `json:"href"`
		Text string `json:"text"`
	} `json:"links"`
	Images []any  `json:"images"`
	Client string `json:"client"`
}

// PagerDuty is PagerDuty's Events API v2 enqueue endpoint: it checks every request as
// PagerDuty does and answers as it does. fail holds answers to give first (429, 500).
type PagerDuty struct {
	srv *httptest.Server

	mu       sync.Mutex
	accepted []PDEvent
	fail     []int
	got      chan PDEvent
}

// NewPagerDuty starts the fake; it stops with the test.
func NewPagerDuty(t testing.TB) *PagerDuty {
	f := &PagerDuty{got: make(chan PDEvent, 1000)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is the enqueue endpoint.
func (f *PagerDuty) URL() string { return f.srv.URL + "/v2/enqueue" }

// FailNext makes the next requests fail with codes: 429 (with Retry-After: 1) or any
// other status.
func (f *PagerDuty) FailNext(codes ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, codes...)
}

// Events returns the events it accepted, in order.
func (f *PagerDuty) Events() []PDEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.accepted)
}

func answer(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

func (f *PagerDuty) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/v2/enqueue" {
		answer(w, http.StatusNotFound, map[string]any{"status": "Not Found"})
		return
	}
	f.mu.Lock()
	if len(f.fail) > 0 {
		code := f.fail[0]
		f.fail = f.fail[1:]
		f.mu.Unlock()
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
			answer(w, code, map[string]any{"status": "throttle event", "message": "Requests for this service are arriving too quickly. Please retry later."})
			return
		}
		answer(w, code, map[string]any{"status": "error", "message": "internal"})
		return
	}
	f.mu.Unlock()
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		answer(w, http.StatusBadRequest, invalid("Content-Type must be application/json, got "+ct))
		return
	}
	var ev PDEvent
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ev); err != nil {
		answer(w, http.StatusBadRequest, invalid(err.Error()))
		return
	}
	if errs := check(&ev); len(errs) > 0 {
		answer(w, http.StatusBadRequest, invalid(errs...))
		return
	}
	f.mu.Lock()
	f.accepted = append(f.accepted, ev)
	f.mu.Unlock()
	f.got <- ev
	answer(w, http.StatusAccepted, map[string]any{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

func invalid(errs ...string) map[string]any {
	return map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs}
}

// check is what PagerDuty refuses, per the Events API v2 reference.
func check(ev *PDEvent) []string {
	var errs []string
	if len(ev.RoutingKey) != 32 {
		errs = append(errs, "Length of 'routing_key' is incorrect (should be 32 characters)")
	}
	if ev.RoutingKey != RoutingKey {
		errs = append(errs, "unknown routing key") // a real integration would answer 400 too
	}
	if !slices.Contains([]string{"trigger", "acknowledge", "resolve"}, ev.EventAction) {
		errs = append(errs, "'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
	}
	if ev.DedupKey == "" || len(ev.DedupKey) > 255 {
		errs = append(errs, "'dedup_key' is required for resolve and at most 255 characters")
	}
	if ev.EventAction != "trigger" {
		return errs
	}
	p := ev.Payload
	if p == nil {
		return append(errs, "'payload' is missing or blank")
	}
	if p.Summary == "" || len(p.Summary) > 1024 {
		errs = append(errs, "'payload.summary' is missing, blank or longer than 1024")
	}
	if p.Source == "" {
		errs = append(errs, "'payload.source' is missing or blank")
	}
	if !slices.Contains([]string{"critical", "error", "warning", "info"}, p.Severity) {
		errs = append(errs, fmt.Sprintf("'payload.severity' is invalid: %q", p.Severity))
	}
	if p.Timestamp != "" {
		if _, err := time.Parse(time.RFC3339, p.Timestamp); err != nil {
			errs = append(errs, "'payload.timestamp' is not ISO 8601")
		}
	}
	for _, l := range ev.Links {
		if l.Href == "" {
			errs = append(errs, "'links.href' is missing")
		}
	}
	return errs
}

// Next returns the next accepted event. SendWith returns once PagerDuty answered, so
// an event it sent is already here.
func (f *PagerDuty) Next(t testing.TB) PDEvent {
	t.Helper()
	select {
	case ev := <-f.got:
		return ev
	default:
		t.Fatal("no event was accepted")
	}
	return PDEvent{}
}

// None checks that nothing more was accepted: everything sent before was sent in the
// same goroutine and answered, so the channel is up to date.
func (f *PagerDuty) None(t testing.TB) {
	t.Helper()
	select {
	case ev := <-f.got:
		t.Fatalf("unexpected %s of %s", ev.EventAction, ev.DedupKey)
	default:
	}
}
