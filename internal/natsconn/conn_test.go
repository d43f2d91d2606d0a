package natsconn

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"notifier/internal/testkit/natstest"
	"notifier/internal/testkit/testutil"
)

// lines decodes the JSON log lines with the given message.
func lines(t *testing.T, logs *testutil.SyncBuffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if m["message"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// The connection's life is in the log, each line naming the server without its
// credentials: the first failure to connect with its cause (once, not at every attempt),
// the connect, a disconnect with its cause, the reconnect, and the close.
func TestConnectionStatesLogged(t *testing.T) {
	const token = "states-test-token"
	srv := natstest.Restartable(t, natstest.CoreOnly(), natstest.Token(token))
	url := strings.Replace(srv.URL(), "nats://", "nats://"+token+"@", 1)
	srv.Stop()
	logs := &testutil.SyncBuffer{}
	s, err := Dial(Options{URL: url, Log: zerolog.New(logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const failed = "cannot connect to nats; retrying every second, events stay pending"
	testutil.Eventually(t, "the failure to connect logged", func() bool { return len(lines(t, logs, failed)) > 0 })
	if st := s.State(); st == "connected" {
		t.Errorf("State = %q with the server down", st)
	}
	srv.Start()
	testutil.Eventually(t, "connected", func() bool { return len(lines(t, logs, "nats connected")) > 0 })
	srv.Stop()
	testutil.Eventually(t, "disconnected", func() bool {
		return len(lines(t, logs, "nats disconnected; events stay pending")) > 0
	})
	srv.Start()
	testutil.Eventually(t, "reconnected", func() bool { return len(lines(t, logs, "nats reconnected")) > 0 })
	if st := s.State(); st != "connected" {
		t.Errorf("State = %q after the reconnect, want connected", st)
	}
	s.Close()
	testutil.Eventually(t, "closed", func() bool { return len(lines(t, logs, "nats connection closed")) > 0 })

	if n := len(lines(t, logs, failed)); n != 1 {
		t.Errorf("the failure to connect logged %d times before the server came up, want once", n)
	}
	want := strings.TrimPrefix(srv.URL(), "nats://")
	for _, c := range []struct{ msg, key string }{
		{failed, "servers"}, {"nats connected", "server"},
		{"nats disconnected; events stay pending", "server"},
		{"nats reconnected", "server"}, {"nats connection closed", "server"},
	} {
		l := lines(t, logs, c.msg)[0]
		if v, _ := l[c.key].(string); !strings.Contains(v, want) {
			t.Errorf("%q: %s = %q, want the server's address", c.msg, c.key, v)
		}
	}
	for _, msg := range []string{failed, "nats disconnected; events stay pending"} {
		if r, _ := lines(t, logs, msg)[0]["reason"].(string); r == "" || strings.Contains(r, "no servers available") {
			t.Errorf("%q gives no cause: %q", msg, r)
		}
	}
	if strings.Contains(logs.String(), token) {
		t.Errorf("the log shows the token:\n%s", logs)
	}
}
