package natssink

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/natsconn"
	"notifier/internal/receiver"
	"notifier/internal/testkit/natstest"
	"notifier/internal/testkit/testutil"
)

// openFromConfig opens the receiver as the app does, from [nats] c, on a connection to
// url, with the nats-kv state's replicas; it sends one event so that the stream is
// looked up (and created when missing).
func openFromConfig(t *testing.T, url string, c Config, stateReplicas int, log zerolog.Logger) {
	t.Helper()
	conn, err := natsconn.Dial(natsconn.Options{URL: url, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Close)
	o, err := open(&c, "nats", receiver.Deps{NATS: conn, Replicas: stateReplicas, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	s := o.Sink.(*Sink)
	testutil.Eventually(t, "the connection up", s.Connected)
	if n, err := s.Send(t.Context(), []event.Event{testEvent("a", "FAILED")}); n != 1 || err != nil {
		t.Fatalf("Send = %d, %v", n, err)
	}
}

// streamConfigOf is the configuration of stream name as the server holds it.
func streamConfigOf(t *testing.T, js jetstream.JetStream, name string) jetstream.StreamConfig {
	t.Helper()
	st, err := js.Stream(t.Context(), name)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info.Config
}

// A stream the notifier creates has the limits [nats] sets: by default 30 days and no
// size limit, so that it does not grow forever.
func TestCreatedStreamHasTheConfiguredLimits(t *testing.T) {
	for _, tt := range []struct {
		name     string
		age      string
		bytes    int64
		wantAge  time.Duration
		wantSize int64
	}{
		{name: "default", wantAge: 30 * 24 * time.Hour, wantSize: -1},
		{name: "set", age: "7d12h", bytes: 1 << 20, wantAge: 180 * time.Hour, wantSize: 1 << 20},
		{name: "unlimited", age: "0s", wantAge: 0, wantSize: -1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := natstest.RunJetStream(t)
			c := DefaultConfig()
			c.JetStream = true
			if tt.age != "" {
				if err := c.StreamMaxAge.UnmarshalText([]byte(tt.age)); err != nil {
					t.Fatal(err)
				}
			}
			c.StreamMaxBytes = tt.bytes
			openFromConfig(t, srv.ClientURL(), c, 1, zerolog.Nop())
			_, js := natstest.Connect(t, srv)
			got := streamConfigOf(t, js, "DCS_TASKS")
			if got.MaxAge != tt.wantAge || got.MaxBytes != tt.wantSize || got.Replicas != 1 || got.Duplicates != 10*time.Minute {
				t.Errorf("stream max_age %v max_bytes %d replicas %d duplicates %v; want %v %d 1 10m",
					got.MaxAge, got.MaxBytes, got.Replicas, got.Duplicates, tt.wantAge, tt.wantSize)
			}
		})
	}
}

// An existing stream is used as it is, never changed; each limit it has other than the
// config's is logged as a warning naming the key, the stream's value and the config's.
func TestExistingStreamDriftIsLoggedNotChanged(t *testing.T) {
	srv := natstest.RunJetStream(t)
	_, js := natstest.Connect(t, srv) // its operator made it before the limits existed
	before, err := js.CreateStream(t.Context(), jetstream.StreamConfig{Name: "DCS_TASKS", Subjects: []string{"dcs.tasks.>"}})
	if err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.JetStream, c.StreamMaxBytes = true, 1<<30
	var logs testutil.SyncBuffer
	openFromConfig(t, srv.ClientURL(), c, 1, zerolog.New(&logs))

	if got := streamConfigOf(t, js, "DCS_TASKS"); got.MaxAge != before.CachedInfo().Config.MaxAge || got.MaxBytes != -1 || got.Replicas != 1 {
		t.Errorf("the existing stream was changed: max_age %v max_bytes %d replicas %d", got.MaxAge, got.MaxBytes, got.Replicas)
	}
	want := map[string][2]string{
		"nats.stream_max_age":   {"unlimited", "30d"},
		"nats.stream_max_bytes": {"unlimited", "1073741824"},
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var l struct{ Level, Setting, Stream_has, Config_wants, Stream string }
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if l.Setting == "" {
			continue
		}
		w, ok := want[l.Setting]
		if !ok || l.Level != "warn" || l.Stream != "DCS_TASKS" || l.Stream_has != w[0] || l.Config_wants != w[1] {
			t.Errorf("unexpected drift warning: %s", line)
		}
		delete(want, l.Setting)
	}
	for k := range want {
		t.Errorf("no warning for %s in:\n%s", k, logs.String())
	}
}

// nats.stream_replicas sets a created stream's replicas on a JetStream cluster; unset,
// the stream has as many as the nats-kv state's buckets.
func TestCreatedStreamReplicasOnACluster(t *testing.T) {
	cl := natstest.NewCluster(t, 3)
	for i, tt := range []struct {
		name             string
		key, state, want int
	}{
		{name: "stream_replicas set", key: 3, state: 1, want: 3},
		{name: "unset follows state.replicas", key: 0, state: 3, want: 3},
		{name: "unset, one state replica", key: 0, state: 1, want: 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// A stream and subjects of its own per case: a deleted stream's store may
			// linger on another node for a moment, and creating one of the same name
			// there fails ("error creating store for stream", seen in CI).
			c := DefaultConfig()
			c.JetStream, c.StreamReplicas = true, tt.key
			c.Stream, c.SubjectPrefix = fmt.Sprintf("DCS_TASKS_%d", i), fmt.Sprintf("dcs.tasks%d", i)
			openFromConfig(t, cl.URL(), c, tt.state, zerolog.Nop())
			_, js := natstest.Connect(t, runningServer(cl))
			if got := streamConfigOf(t, js, c.Stream).Replicas; got != tt.want {
				t.Errorf("stream replicas = %d, want %d", got, tt.want)
			}
		})
	}
}

// runningServer is one node of cl that runs.
func runningServer(cl *natstest.Cluster) *server.Server {
	for _, s := range cl.Servers {
		if s != nil {
			return s
		}
	}
	return nil
}
