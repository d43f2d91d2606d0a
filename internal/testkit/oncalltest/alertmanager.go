package oncalltest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// Alert is an alert as Alertmanager's API v2 takes it; the fake decodes strictly.
type Alert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     *time.Time        `json:"startsAt"`
	EndsAt       *time.Time        `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
}

var labelName = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// DefaultResolveTimeout is Alertmanager's default resolve_timeout.
const DefaultResolveTimeout = 5 * time.Minute

// Alertmanager is an Alertmanager's POST /api/v2/alerts: it checks each request as
// Alertmanager does, answers as it does, and keeps the alerts by label set as it does
// (an alert without endsAt ends resolve_timeout after it was received; one with endsAt
// at that time, re-sent or not), on its own clock.
type Alertmanager struct {
	srv  *httptest.Server
	auth string // the Authorization header it wants; "" none

	mu      sync.Mutex
	now     func() time.Time
	timeout time.Duration // resolve_timeout
	posts   [][]Alert
	alerts  map[string]kept // by label set
	fired   map[string]int  // by label set: how many times it became active
	fail    []int
}

// kept is an alert as Alertmanager keeps it: with the end it decided.
type kept struct {
	Alert
	starts, ends time.Time
	timeout      bool // ends was set by resolve_timeout, not by the sender
}

func (k kept) resolved(now time.Time) bool { return !k.ends.After(now) }

// NewAlertmanager starts the fake, which wants the Authorization header auth ("" none);
// it stops with the test. Its clock is time.Now and its resolve_timeout
// DefaultResolveTimeout until set.
func NewAlertmanager(t testing.TB, auth string) *Alertmanager {
	f := &Alertmanager{auth: auth, now: time.Now, timeout: DefaultResolveTimeout,
		alerts: map[string]kept{}, fired: map[string]int{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// URL is its base URL.
func (f *Alertmanager) URL() string { return f.srv.URL }

// SetClock makes now the clock it receives alerts by (a test's clock, or one ahead of
// time.Now to stand for a downtime).
func (f *Alertmanager) SetClock(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// SetResolveTimeout sets its resolve_timeout.
func (f *Alertmanager) SetResolveTimeout(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.timeout = d
}

// FailNext makes the next requests fail with codes: 429 (with Retry-After: 2) or any
// other status.
func (f *Alertmanager) FailNext(codes ...int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = append(f.fail, codes...)
}

func fingerprint(ls map[string]string) string {
	keys := make([]string, 0, len(ls))
	for k := range ls {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q,", k, ls[k])
	}
	return b.String()
}

func errorJSON(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(msg) // API v2 answers a refusal with a JSON string
}

func (f *Alertmanager) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/api/v2/alerts" {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		errorJSON(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if f.auth != "" && r.Header.Get("Authorization") != f.auth {
		w.WriteHeader(http.StatusUnauthorized) // a proxy in front of it
		return
	}
	f.mu.Lock()
	if len(f.fail) > 0 {
		code := f.fail[0]
		f.fail = f.fail[1:]
		f.mu.Unlock()
		if code == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "2")
		}
		errorJSON(w, code, http.StatusText(code))
		return
	}
	f.mu.Unlock()
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		errorJSON(w, http.StatusBadRequest, "Content-Type must be application/json")
		return
	}
	var alerts []Alert
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&alerts); err != nil {
		errorJSON(w, http.StatusBadRequest, err.Error())
		return
	}
	for _, a := range alerts {
		if msg := validate(a); msg != "" {
			errorJSON(w, http.StatusBadRequest, msg)
			return
		}
	}
	f.mu.Lock()
	f.posts = append(f.posts, alerts)
	now := f.now()
	for _, a := range alerts {
		f.put(a, now)
	}
	f.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// put keeps a, received at now, as Alertmanager does (api/v2 postAlertsHandler, then
// the store's Put and types.Alert.Merge). f.mu is held.
func (f *Alertmanager) put(a Alert, now time.Time) {
	k := kept{Alert: a, starts: *a.StartsAt}
	if a.EndsAt == nil || a.EndsAt.IsZero() {
		k.ends, k.timeout = now.Add(f.timeout), true
	} else {
		k.ends = *a.EndsAt
	}
	fp := fingerprint(a.Labels)
	old, ok := f.alerts[fp]
	if ok && (k.ends.After(old.starts) && k.ends.Before(old.ends) || k.starts.After(old.starts) && k.starts.Before(old.ends)) {
		k = merge(old, k, now)
	}
	if !k.resolved(now) && (!ok || old.resolved(now)) {
		f.fired[fp]++
	}
	f.alerts[fp] = k
}

// merge is types.Alert.Merge of an alert kept and the same one received after it.
func merge(old, k kept, now time.Time) kept {
	if old.starts.Before(k.starts) {
		k.starts = old.starts
	}
	if k.resolved(now) {
		if old.resolved(now) && old.ends.After(k.ends) {
			k.ends = old.ends // the latest resolution wins
		}
	} else if old.ends.After(k.ends) && !old.timeout {
		k.ends = old.ends // an end the sender set, later, wins over a timeout
	}
	return k
}

// validate is Alertmanager's check of a posted alert (types.Alert.Validate).
func validate(a Alert) string {
	if len(a.Labels) == 0 {
		return "at least one label pair required"
	}
	for k, v := range a.Labels {
		if !labelName.MatchString(k) {
			return fmt.Sprintf("invalid label set: invalid name %q", k)
		}
		if v == "" {
			return fmt.Sprintf("invalid label set: empty value of %q", k) // dropped by Alertmanager; we never send one
		}
	}
	if a.StartsAt == nil || a.StartsAt.IsZero() {
		return "start time missing" // Alertmanager would default it; we always send it
	}
	if a.EndsAt != nil && a.EndsAt.Before(*a.StartsAt) {
		return "start time must be before end time"
	}
	if a.GeneratorURL != "" {
		if u, err := url.Parse(a.GeneratorURL); err != nil || !u.IsAbs() {
			return "generatorURL must be an absolute URI"
		}
	}
	for _, k := range []string{"summary", "description"} {
		if a.Annotations[k] == "" {
			return "annotation " + k + " missing" // ours always has both
		}
	}
	return ""
}

// Active returns the alertnames of the alerts active at now, sorted, with their task_id:
// as Alertmanager would show them at now, were nothing received after what it has.
func (f *Alertmanager) Active(now time.Time) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, a := range f.alerts {
		if !a.resolved(now) {
			out = append(out, a.Labels["alertname"]+" "+a.Labels["task_id"])
		}
	}
	slices.Sort(out)
	return out
}

// Fired returns how many times an alert named alertname of task taskID ("" a watch
// alert) became active: was received active while none of its label set was, each
// time a notification of a new firing for the on-call team.
func (f *Alertmanager) Fired(alertname, taskID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for fp, k := range f.alerts {
		if k.Labels["alertname"] == alertname && k.Labels["task_id"] == taskID {
			n += f.fired[fp]
		}
	}
	return n
}

// Posted returns how many POSTs it took, and the last.
func (f *Alertmanager) Posted() (int, []Alert) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.posts) == 0 {
		return 0, nil
	}
	return len(f.posts), f.posts[len(f.posts)-1]
}

// Posts returns every accepted POST's alerts, in order.
func (f *Alertmanager) Posts() [][]Alert {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.posts)
}
