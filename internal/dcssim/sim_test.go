package dcssim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"notifier/internal/testkit/testutil"
	"os"
	"strings"
	"testing"
	"time"
)

const testProject = "0123456789abcdef0123456789abcdef"

// t0 is the fixed "now" of the tests.
var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// start serves a new Sim with the project testProject and a clock at t0.
func start(t *testing.T, opts Options) (*Sim, *httptest.Server, *testutil.Clock) {
	t.Helper()
	c := testutil.NewClock(t0)
	if opts.Now == nil {
		opts.Now = c.Now
	}
	s := New(opts)
	s.AddProject(testProject)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv, c
}

// response is a finished exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// get sends GET srv.URL+path with an (unverified) SDK authorization header.
func get(t *testing.T, srv *httptest.Server, path string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 Access=x, SignedHeaders=x-sdk-date, Signature=00")
	return do(t, req)
}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return response{resp.StatusCode, resp.Header, body}
}

// page is a decoded list response; numbers stay json.Number so their JSON type can be checked.
type page struct {
	TaskCount any              `json:"task_count"`
	Tasks     []map[string]any `json:"tasks"`
}

func decodePage(t *testing.T, body []byte) page {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var p page
	if err := d.Decode(&p); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return p
}

func (p page) ids() []string {
	ids := make([]string, len(p.Tasks))
	for i, task := range p.Tasks {
		ids[i], _ = task["id"].(string)
	}
	return ids
}

// errorCode returns the error_code of an error body.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Code string `json:"error_code"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Code
}

// numbered returns n tasks created one minute apart, the newest at t0, with ids t00..t<n-1>.
func numbered(n int) []Task {
	ts := make([]Task, n)
	for i := range ts {
		ts[i] = Task{
			ID: fmt.Sprintf("t%02d", i), Name: "EXTEND", Status: "SUCCESS",
			CreatedAt: t0.Add(-time.Duration(i) * time.Minute),
		}
	}
	return ts
}

func TestDocExampleIsVerbatim(t *testing.T) {
	page, err := os.ReadFile("/work/shared/dcs-api/ListCenterTask.txt")
	if err != nil {
		t.Skipf("vendor page not available: %v", err)
	}
	lines := strings.Split(string(page), "\n")
	want := strings.Join(lines[422:455], "\n")
	if got := string(DocExample()); got != want {
		t.Errorf("DocExample differs from the vendor page:\n%s\nwant:\n%s", got, want)
	}
	if !json.Valid(DocExample()) {
		t.Error("DocExample is not valid JSON")
	}
}

func TestSetStatusAndTasks(t *testing.T) {
	c := testutil.NewClock(t0)
	s := New(Options{Now: c.Now})
	details := map[string]any{"account_name": "default"}
	s.Put(testProject, Task{ID: "a", Status: "RUNNING", CreatedAt: t0.Add(-time.Hour), Details: details})
	s.Put(testProject, Task{ID: "b", Status: "RUNNING", CreatedAt: t0})
	details["account_name"] = "changed by the caller"

	c.Set(t0.Add(time.Minute))
	if err := s.SetStatus(testProject, "a", "SUCCESS"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(testProject, "nope", "SUCCESS"); !errors.Is(err, ErrUnknownTask) {
		t.Errorf("SetStatus(unknown task) = %v, want ErrUnknownTask", err)
	}
	if err := s.SetStatus("other", "a", "SUCCESS"); !errors.Is(err, ErrUnknownTask) {
		t.Errorf("SetStatus(unknown project) = %v, want ErrUnknownTask", err)
	}
	got := s.Tasks(testProject)
	if len(got) != 2 || got[0].ID != "b" || got[1].ID != "a" {
		t.Fatalf("Tasks = %+v, want b then a", got)
	}
	if got[1].Status != "SUCCESS" || !got[1].UpdatedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("task a = %+v, want SUCCESS updated at t0+1m", got[1])
	}
	if got[1].Details["account_name"] != "default" {
		t.Errorf("details = %v, want the copy taken by Put", got[1].Details)
	}
	got[1].Details["account_name"] = "x"
	if s.Tasks(testProject)[1].Details["account_name"] != "default" {
		t.Error("Tasks returned the simulator's own details map")
	}
}
