package dcssim

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestFaults(t *testing.T) {
	const html = "<html><body><h1>502 Bad Gateway</h1></body></html>"
	tests := []struct {
		name        string
		fault       Fault
		wantStatus  int
		wantCode    string // error_code of the body, if JSON
		wantBody    string // exact body, if set
		wantType    string
		retryAfter  string
		wantNoRetry bool
	}{
		{name: "throttled with Retry-After", fault: Fault{Status: 429, RetryAfter: "3"}, wantStatus: 429, wantCode: "APIGW.0308", retryAfter: "3"},
		{name: "throttled without Retry-After", fault: Fault{Status: 429}, wantStatus: 429, wantCode: "APIGW.0308", wantNoRetry: true},
		{name: "service error", fault: Fault{Status: 500}, wantStatus: 500, wantCode: "111500001"},
		{name: "bad gateway", fault: Fault{Status: 502}, wantStatus: 502, wantCode: "APIGW.0202"},
		{name: "unavailable", fault: Fault{Status: 503, RetryAfter: "120"}, wantStatus: 503, wantCode: "APIGW.0202", retryAfter: "120"},
		{name: "credentials", fault: Fault{Status: 401}, wantStatus: 401, wantCode: "APIGW.0301"},
		{name: "forbidden", fault: Fault{Status: 403}, wantStatus: 403, wantCode: "APIGW.0302"},
		{name: "HTML page with 200", fault: Fault{Status: 200, Body: html}, wantStatus: 200, wantBody: html, wantType: "text/html;charset=UTF-8"},
		{name: "HTML page, status 0", fault: Fault{Body: html}, wantStatus: 200, wantBody: html, wantType: "text/html;charset=UTF-8"},
		{name: "raw JSON body", fault: Fault{Status: 500, Body: `{"oops":1}`}, wantStatus: 500, wantBody: `{"oops":1}`, wantType: contentTypeJSON},
		{name: "short delay then normal", fault: Fault{Delay: time.Millisecond}, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv, _ := start(t, Options{})
			s.InjectFault(tt.fault)
			r := get(t, srv, tasksPath)
			if r.status != tt.wantStatus {
				t.Fatalf("status %d, want %d (body %s)", r.status, tt.wantStatus, r.body)
			}
			if tt.wantCode != "" {
				if got := errorCode(t, r.body); got != tt.wantCode {
					t.Errorf("error_code %q, want %q", got, tt.wantCode)
				}
			}
			if tt.wantBody != "" && string(r.body) != tt.wantBody {
				t.Errorf("body %q, want %q", r.body, tt.wantBody)
			}
			if tt.wantType != "" && r.header.Get("Content-Type") != tt.wantType {
				t.Errorf("Content-Type %q, want %q", r.header.Get("Content-Type"), tt.wantType)
			}
			if got, ok := r.header["Retry-After"]; tt.retryAfter != "" && (len(got) != 1 || got[0] != tt.retryAfter) ||
				tt.wantNoRetry && ok {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if r.header.Get("X-Request-Id") == "" {
				t.Error("no X-Request-Id")
			}
			// The fault is used up: the next request is answered normally.
			if r := get(t, srv, tasksPath); r.status != http.StatusOK {
				t.Errorf("next request: status %d, want 200", r.status)
			}
			if st := s.Stats(); st.Faults != 1 {
				t.Errorf("Stats.Faults = %d, want 1", st.Faults)
			}
		})
	}
}

func TestFaultsAreFIFOAcrossProjects(t *testing.T) {
	s, srv, _ := start(t, Options{})
	s.AddProject("p2")
	s.InjectFault(Fault{Status: 502})
	s.InjectFault(Fault{Status: 429})
	get(t, srv, "/nowhere") // not the tasks path: consumes nothing
	for i, tt := range []struct {
		path string
		want int
	}{{"/v2/p2/tasks", 502}, {tasksPath, 429}, {tasksPath, 200}} {
		if r := get(t, srv, tt.path); r.status != tt.want {
			t.Errorf("request %d: status %d, want %d", i, r.status, tt.want)
		}
	}
}

func TestFaultTruncate(t *testing.T) {
	s, srv, _ := start(t, Options{})
	s.PutAll(testProject, numbered(20))
	s.InjectFault(Fault{Truncate: true})
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+tasksPath, nil)
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	body, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read error %v, want io.ErrUnexpectedEOF", err)
	}
	if int64(len(body)) != resp.ContentLength/2 {
		t.Errorf("read %d bytes, want half of Content-Length %d", len(body), resp.ContentLength)
	}
}

func TestFaultDelayEndsWithClient(t *testing.T) {
	s, srv, _ := start(t, Options{})
	s.InjectFault(Fault{Delay: time.Hour})
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL+tasksPath, nil)
	req.Header.Set("Authorization", "SDK-HMAC-SHA256 x")
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
		t.Fatal("request answered despite a one-hour delay")
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want context.DeadlineExceeded", err)
	}
	// Close waits for the handler: it must return now, not in an hour.
	closed := make(chan struct{})
	go func() { srv.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("handler still waiting after the client went away")
	}
	if st := s.Stats(); len(st.ByStatus) != 0 {
		t.Errorf("ByStatus = %v, want nothing recorded for an abandoned request", st.ByStatus)
	}
}
