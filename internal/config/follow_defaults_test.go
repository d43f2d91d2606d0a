package config

import (
	"strings"
	"testing"
	"time"
)

// An unset poll.max_follow defaults to max(168h, lookback + safety_margin) and an unset
// poll.max_backoff to min(5m, (lookback + safety_margin) / 2), so that changing lookback
// alone loads; a value the file sets is kept, and refused when it breaks a rule, naming
// its key.
func TestPollDefaultsFollowTheWindow(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name       string
		poll       string // the [poll] table
		doc        string // or the whole file
		maxFollow  time.Duration
		maxBackoff time.Duration
		wantErr    string
		notErr     string // nor this
	}{
		{name: "defaults", poll: "", maxFollow: 168 * h, maxBackoff: 5 * time.Minute},
		{name: "long lookback: max_follow follows", poll: `lookback = "720h"`,
			maxFollow: 720*h + 10*time.Minute, maxBackoff: 5 * time.Minute},
		{name: "long lookback and margin", poll: "lookback = \"200h\"\nsafety_margin = \"1h\"", maxFollow: 201 * h, maxBackoff: 5 * time.Minute},
		{name: "short lookback: max_backoff follows", poll: "lookback = \"2m\"\nsafety_margin = \"0s\"\ninterval = \"30s\"",
			maxFollow: 168 * h, maxBackoff: time.Minute},
		{name: "short lookback, long margin", poll: "lookback = \"1m\"\nsafety_margin = \"5m\"", maxFollow: 168 * h, maxBackoff: 3 * time.Minute},
		{name: "inline table", doc: "poll = {lookback = \"720h\", safety_margin = \"0s\"}\n" + project, maxFollow: 720 * h, maxBackoff: 5 * time.Minute},
		{name: "dotted keys", doc: "poll.lookback = \"2m\"\npoll.safety_margin = \"0s\"\n" + project, maxFollow: 168 * h, maxBackoff: time.Minute},
		{name: "explicit max_follow kept", poll: "lookback = \"720h\"\nmax_follow = \"800h\"", maxFollow: 800 * h, maxBackoff: 5 * time.Minute},
		{name: "explicit max_backoff kept", poll: "lookback = \"2m\"\nsafety_margin = \"0s\"\nmax_backoff = \"20s\"", maxFollow: 168 * h, maxBackoff: 20 * time.Second},
		{name: "explicit max_follow too short", poll: "lookback = \"720h\"\nmax_follow = \"168h\"",
			wantErr: "poll.max_follow: must be at least poll.lookback + poll.safety_margin (720h10m), got 168h"},
		{name: "explicit max_backoff too long", poll: "lookback = \"2m\"\nsafety_margin = \"0s\"\nmax_backoff = \"5m\"",
			wantErr: "poll.lookback: poll.lookback + poll.safety_margin (2m) must be at least twice max(poll.interval, poll.max_backoff) = 10m"},
		{name: "interval too long is still refused", poll: "lookback = \"2m\"\nsafety_margin = \"0s\"\ninterval = \"5m\"\nactive_interval = \"5s\"",
			wantErr: "poll.lookback: poll.lookback + poll.safety_margin (2m) must be at least twice max(poll.interval, poll.max_backoff) = 10m"},
		{name: "lookback too short is reported alone", poll: "lookback = \"10s\"\nsafety_margin = \"0s\"\ninterval = \"1s\"\nactive_interval = \"1s\"",
			wantErr: "poll.lookback: must be at least 1m, got 10s", notErr: "max_backoff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			doc := project + "[poll]\n" + tc.poll + "\n"
			if tc.doc != "" {
				doc = tc.doc
			}
			c, err := Load([]byte(doc))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				if tc.notErr != "" && strings.Contains(err.Error(), tc.notErr) {
					t.Errorf("err = %v, want nothing about %s", err, tc.notErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Poll.MaxFollow.D(); got != tc.maxFollow {
				t.Errorf("max_follow = %s, want %s", got, tc.maxFollow)
			}
			if got := c.Poll.MaxBackoff.D(); got != tc.maxBackoff {
				t.Errorf("max_backoff = %s, want %s", got, tc.maxBackoff)
			}
		})
	}
}
