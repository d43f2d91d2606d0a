package app

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/event"
	rcv "notifier/internal/receiver"
	"notifier/internal/silence"
	"notifier/internal/sinks/slacksink"
	ntestutil "notifier/internal/testkit/testutil"
)

// With nats-kv, a silence added through one replica is applied by the replica leading
// the shard as soon as its watch of the bucket hears it, and a fail-over keeps it: the
// new leader silences the task's next event too. Slack gets nothing about the task.
func TestSilenceIsSharedByReplicasAndSurvivesAFailover(t *testing.T) {
	rs := newReplicaSet(t)
	var posts atomic.Int64
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), "swap") {
			posts.Add(1)
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(hook.Close)
	rs.cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: rcv.Common{Name: "oncall", MaxPending: 100}, URLEnv: "HOOK"}}
	rs.env = map[string]string{"HOOK": hook.URL + "/services/T0/B0/x"}
	rs.cfg.Poll.TerminalStatuses = event.DefaultTerminal()
	rs.start()
	rs.start()
	leader, _ := rs.waitLeader(-1, 20*time.Second)
	follower := 1 - leader
	rs.waitBaseline(leader)
	ntestutil.Eventually(t, "the follower's silences loaded", func() bool { return rs.apps[follower].sil.store.Load() != nil })

	now := time.Now().UTC()
	added, err := rs.apps[follower].AddSilence(t.Context(), silence.Silence{Matchers: silence.Matchers{TaskName: event.SwitchoverTask},
		EndsAt: now.Add(time.Hour), CreatedBy: "alice", Comment: "planned failover test"})
	if err != nil {
		t.Fatal(err)
	}
	heard := time.Now()
	ntestutil.Eventually(t, "the leader hears the silence", func() bool { _, ok := rs.apps[leader].sil.Set().Get(added.ID); return ok })
	t.Logf("the leader applied the silence %v after it was added on the follower", time.Since(heard))

	silenced := func(i int) float64 {
		return testutil.ToFloat64(rs.apps[i].m.Deliveries.WithLabelValues("oncall", "silenced"))
	}
	rs.put("swap", event.SwitchoverTask, "RUNNING")
	ntestutil.Eventually(t, "the leader silences the new task", func() bool { return silenced(leader) == 1 })

	rs.stop(leader)
	next, _ := rs.waitLeader(leader, 20*time.Second)
	if next != follower {
		t.Fatalf("leader %d after the fail-over, want %d", next, follower)
	}
	rs.set("swap", "FAILED")
	ntestutil.Eventually(t, "the new leader silences the task's failure", func() bool { return silenced(next) == 1 })
	rs.waitStream("swap:>RUNNING", "swap:RUNNING>FAILED")
	if n := posts.Load(); n != 0 {
		t.Errorf("Slack got %d posts about the silenced task", n)
	}
}
