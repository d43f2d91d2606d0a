package dcssim

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestVariants: each undocumented behaviour the simulator can play, one query each.
func TestVariants(t *testing.T) {
	reversed := slices.Clone(idRange(0, 10))
	slices.Reverse(reversed)
	tests := []struct {
		name      string
		opts      Options
		query     string
		wantCount string
		wantIDs   []string // nil: not checked
		check     func(t *testing.T, p page)
	}{
		{name: "oldest first", opts: Options{Order: OrderOldestFirst}, query: "?limit=3", wantCount: "10", wantIDs: []string{"t09", "t08", "t07"}},
		{name: "oldest first with offset", opts: Options{Order: OrderOldestFirst}, query: "?offset=8&limit=5", wantCount: "10", wantIDs: []string{"t01", "t00"}},
		{name: "oldest first in a window", opts: Options{Order: OrderOldestFirst}, query: "?start_time=" + win(t0.Add(-2*time.Minute)), wantCount: "3", wantIDs: []string{"t02", "t01", "t00"}},
		{name: "unsorted", opts: Options{Order: OrderUnsorted}, query: "?limit=100", wantCount: "10", check: func(t *testing.T, p page) {
			got := p.ids()
			sorted := slices.Sorted(slices.Values(got))
			if !slices.Equal(sorted, idRange(0, 10)) || slices.Equal(got, idRange(0, 10)) || slices.Equal(got, reversed) {
				t.Errorf("ids = %v, want all ten in neither time order", got)
			}
		}},
		{name: "task_count is the page size", opts: Options{CountIsPageSize: true}, query: "?offset=8&limit=5", wantCount: "2", wantIDs: idRange(8, 10)},
		{name: "page cap and task_count the page size", opts: Options{PageCap: 4, CountIsPageSize: true}, query: "?limit=1000", wantCount: "4", wantIDs: idRange(0, 4)},
		{name: "no filter: start_time ignored", opts: Options{IgnoreWindow: true}, query: "?start_time=" + win(t0), wantCount: "10", wantIDs: idRange(0, 10)},
		{name: "no filter: begin_time ignored", opts: Options{IgnoreWindow: true, StartParam: "begin_time"}, query: "?begin_time=" + win(t0), wantCount: "10", wantIDs: idRange(0, 10)},
		{name: "no filter: end_time ignored", opts: Options{IgnoreWindow: true}, query: "?end_time=" + win(t0.Add(-time.Hour)), wantCount: "10", wantIDs: idRange(0, 10)},
		// numbered tasks end 30 s after their creation: a window from t0-1m30s holds t00 and
		// t01 by created_at, t00..t02 by updated_at (t02 ended at t0-1m30s).
		{name: "window on updated_at", opts: Options{WindowOn: "updated_at"}, query: "?start_time=" + win(t0.Add(-90*time.Second)), wantCount: "3", wantIDs: idRange(0, 3)},
		{name: "window on created_at", opts: Options{WindowOn: "created_at"}, query: "?start_time=" + win(t0.Add(-90*time.Second)), wantCount: "2", wantIDs: idRange(0, 2)},
		{name: "times in whole seconds", opts: Options{TimeFormat: TimeLayoutSeconds}, query: "?limit=1", wantCount: "10", check: wantTimes("2024-03-01T12:00:00Z", "2024-03-01T12:00:30Z")},
		{name: "times with a space", opts: Options{TimeFormat: TimeLayoutSpace}, query: "?limit=1", wantCount: "10", check: wantTimes("2024-03-01 12:00:00", "2024-03-01 12:00:30")},
		{name: "times by default", opts: Options{}, query: "?limit=1", wantCount: "10", check: wantTimes("2024-03-01T12:00:00.000Z", "2024-03-01T12:00:30.000Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv, _ := start(t, tt.opts)
			ts := numbered(10)
			for i := range ts {
				ts[i].UpdatedAt = ts[i].CreatedAt.Add(30 * time.Second)
			}
			s.PutAll(testProject, ts)
			r := get(t, srv, tasksPath+tt.query)
			if r.status != http.StatusOK {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			p := decodePage(t, r.body)
			if n, ok := p.TaskCount.(json.Number); !ok || n.String() != tt.wantCount {
				t.Errorf("task_count = %#v, want the number %s", p.TaskCount, tt.wantCount)
			}
			if got := p.ids(); tt.wantIDs != nil && !slices.Equal(got, tt.wantIDs) {
				t.Errorf("ids = %v, want %v", got, tt.wantIDs)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
			if got := s.Tasks(testProject); got[0].ID != "t00" || got[0].layout != "" {
				t.Errorf("Tasks is not newest first, or kept a response's layout: %+v", got[0])
			}
		})
	}
}

func wantTimes(created, updated string) func(*testing.T, page) {
	return func(t *testing.T, p page) {
		t.Helper()
		if len(p.Tasks) == 0 || p.Tasks[0]["created_at"] != created || p.Tasks[0]["updated_at"] != updated {
			t.Errorf("tasks = %v, want created_at %q, updated_at %q", p.Tasks, created, updated)
		}
	}
}

// TestUnsortedIsStable: the unsorted order does not change between requests, so paging
// with offset still visits every task once.
func TestUnsortedIsStable(t *testing.T) {
	s, srv, _ := start(t, Options{Order: OrderUnsorted})
	s.PutAll(testProject, numbered(10))
	all := decodePage(t, get(t, srv, tasksPath+"?limit=10").body).ids()
	var paged []string
	for _, q := range []string{"?offset=0&limit=4", "?offset=4&limit=4", "?offset=8&limit=4"} {
		paged = append(paged, decodePage(t, get(t, srv, tasksPath+q).body).ids()...)
	}
	if !slices.Equal(all, paged) {
		t.Errorf("paged %v, all at once %v", paged, all)
	}
}

// TestRateLimit: past RateLimit requests in one second of the clock the gateway answers 429
// APIGW.0308 without Retry-After; the next second serves again.
func TestRateLimit(t *testing.T) {
	s, srv, c := start(t, Options{RateLimit: 2})
	s.PutAll(testProject, numbered(3))
	var statuses []int
	for range 3 {
		statuses = append(statuses, get(t, srv, tasksPath).status)
	}
	r := get(t, srv, tasksPath)
	if want := []int{200, 200, 429}; !slices.Equal(statuses, want) || r.status != 429 {
		t.Fatalf("statuses %v then %d, want %v then 429", statuses, r.status, want)
	}
	if code := errorCode(t, r.body); code != "APIGW.0308" || r.header.Get("Retry-After") != "" {
		t.Errorf("error_code %q, Retry-After %q; want APIGW.0308 and none", code, r.header.Get("Retry-After"))
	}
	c.Set(t0.Add(time.Second))
	if r := get(t, srv, tasksPath); r.status != http.StatusOK {
		t.Errorf("next second: status %d, want 200", r.status)
	}
}

func TestVariantOptionsAreChecked(t *testing.T) {
	for _, o := range []Options{{Order: "random"}, {WindowOn: "finished_at"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", o)
				}
			}()
			New(o)
		}()
	}
}
