package alertmanager

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/httpx"
)

// urlErrors keeps, for each Alertmanager URL of an entry, its last failure while it
// fails, and counts its failures: with several URLs a post succeeds while one is down,
// which the delivery metrics and the receiver's last error cannot show.
type urlErrors struct {
	shown  []string // each URL without its user info, as metrics, logs and the status page show it
	counts []prometheus.Counter

	mu      sync.Mutex
	failing map[int]URLError
}

// URLError is an Alertmanager URL that failed its last post.
type URLError struct {
	URL   string    // without user info
	Err   error     // the last failure; its text holds no credential
	Since time.Time // the first failure in a row
}

func newURLErrors(receiver string, urls []string, vec *prometheus.CounterVec) *urlErrors {
	e := &urlErrors{failing: map[int]URLError{}}
	for _, u := range urls {
		e.shown = append(e.shown, httpx.Shown(u))
		if vec != nil {
			// Created at zero, so that rate() sees the first failure.
			e.counts = append(e.counts, vec.WithLabelValues(receiver, e.shown[len(e.shown)-1]))
		}
	}
	return e
}

func (e *urlErrors) ok(i int) {
	e.mu.Lock()
	delete(e.failing, i)
	e.mu.Unlock()
}

// failed records a failure of URL i at now; it is listed before it is counted, so that
// whoever sees the count sees the listing too.
func (e *urlErrors) failed(i int, err error, now time.Time) {
	e.mu.Lock()
	since := now
	if f, ok := e.failing[i]; ok {
		since = f.Since
	}
	e.failing[i] = URLError{URL: e.shown[i], Err: err, Since: since}
	e.mu.Unlock()
	if e.counts != nil {
		e.counts[i].Inc()
	}
}

// FailingURLs lists the entry's Alertmanagers whose last post failed, in the order of
// its url, for the status page.
func (s *Sink) FailingURLs() []URLError {
	e := s.urlErrs
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []URLError
	for i := range e.shown {
		if f, ok := e.failing[i]; ok {
			out = append(out, f)
		}
	}
	return out
}
