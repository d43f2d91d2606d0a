package config

import (
	"fmt"
	"strings"
	"testing"
)

// max_pending bounds each receiver's backlog: 10,000 when absent, whatever written value
// of at least 1 otherwise; a value below 1 is refused with the key and its index, never
// silently replaced by the default (also in an inline table).
func TestMaxPendingDefaultsOnlyWhenAbsent(t *testing.T) {
	const project = "[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = \"0123456789abcdef0123456789abcdef\"\n"
	tests := []struct {
		name    string
		doc     string
		nats    int
		webhook []int
		err     string
	}{
		{name: "absent", doc: "[[slack.webhooks]]\nname = \"hook0\"\nurl_env = \"A\"\n[[slack.webhooks]]\nname = \"hook1\"\nurl_env = \"B\"\n",
			nats: 10000, webhook: []int{10000, 10000}},
		{name: "set", doc: "[nats]\nmax_pending = 3\n[[slack.webhooks]]\nname = \"hook2\"\nurl_env = \"A\"\n[[slack.webhooks]]\nname = \"hook3\"\nurl_env = \"B\"\nmax_pending = 1\n",
			nats: 3, webhook: []int{10000, 1}},
		{name: "inline", doc: "[slack]\nwebhooks = [{name = \"a\", url_env = \"A\", max_pending = 7}, {name = \"b\", url_env = \"B\"}]\n",
			nats: 10000, webhook: []int{7, 10000}},
		{name: "zero in an array table", doc: "[[slack.webhooks]]\nname = \"hook4\"\nurl_env = \"A\"\n[[slack.webhooks]]\nname = \"hook5\"\nurl_env = \"B\"\nmax_pending = 0\n",
			err: "slack.webhooks[1].max_pending: must be at least 1, got 0"},
		{name: "zero inline", doc: "[slack]\nwebhooks = [{name = \"a\", url_env = \"A\", max_pending = 0}]\n",
			err: "slack.webhooks[0].max_pending: must be at least 1, got 0"},
		{name: "negative for nats", doc: "[nats]\nmax_pending = -1\n", err: "nats.max_pending: must be at least 1, got -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load([]byte(project + tt.doc))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, w := range c.Slack.Webhooks {
				got = append(got, w.MaxPending)
			}
			if c.NATS.MaxPending != tt.nats || fmt.Sprint(got) != fmt.Sprint(tt.webhook) {
				t.Errorf("nats %d webhooks %v, want %d %v", c.NATS.MaxPending, got, tt.nats, tt.webhook)
			}
		})
	}
}

// poll.lookback + poll.safety_margin must cover twice the longest gap between two polls
// (interval, or max_backoff after failures), and poll.max_follow the whole window.
func TestPollWindowCoversTheGapBetweenPolls(t *testing.T) {
	const project = "[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = \"0123456789abcdef0123456789abcdef\"\n[poll]\n"
	tests := []struct {
		name string
		poll string
		err  string // "" for accepted
	}{
		{"defaults", "", ""},
		{"exactly twice the interval", "interval = \"10m\"\nlookback = \"15m\"\nsafety_margin = \"5m\"\n", ""},
		{"a second short of twice the interval", "interval = \"10m\"\nlookback = \"15m\"\nsafety_margin = \"4m59s\"\n",
			"poll.lookback: poll.lookback + poll.safety_margin (19m59s) must be at least twice max(poll.interval, poll.max_backoff) = 20m"},
		{"max_backoff is the longest gap", "max_backoff = \"1h\"\nlookback = \"1h\"\nsafety_margin = \"0s\"\n",
			"poll.lookback: poll.lookback + poll.safety_margin (1h) must be at least twice max(poll.interval, poll.max_backoff) = 2h"},
		{"max_follow equal to the window", "lookback = \"24h\"\nsafety_margin = \"10m\"\nmax_follow = \"24h10m\"\n", ""},
		{"max_follow shorter than the window", "max_follow = \"24h\"\n",
			"poll.max_follow: must be at least poll.lookback + poll.safety_margin (24h10m), got 24h"},
		{"max_follow zero", "max_follow = \"0s\"\n", "poll.max_follow: must be positive, got 0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(project + tt.poll))
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("error %v, want %q", err, tt.err)
			}
		})
	}
}
