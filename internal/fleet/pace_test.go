package fleet

import (
	"math"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/secret"
)

// The arithmetic of poll.interval = "auto", with the default budget (10 a second, a mean
// of 8.7) and share (0.2): requests × projects ÷ (share × mean rate), held to [1s, 30s].
func TestAutoInterval(t *testing.T) {
	mean := dcs.MeanRate(10)
	for _, tc := range []struct {
		name               string
		projects, requests int
		share              float64
		want               time.Duration
	}{
		{"one project of one page: 0.57s, held to 1s", 1, 1, 0.2, time.Second},
		{"300 projects: 172s, held to 30s", 300, 1, 0.2, 30 * time.Second},
		{"10 projects: 5.75s", 10, 1, 0.2, 5750 * time.Millisecond},
		{"52 projects: just under 30s", 52, 1, 0.2, 29900 * time.Millisecond},
		{"one project of 3 pages: 1.73s", 1, 3, 0.2, 1725 * time.Millisecond},
		{"no request counted yet counts one", 10, 0, 0.2, 5750 * time.Millisecond},
		{"the whole budget, 20 projects", 20, 1, 1, 2300 * time.Millisecond},
		{"a share of 0 (never valid) is the longest", 1, 1, 0, 30 * time.Second},
		{"NaN is the longest", 1, 1, math.NaN(), 30 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := AutoInterval(tc.projects, tc.requests, tc.share, mean)
			if d := got - tc.want; d < -time.Millisecond || d > time.Millisecond {
				t.Errorf("AutoInterval(%d, %d, %v, %.3f) = %s, want %s", tc.projects, tc.requests, tc.share, mean, got, tc.want)
			}
		})
	}
}

// Each access key's Pace counts the key's projects when its fleet becomes the running
// one; a reload's fleet keeps the Pace with the budget, so a poller that runs on sees the
// projects added since (a discovery that found more) and the ones removed.
func TestPaceFollowsTheProjectsOfItsKeyThroughReloads(t *testing.T) {
	d := config.DCS{MaxRequestsPerSecond: 10}
	a := dcs.Credentials{AK: secret.Secret(akA), SK: secret.Secret(skA)}
	b := dcs.Credentials{AK: secret.Secret(akB), SK: secret.Secret(skB)}
	f := New(Options{DCS: d})
	pa := f.Pace(f.Budget(a, "dcs"))
	pb := f.Pace(f.Budget(b, "dcs.projects[1]"))
	if pa == nil || pb == nil || pa == pb {
		t.Fatal("not one Pace per access key")
	}
	f.CountProjects()
	if got := pa.Interval(0.2, 1); got != time.Second {
		t.Errorf("one project on its key: %s, want 1s", got)
	}

	next := New(Options{DCS: d}) // a reload: 299 more projects of key A were discovered
	next.Keep(f)
	for range 300 {
		next.Budget(a, "dcs.discover[0]")
	}
	next.Budget(b, "dcs.projects[1]")
	if next.Pace(next.Budget(a, "dcs")) != pa {
		t.Fatal("a reload's fleet did not keep the Pace of the key")
	}
	if got := pa.Interval(0.2, 1); got != time.Second {
		t.Errorf("before the reload is applied: %s, want 1s still", got)
	}
	next.CountProjects()
	if got := pa.Interval(0.2, 1); got != 30*time.Second {
		t.Errorf("301 projects on key A: %s, want 30s", got)
	}
	if got := pb.Projects(); got != 1 {
		t.Errorf("key B has %d projects, want 1", got)
	}

	last := New(Options{DCS: d}) // and 291 of them went away
	last.Keep(next)
	for range 10 {
		last.Budget(a, "dcs")
	}
	last.CountProjects()
	if got, want := pa.Interval(0.2, 1), AutoInterval(10, 1, 0.2, dcs.MeanRate(10)); got != want || got >= 30*time.Second {
		t.Errorf("10 projects on key A: %s, want %s", got, want)
	}
}
