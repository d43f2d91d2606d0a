package slacksink

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/receiver"
	"notifier/internal/retry"
	"notifier/internal/secret"
	"notifier/internal/testkit/testutil"
)

// secretToken is the recognizable part of hookPath.
const secretToken = "S3cr3tT0k3nXYZ"

// leakyServers are webhooks that fail in every way an error could carry the URL, with
// the classification Send must give.
func leakyServers(t *testing.T) []struct {
	name      string
	url       secret.Secret
	client    *http.Client
	permanent bool
} {
	t.Helper()
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // connection refused: a *url.Error quoting the URL
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-release }))
	t.Cleanup(hang.Close)
	t.Cleanup(func() { close(release) })
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://elsewhere.example"+hookPath, http.StatusFound)
	}))
	t.Cleanup(redirect.Close)
	status := func(code int, body, retryAfter string) secret.Secret {
		return newFakeSlack(t, func(int) reply { return reply{code, body, retryAfter} }).hook()
	}
	type row = struct {
		name      string
		url       secret.Secret
		client    *http.Client
		permanent bool
	}
	return []row{
		{"connection refused", secret.Secret(closed.URL + hookPath), nil, false},
		{"timeout", secret.Secret(hang.URL + hookPath), &http.Client{Timeout: 50 * time.Millisecond}, false},
		{"password in the URL", secret.Secret(strings.Replace(closed.URL, "//", "//user:"+secretToken+"@", 1) + "/x"), nil, false},
		{"redirect", secret.Secret(redirect.URL + hookPath), nil, true},
		{"404", status(http.StatusNotFound, "channel_not_found", ""), nil, true},
		{"500", status(http.StatusInternalServerError, "<html>"+hookPath+"</html>", ""), nil, false},
		{"429", status(http.StatusTooManyRequests, "rate_limited", "1"), nil, false},
		{"429 unreadable", status(http.StatusTooManyRequests, "rate_limited", secretToken), nil, false},
	}
}

// TestNoSecretInErrors pushes every kind of failure through Send and checks that the
// URL's secret appears in no error, however it is printed.
func TestNoSecretInErrors(t *testing.T) {
	for i, s := range leakyServers(t) {
		t.Run(s.name, func(t *testing.T) {
			logs := &testutil.SyncBuffer{}
			o := Options{Key: fmt.Sprintf("slack.webhooks[%d]", i), Webhook: WebhookConfig{Common: receiver.Common{Name: "hook"}}, URL: s.url, Client: s.client, Log: zerolog.New(logs), MinGap: time.Millisecond}
			sink, err := New(o)
			if err != nil {
				t.Fatal(err)
			}
			n, err := sink.Send(t.Context(), events(t, 1))
			if err == nil || n != 0 {
				t.Fatalf("Send = %d, %v; want 0 and an error", n, err)
			}
			if got := retry.IsPermanent(err); got != s.permanent {
				t.Errorf("permanent = %v, want %v (%v)", got, s.permanent, err)
			}
			unwrapped := ""
			for e := err; e != nil; e = errors.Unwrap(e) {
				unwrapped += e.Error() + fmt.Sprintf("%+v %#v", e, e)
			}
			opts, _ := json.Marshal(struct{ URL secret.Secret }{o.URL})
			for what, text := range map[string]string{
				"error": unwrapped, "log": logs.String(), "sink": fmt.Sprintf("%v %+v %#v %s %v %+v %#v", sink, sink, sink, sink, *sink, *sink, *sink),
				"options": fmt.Sprintf("%v %+v %#v", o, o, o) + string(opts),
			} {
				if strings.Contains(text, secretToken) {
					t.Errorf("the %s shows the secret: %s", what, text)
				}
			}
		})
	}
}

// TestNoSecretInLogs runs the same failures through the Dispatcher, which logs every
// retry and drop, and checks every captured line.
func TestNoSecretInLogs(t *testing.T) {
	var opts []Options
	for _, s := range leakyServers(t) {
		opts = append(opts, Options{URL: s.url, Client: s.client})
	}
	r := newRig(t, t.TempDir(), opts...)
	r.commit(t, events(t, 2)...)
	testutil.Eventually(t, "every sink to log a failure", func() bool {
		logs := r.logs.String()
		for _, s := range r.sinks {
			if !strings.Contains(logs, `"receiver":"`+s.Name()+`"`) {
				return false
			}
		}
		return true
	})
	r.stop()
	logs := r.logs.String()
	for _, line := range strings.Split(logs, "\n") {
		if strings.Contains(line, secretToken) || strings.Contains(line, hookPath) {
			t.Errorf("log line shows the secret: %s", line)
		}
	}
	if !strings.Contains(logs, "<secret>") {
		t.Errorf("expected transport errors to show <secret> in place of the URL:\n%s", logs)
	}
}
