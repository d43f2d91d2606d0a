package dcssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// uncached is the body the handler would send without the encoding cache.
func uncached(t *testing.T, s *Sim, query string) []byte {
	t.Helper()
	r, _ := http.NewRequest(http.MethodGet, "http://sim"+tasksPath+query, nil)
	q, bad := s.parseQuery(r.URL.Query())
	if bad != "" {
		t.Fatalf("query %s: bad %s", query, bad)
	}
	pg, ok := s.list("", testProject, q)
	if !ok {
		t.Fatal("project not listed")
	}
	b, err := json.Marshal(pg.resp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestEncodingCacheIsExact: in every variant, a page served from cached task encodings
// (the second request) is byte for byte what encoding the whole response gives, tasks with
// details, extra fields and characters JSON escapes included; and a change of a task (a
// status, a replaced task, a new one) is served at once, not the cached encoding.
func TestEncodingCacheIsExact(t *testing.T) {
	variants := map[string]Options{
		"default": {}, "oldest first": {Order: OrderOldestFirst}, "unsorted": {Order: OrderUnsorted},
		"page cap": {PageCap: 3}, "count is page size": {CountIsPageSize: true}, "no filter": {IgnoreWindow: true},
		"begin_time": {StartParam: "begin_time"}, "on updated_at": {WindowOn: "updated_at"},
		"seconds": {TimeFormat: TimeLayoutSeconds}, "space": {TimeFormat: TimeLayoutSpace},
	}
	queries := []string{"?limit=5", "?offset=3&limit=4", "?limit=100&start_time=" + win(t0.Add(-5*time.Minute)),
		"?limit=100&begin_time=" + win(t0.Add(-5*time.Minute)), "?limit=100&start_time=" + win(t0.Add(-5*time.Minute)) + "&end_time=" + win(t0.Add(-2*time.Minute))}
	for name, opts := range variants {
		t.Run(name, func(t *testing.T) {
			s, srv, clk := start(t, opts)
			ts := numbered(12)
			for i := range ts {
				ts[i].Details = map[string]any{"new": fmt.Sprint(i), "html": "<b>&</b>"}
				ts[i].Extra = map[string]any{"zone": "cn-north-4a"}
				if i%3 == 0 {
					ts[i].Status, ts[i].UpdatedAt = "RUNNING", time.Time{}
				} else {
					ts[i].UpdatedAt = ts[i].CreatedAt.Add(30 * time.Second)
				}
			}
			s.PutAll(testProject, ts)
			check := func(step string) {
				t.Helper()
				for _, q := range queries {
					want := uncached(t, s, q)
					for i := range 2 { // the first fills the cache, the second reads it
						if r := get(t, srv, tasksPath+q); r.status != http.StatusOK || !bytes.Equal(r.body, want) {
							t.Fatalf("%s, %s, request %d: status %d\n got %s\nwant %s", step, q, i, r.status, r.body, want)
						}
					}
				}
			}
			check("seeded")
			clk.Add(time.Minute)
			if err := s.SetStatus(testProject, "t03", "SUCCESS"); err != nil {
				t.Fatal(err)
			}
			check("a status changed")
			if r := get(t, srv, tasksPath+"?limit=100"); opts.PageCap == 0 && !bytes.Contains(r.body, []byte(`"id":"t03"`)) ||
				!bytes.Contains(r.body, []byte(`"status":"SUCCESS","created_at"`)) {
				t.Fatalf("t03 after its change: %s", r.body)
			}
			replaced := ts[1]
			replaced.Name, replaced.Details = "RESTART", map[string]any{"html": "x"}
			s.Put(testProject, replaced)
			check("a task replaced")
			s.Put(testProject, Task{ID: "new", Name: "EXTEND", Status: "RUNNING", CreatedAt: t0.Add(time.Second)})
			check("a task added")
		})
	}
}

// TestEncodingCacheSkipsAChangeMeanwhile: an encoding made from a listing read before a
// change of the project is not kept.
func TestEncodingCacheSkipsAChangeMeanwhile(t *testing.T) {
	s, _, _ := start(t, Options{})
	s.PutAll(testProject, numbered(3))
	pg, _ := s.list("", testProject, listQuery{limit: 10})
	if err := s.SetStatus(testProject, "t01", "FAILED"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.encodePage(pg); err != nil {
		t.Fatal(err)
	}
	s.mu.Lock()
	n := len(s.projects[testProject].enc)
	s.mu.Unlock()
	if n != 0 {
		t.Fatalf("%d encodings kept from a listing older than a change", n)
	}
	pg, _ = s.list("", testProject, listQuery{limit: 10})
	_, _ = s.encodePage(pg)
	s.mu.Lock()
	n = len(s.projects[testProject].enc)
	s.mu.Unlock()
	if n != 3 {
		t.Fatalf("%d encodings kept, want the 3 tasks", n)
	}
}

// BenchmarkServePage300 serves one page of 300 unchanged tasks, as a fleet's quiet
// project's poll reads it: with the encoding cache, a copy of each task's bytes.
func BenchmarkServePage300(b *testing.B) {
	s := New(Options{Now: func() time.Time { return t0 }})
	ts := make([]Task, 300)
	for i := range ts {
		ts[i] = Task{ID: fmt.Sprintf("task-%04d", i), Name: "EXTEND", Status: "SUCCESS", UserName: "ops",
			CreatedAt: t0.Add(-time.Duration(i) * time.Minute), UpdatedAt: t0.Add(-time.Duration(i)*time.Minute + 30*time.Second),
			Details: map[string]any{"old_capacity": "1", "new_capacity": "2"}}
	}
	s.PutAll(testProject, ts)
	req, _ := http.NewRequest(http.MethodGet, "http://sim"+tasksPath+"?limit=1000&start_time="+win(t0.Add(-24*time.Hour)), nil)
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=x, SignedHeaders=x-sdk-date, Signature=00")
	req.Header.Set("X-Sdk-Date", t0.Format("20060102T150405Z"))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}
