package poller

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/dcs"
)

// rawAPI serves whatever task objects it holds, verbatim, as one page: odd shapes that the
// simulator, which always writes well-formed tasks, cannot produce.
type rawAPI struct {
	mu    sync.Mutex
	tasks []string
}

func (a *rawAPI) set(tasks ...string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tasks = tasks
}

func (a *rawAPI) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(w, `{"task_count":%d,"tasks":[%s]}`, len(a.tasks), strings.Join(a.tasks, ","))
}

// rawEnv is an env whose API is a rawAPI, with the client's body limit maxBody.
func rawEnv(t *testing.T, maxBody int64) (*rawAPI, *env) {
	t.Helper()
	api := &rawAPI{}
	return api, newEnv(t, setup{wrap: func(http.Handler) http.Handler { return api }, maxBody: maxBody})
}

// TestSkippedEntriesAreCounted: entries without an id, or that are not objects, are left
// out with a warning and counted in notifier_tasks_skipped_total; the rest of the page
// is used.
func TestSkippedEntriesAreCounted(t *testing.T) {
	api, e := rawEnv(t, 0)
	e.cycle(t) // baseline
	now := time.Now().UTC().Format(time.RFC3339Nano)
	api.set(`{"id":"","name":"EXTEND","status":"RUNNING"}`, `{"name":"modify"}`, `42`, `null`,
		`{"id":"ok","name":"EXTEND","status":"RUNNING","created_at":"`+now+`"}`)
	if got := fmt.Sprint(e.cycle(t)); got != "[ok:>RUNNING]" {
		t.Fatalf("events %s", got)
	}
	if got := testutil.ToFloat64(e.m.SkippedTasks.WithLabelValues(project)); got != 4 {
		t.Errorf("tasks_skipped_total = %v, want 4", got)
	}
	if logs := e.logs.String(); !strings.Contains(logs, `"level":"warn"`) || !strings.Contains(logs, "without an id") {
		t.Errorf("no warning about the skipped entries:\n%s", logs)
	}
}

// TestOddTimestampsEndToEnd: tasks whose created_at is missing, null, or in a format
// nobody documented are announced once, followed until they end, and never announced
// again; epoch milliseconds and a space-separated time are understood.
func TestOddTimestampsEndToEnd(t *testing.T) {
	api, e := rawEnv(t, 0)
	e.cycle(t) // baseline: empty
	now := time.Now().UTC()
	tasks := func(status string) []string {
		return []string{
			`{"id":"missing","name":"EXTEND","status":"` + status + `"}`,
			`{"id":"null","name":"EXTEND","status":"` + status + `","created_at":null,"updated_at":null}`,
			`{"id":"odd","name":"EXTEND","status":"` + status + `","created_at":"17/06/2026 07:38","updated_at":"yesterday"}`,
			fmt.Sprintf(`{"id":"epoch","name":"EXTEND","status":"%s","created_at":%d}`, status, now.UnixMilli()),
			`{"id":"space","name":"EXTEND","status":"` + status + `","created_at":"` + now.Format("2006-01-02 15:04:05.000") + `"}`,
		}
	}
	api.set(tasks("RUNNING")...)
	if got := e.cycle(t); len(got) != 5 {
		t.Fatalf("first sighting: %v, want 5 created events", got)
	}
	for range 3 {
		if got := e.cycle(t); len(got) != 0 {
			t.Fatalf("unchanged tasks announced again: %v", got)
		}
	}
	for id, st := range e.ledger.Project(project).Tasks.All() {
		if st.Created == 0 {
			t.Errorf("%s: no creation time kept; the window could lose it", id)
		}
	}
	api.set(tasks("SUCCESS")...)
	if got := e.cycle(t); len(got) != 5 {
		t.Fatalf("status change: %v, want 5 events", got)
	}
	if got := e.cycle(t); len(got) != 0 {
		t.Fatalf("finished tasks announced again: %v", got)
	}
	if n := e.ledger.Count(sink); n != 10 {
		t.Errorf("%d events pending, want 10", n)
	}
}

// TestBodyOverLimitProducesNoEvent: a response larger than dcs.max_body_bytes fails the
// poll with a clear error; nothing is committed, and a normal answer later is used.
func TestBodyOverLimitProducesNoEvent(t *testing.T) {
	api, e := rawEnv(t, 64<<10)
	e.cycle(t)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	api.set(`{"id":"big","name":"modify","status":"RUNNING","created_at":"` + now + `","params":"` + strings.Repeat("x", 100<<10) + `"}`)
	before := e.ledger.Project(project)
	_, err := e.p.Cycle(t.Context())
	if !errors.Is(err, dcs.ErrDecode) || !strings.Contains(err.Error(), "max_body_bytes") {
		t.Fatalf("err = %v, want a body-limit error naming dcs.max_body_bytes", err)
	}
	if e.ledger.Project(project) != before || e.ledger.Count(sink) != 0 {
		t.Error("an oversized response changed the state or produced events")
	}
	if got := testutil.ToFloat64(e.m.Polls.WithLabelValues(project, "error")); got != 1 {
		t.Errorf("polls{result=error} = %v", got)
	}
	api.set(`{"id":"big","name":"modify","status":"RUNNING","created_at":"` + now + `","params":"small"}`)
	if got := fmt.Sprint(e.cycle(t)); got != "[big:>RUNNING]" {
		t.Errorf("after the body shrank: %s", got)
	}
}
