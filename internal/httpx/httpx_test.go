package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// secretPath is the secret part of the URLs the tests post to, as in a Slack webhook.
const secretPath = "/services/T000/B000/S3cr3tT0k3nXYZ"

func TestPostJSONSendsJSONAndReadsTheAnswer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var v map[string]string
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" ||
			json.NewDecoder(r.Body).Decode(&v) != nil || v["text"] != "hello" {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Seen", "yes")
		w.WriteHeader(http.StatusAccepted)
		_, _ = io.WriteString(w, `{"status":"success"}`)
	}))
	t.Cleanup(srv.Close)
	resp, err := PostJSON(t.Context(), NewClient(nil), srv.URL+secretPath, map[string]string{"text": "hello"})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusAccepted || resp.Header.Get("X-Seen") != "yes" || string(resp.Body) != `{"status":"success"}` {
		t.Errorf("response = %d %v %q", resp.StatusCode, resp.Header, resp.Body)
	}
	if err := Check(resp); err != nil {
		t.Errorf("Check = %v", err)
	}
}

// TestNoURLInErrors pushes every kind of failure through PostJSON and Check and checks
// that no part of the URL's secret appears in the error, however it is printed or
// unwrapped.
func TestNoURLInErrors(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		// A long body quoting the URL, cut in the middle of it by the excerpt.
		_, _ = io.WriteString(w, strings.Repeat("x", maxExcerpt-10)+r.URL.Path+" "+r.URL.String())
	}))
	t.Cleanup(echo.Close)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example"+secretPath, http.StatusFound)
	}))
	t.Cleanup(redirect.Close)
	tests := []struct {
		name   string
		url    string
		client *http.Client
	}{
		{"connection refused", closed.URL + secretPath, nil},
		{"timeout", hang.URL + secretPath, &http.Client{Timeout: 50 * time.Millisecond}},
		{"password in the URL", strings.Replace(closed.URL, "//", "//user:S3cr3tT0k3nXYZ@", 1) + "/x", nil},
		{"body quoting the URL", echo.URL + secretPath, nil},
		{"redirect", redirect.URL + secretPath, nil},
		{"unparseable URL", "http://[::1" + secretPath, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := PostJSON(t.Context(), NewClient(tt.client), tt.url, map[string]string{"text": "x"})
			if err == nil {
				err = Check(resp)
			}
			if err == nil {
				t.Fatal("no error")
			}
			text := ""
			for e := err; e != nil; e = errors.Unwrap(e) {
				text += e.Error() + fmt.Sprintf(" %+v %#v ", e, e)
			}
			if strings.Contains(text, "S3cr3t") {
				t.Errorf("the error shows the secret: %s", text)
			}
		})
	}
}

func TestPostJSONReturnsTheContextError(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	if _, err := PostJSON(ctx, NewClient(nil), hang.URL+secretPath, 1); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("PostJSON = %v, want the context's error", err)
	}
}

// PostJSONWith sends the extra headers, and an answer that echoes one has it replaced in
// Check's excerpt, as the URL is.
func TestPostJSONWithSendsHeadersAndKeepsThemOutOfErrors(t *testing.T) {
	const auth = "Bearer t0ken-that-is-secret"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != auth || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		http.Error(w, "refused "+r.Header.Get("Authorization"), http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	resp, err := PostJSONWith(t.Context(), NewClient(nil), srv.URL, []int{1}, http.Header{"Authorization": {auth}})
	if err != nil {
		t.Fatal(err)
	}
	err = Check(resp)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden || strings.Contains(err.Error(), "t0ken-that-is-secret") {
		t.Fatalf("Check = %v, want a 403 without the header's value", err)
	}
}
