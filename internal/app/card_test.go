package app_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/state"
	"notifier/internal/testkit/slackfake"
	"notifier/internal/testkit/testutil"
)

const cardToken = "xoxb-0000-1111-CardT0k3nS3cr3t"

// A task RUNNING → SUCCESS and one RUNNING → FAILED, with a SIGKILL of the notifier
// between the two events of each, give exactly one top-level card per task in each
// channel, updated in place, with thread replies where asked: in both state backends.
// The kill keeps nothing but what was committed: with the file backend the next
// notifier starts from a copy of the state file taken while the first one ran; with
// nats-kv the NATS server stops under the first one, which then can save nothing.
func TestLiveCardSurvivesSIGKILL(t *testing.T) {
	for _, backend := range []string{"file", "nats-kv"} {
		t.Run(backend, func(t *testing.T) {
			p := newPipeline(t, backend == "nats-kv")
			api := slackfake.New(t, cardToken)
			p.cfg.Slack.Channels = []slacksink.ChannelConfig{
				{Common: receiver.Common{Name: "live", MinSeverity: "info", MaxPending: 100}, BotTokenEnv: "SLACK_BOT_TOKEN", Channel: "C0000000001", APIURL: api.APIURL(), ThreadReplies: true},
				{Common: receiver.Common{Name: "quiet", MinSeverity: "info", MaxPending: 100}, BotTokenEnv: "SLACK_BOT_TOKEN", Channel: "C0000000002", APIURL: api.APIURL()},
			}
			p.cfg.Shutdown.Timeout = config.Duration(time.Second)
			if backend == "nats-kv" {
				p.cfg.State.Backend, p.cfg.State.Replicas = "nats-kv", 1
				p.cfg.State.LeaseTTL = config.Duration(1500 * time.Millisecond)
			}
			deps := func() app.Deps {
				d := p.deps(prometheus.NewRegistry())
				base := d.Getenv
				d.Getenv = func(k string) string {
					if k == "SLACK_BOT_TOKEN" {
						return cardToken
					}
					return base(k)
				}
				return d
			}

			first := deps()
			stop := p.startWith(first)
			p.put("swap", event.SwitchoverTask, "RUNNING")
			p.put("eip", "BindEip", "RUNNING")
			testutil.Eventually(t, "a card per task in each channel, every event delivered", func() bool {
				return len(api.Top("C0000000001")) == 2 && len(api.Top("C0000000002")) == 2 &&
					metric(t, first.Registry, "notifier_pending_events") == 0
			})

			// SIGKILL.
			if backend == "file" {
				dir := t.TempDir()
				copyState(t, p.cfg.State.Path, dir)
				stop()
				next := *p.cfg
				next.State.Path = dir
				p.cfg = &next
			} else {
				p.ns.Stop()
				stop()
				p.ns.Start()
			}
			p.set("swap", "FAILED")
			p.set("eip", "SUCCESS")

			stop = p.startWith(deps())
			defer stop()
			updated := func(ch string) bool {
				for _, m := range api.Top(ch) {
					if m.Updates == 0 {
						return false
					}
				}
				return true
			}
			testutil.Eventually(t, "both cards updated in both channels, with replies", func() bool {
				top := api.Top("C0000000001")
				return updated("C0000000001") && updated("C0000000002") && len(top) == 2 &&
					len(api.Replies(top[0].TS)) == 1 && len(api.Replies(top[1].TS)) == 1
			})
			stop()

			for _, ch := range []string{"C0000000001", "C0000000002"} {
				top := api.Top(ch)
				if len(top) != 2 {
					t.Fatalf("%s: %d top-level messages, want one card per task", ch, len(top))
				}
				byTask := map[string]slackfake.Message{}
				for _, m := range top {
					if m.Updates != 1 {
						t.Errorf("%s: card %q updated %d times, want once", ch, m.Text, m.Updates)
					}
					switch {
					case strings.Contains(m.Text, "Master/standby switchover failed"):
						byTask["swap"] = m
					case strings.Contains(m.Text, "Public access enabled"):
						byTask["eip"] = m
					}
				}
				if len(byTask) != 2 {
					t.Fatalf("%s: the cards do not say where the tasks ended: %q, %q", ch, top[0].Text, top[1].Text)
				}
				for task, m := range byTask {
					replies := api.Replies(m.TS)
					if ch == "C0000000002" {
						if len(replies) != 0 {
							t.Errorf("%s: %d replies without thread_replies", ch, len(replies))
						}
						continue
					}
					if len(replies) != 1 || replies[0].Broadcast != (task == "swap") {
						t.Errorf("%s %s: replies %+v; want one, broadcast only for the failure", ch, task, replies)
					}
				}
				var blocks string
				for _, a := range byTask["swap"].Attachments {
					blocks += string(a.Blocks)
				}
				if !strings.Contains(blocks, "RUNNING ") || !strings.Contains(blocks, "→ FAILED ") {
					t.Errorf("%s: the swap card has no history line: %s", ch, blocks)
				}
			}
			for _, c := range api.Calls() {
				if !c.Bearer {
					t.Errorf("%s sent the token in its body", c.Method)
				}
			}
		})
	}
}

// copyState copies the state files of a running notifier (every project file, each as it
// is at that instant, as a SIGKILL would leave them), not its lock.
func copyState(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(to, state.ProjectsDir), 0o700); err != nil {
		t.Fatal(err)
	}
	names, _ := filepath.Glob(filepath.Join(from, state.ProjectsDir, "*.json"))
	if len(names) == 0 {
		t.Fatalf("no project file in %s", from)
	}
	for _, name := range append(names, filepath.Join(from, state.FileName)) {
		b, err := os.ReadFile(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(from, name)
		if err := os.WriteFile(filepath.Join(to, rel), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
