package dcssim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const tasksPath = "/v2/" + testProject + "/tasks"

func TestListPagingAndWindow(t *testing.T) {
	s, srv, _ := start(t, Options{})
	s.PutAll(testProject, numbered(30)) // t00 newest (t0) .. t29 oldest (t0-29m)
	tests := []struct {
		name      string
		query     string
		wantCount string
		wantIDs   []string
	}{
		{"default limit is 10", "", "30", idRange(0, 10)},
		{"offset and limit", "?offset=5&limit=3", "30", idRange(5, 8)},
		{"last partial page", "?offset=28&limit=5", "30", idRange(28, 30)},
		{"offset past the end", "?offset=30", "30", nil},
		{"limit 1000", "?limit=1000", "30", idRange(0, 30)},
		{"start_time inclusive", "?limit=100&start_time=" + win(t0.Add(-4*time.Minute)), "5", idRange(0, 5)},
		{"end_time inclusive", "?limit=100&end_time=" + win(t0.Add(-27*time.Minute)), "3", idRange(27, 30)},
		{"window with paging", "?start_time=" + win(t0.Add(-9*time.Minute)) + "&end_time=" + win(t0.Add(-2*time.Minute)) + "&offset=2&limit=2", "8", idRange(4, 6)},
		{"begin_time ignored by a start_time server", "?begin_time=" + win(t0), "30", idRange(0, 10)},
		{"unknown parameters ignored", "?foo=bar", "30", idRange(0, 10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := get(t, srv, tasksPath+tt.query)
			if r.status != http.StatusOK {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			p := decodePage(t, r.body)
			if n, ok := p.TaskCount.(json.Number); !ok || n.String() != tt.wantCount {
				t.Errorf("task_count = %#v, want the number %s", p.TaskCount, tt.wantCount)
			}
			if got := p.ids(); !slices.Equal(got, tt.wantIDs) {
				t.Errorf("ids = %v, want %v", got, tt.wantIDs)
			}
		})
	}
}

func TestBeginTimeServerIgnoresStartTime(t *testing.T) {
	s, srv, _ := start(t, Options{StartParam: "begin_time"})
	s.PutAll(testProject, numbered(20))
	since := win(t0.Add(-2 * time.Minute))
	for _, tt := range []struct {
		query, wantCount string
	}{
		{"?start_time=" + since, "20"},
		{"?start_time=garbage", "20"},
		{"?begin_time=" + since, "3"},
		{"?begin_time=" + since + "&start_time=" + win(t0), "3"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			r := get(t, srv, tasksPath+tt.query)
			if r.status != http.StatusOK {
				t.Fatalf("status %d, body %s", r.status, r.body)
			}
			if got := decodePage(t, r.body).TaskCount.(json.Number).String(); got != tt.wantCount {
				t.Errorf("task_count = %s, want %s", got, tt.wantCount)
			}
		})
	}
}

func TestInvalidParameters(t *testing.T) {
	_, srv, _ := start(t, Options{})
	for _, tt := range []struct{ query, param string }{
		{"?limit=0", "limit"}, {"?limit=1001", "limit"}, {"?limit=abc", "limit"}, {"?limit=", "limit"},
		{"?offset=-1", "offset"}, {"?offset=1.5", "offset"},
		{"?start_time=2024-03-01", "start_time"}, {"?end_time=20241301000000", "end_time"},
	} {
		t.Run(tt.query, func(t *testing.T) {
			r := get(t, srv, tasksPath+tt.query)
			want := `{"error_code":"111400063","error_msg":"Invalid parameter: ` + tt.param + `","error_ext_msg":null}`
			if r.status != http.StatusBadRequest || string(r.body) != want {
				t.Errorf("got %d %s, want 400 %s", r.status, r.body, want)
			}
		})
	}
}

func TestNewestFirstWithTies(t *testing.T) {
	s, srv, _ := start(t, Options{})
	s.Put(testProject, Task{ID: "old", CreatedAt: t0.Add(-time.Hour)})
	s.Put(testProject, Task{ID: "aaa", CreatedAt: t0})
	s.Put(testProject, Task{ID: "zzz", CreatedAt: t0})
	s.Put(testProject, Task{ID: "new", CreatedAt: t0.Add(time.Millisecond)})
	got := decodePage(t, get(t, srv, tasksPath).body).ids()
	if want := []string{"new", "zzz", "aaa", "old"}; !slices.Equal(got, want) {
		t.Errorf("order = %v, want %v", got, want)
	}
}

func TestTaskJSON(t *testing.T) {
	s, srv, _ := start(t, Options{})
	s.Put(testProject, Task{
		ID: "with-details", Name: "EXTEND", Status: "RUNNING",
		CreatedAt: time.Date(2023, 6, 17, 16, 18, 6, 597_400_000, time.FixedZone("CST", 8*3600)),
		Details:   map[string]any{"old_capacity": 0.125, "new_capacity": 0.25},
		Params:    `{"spec":"x"}`,
		Extra:     map[string]any{"progress": 42, "id": "ignored"},
	})
	s.Put(testProject, Task{ID: "plain", CreatedAt: t0.AddDate(-1, 0, 0), UpdatedAt: t0.AddDate(-1, 0, 0), EnableShow: true})
	r := get(t, srv, tasksPath)

	if ct := r.header.Get("Content-Type"); ct != "application/json;charset=UTF-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	if id := r.header.Get("X-Request-Id"); !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(id) {
		t.Errorf("X-Request-Id = %q, want 32 hex digits", id)
	}
	want := `{"task_count":2,"tasks":[` +
		`{"id":"with-details","name":"EXTEND","job_id":"","user_name":"","user_id":"","details":{"new_capacity":0.25,"old_capacity":0.125},"params":"{\"spec\":\"x\"}","status":"RUNNING","created_at":"2023-06-17T08:18:06.597Z","updated_at":"","error_code":"","enable_show":false,"progress":42},` +
		`{"id":"plain","name":"","job_id":"","user_name":"","user_id":"","details":null,"status":"","created_at":"2023-03-01T12:00:00.000Z","updated_at":"2023-03-01T12:00:00.000Z","error_code":"","enable_show":true}]}`
	if string(r.body) != want {
		t.Errorf("body\n%s\nwant\n%s", r.body, want)
	}
}

func TestRoutingAndRefusals(t *testing.T) {
	_, srv, _ := start(t, Options{})
	unsigned := func(method, path string) func(t *testing.T) response {
		return func(t *testing.T) response {
			req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
			return do(t, req)
		}
	}
	signed := func(method, path string) func(t *testing.T) response {
		return func(t *testing.T) response {
			req, _ := http.NewRequestWithContext(t.Context(), method, srv.URL+path, nil)
			req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=a, SignedHeaders=x-sdk-date, Signature=0")
			return do(t, req)
		}
	}
	for _, tt := range []struct {
		name       string
		send       func(t *testing.T) response
		wantStatus int
		wantCode   string
	}{
		{"other path", signed(http.MethodGet, "/v2/"+testProject+"/jobs"), 404, "APIGW.0101"},
		{"trailing slash", signed(http.MethodGet, tasksPath+"/"), 404, "APIGW.0101"},
		{"v1", signed(http.MethodGet, "/v1/"+testProject+"/tasks"), 404, "APIGW.0101"},
		{"POST", signed(http.MethodPost, tasksPath), 405, "APIGW.0101"},
		{"no signature", unsigned(http.MethodGet, tasksPath), 401, "APIGW.0301"},
		{"unknown project", signed(http.MethodGet, "/v2/ffffffffffffffffffffffffffffffff/tasks"), 401, "APIGW.0301"},
		{"known project", signed(http.MethodGet, tasksPath), 200, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.send(t)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %s)", r.status, tt.wantStatus, r.body)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			if tt.wantCode == "" {
				return
			}
			if got := errorCode(t, r.body); got != tt.wantCode {
				t.Errorf("error_code %q, want %q", got, tt.wantCode)
			}
			if !strings.Contains(string(r.body), r.header.Get("X-Request-Id")) {
				t.Errorf("gateway error %s lacks the request id", r.body)
			}
		})
	}
}

func TestCounters(t *testing.T) {
	s, srv, _ := start(t, Options{})
	get(t, srv, tasksPath)
	get(t, srv, tasksPath+"?limit=0")
	get(t, srv, "/v2/other/tasks")
	get(t, srv, "/nowhere")
	if got := s.Requests(testProject); got != 2 {
		t.Errorf("Requests(project) = %d, want 2", got)
	}
	if got := s.Requests("other"); got != 1 {
		t.Errorf("Requests(other) = %d, want 1", got)
	}
	st := s.Stats()
	if st.Requests != 4 || st.ByStatus[200] != 1 || st.ByStatus[400] != 1 || st.ByStatus[401] != 1 || st.ByStatus[404] != 1 {
		t.Errorf("Stats = %+v", st)
	}
}

func idRange(from, to int) []string {
	var ids []string
	for _, task := range numbered(to)[from:] {
		ids = append(ids, task.ID)
	}
	return ids
}

func win(t time.Time) string { return t.UTC().Format(WindowLayout) }

func TestPageCapServesFewerThanTheLimit(t *testing.T) {
	s, srv, _ := start(t, Options{PageCap: 4})
	s.PutAll(testProject, numbered(10))
	for _, tt := range []struct {
		query string
		want  []string
	}{
		{"?limit=1000", idRange(0, 4)},
		{"?offset=4&limit=1000", idRange(4, 8)},
		{"?offset=8&limit=1000", idRange(8, 10)},
		{"?limit=2", idRange(0, 2)},
	} {
		t.Run(tt.query, func(t *testing.T) {
			p := decodePage(t, get(t, srv, tasksPath+tt.query).body)
			if got := p.ids(); !slices.Equal(got, tt.want) || p.TaskCount.(json.Number).String() != "10" {
				t.Errorf("ids = %v, task_count = %v; want %v and 10", got, p.TaskCount, tt.want)
			}
		})
	}
}
