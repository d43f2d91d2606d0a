package poller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"notifier/internal/config"
)

// A task created and finished between two polls is announced by the next poll only if the
// window (lookback + safety_margin) reaches back over the gap between them: interval, or
// max_backoff after failures. config refuses a window shorter than twice the longest gap,
// naming the keys; with the smallest window it accepts, such a task is announced.
func TestConfigRefusesALookbackShorterThanTheGapBetweenPolls(t *testing.T) {
	tests := []struct {
		name                 string
		interval, maxBackoff string
		smallest             time.Duration // lookback accepted with safety_margin = 0s
		gap                  time.Duration // between the two polls
	}{
		{"interval is the longest gap", "10m", "5m", 20 * time.Minute, 10 * time.Minute},
		{"max_backoff is the longest gap", "1m", "10m", 20 * time.Minute, 10 * time.Minute},
	}
	doc := func(interval, maxBackoff string, lookback time.Duration) []byte {
		return []byte(fmt.Sprintf(`
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
[poll]
interval = %q
active_interval = "5s"
max_backoff = %q
lookback = %q
safety_margin = "0s"
`, interval, maxBackoff, config.Duration(lookback)))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, short := range []time.Duration{time.Minute, tt.smallest - time.Second} {
				_, err := config.Load(doc(tt.interval, tt.maxBackoff, short))
				if err == nil {
					t.Fatalf("config accepted lookback %v with interval %s and max_backoff %s", short, tt.interval, tt.maxBackoff)
				}
				for _, key := range []string{"poll.lookback", "poll.safety_margin", "poll.interval", "poll.max_backoff"} {
					if !strings.Contains(err.Error(), key) {
						t.Errorf("error %q does not name %s", err, key)
					}
				}
			}
			cfg, err := config.Load(doc(tt.interval, tt.maxBackoff, tt.smallest))
			if err != nil {
				t.Fatalf("config refused the smallest lookback: %v", err)
			}
			now := time.Date(2026, 11, 27, 3, 0, 0, 0, time.UTC)
			e := newEnv(t, setup{}, func(o *Options) {
				o.Interval, o.MaxBackoff = cfg.Poll.Interval.D(), cfg.Poll.MaxBackoff.D()
				o.Lookback, o.Margin = cfg.Poll.Lookback.D(), cfg.Poll.SafetyMargin.D()
				o.Now = func() time.Time { return now }
			})
			e.cycle(t) // baseline, nothing there
			// Between the two polls a switchover runs and fails.
			e.put("swap", "masterStandbySwapJob", "FAILED", now.Add(time.Second))
			now = now.Add(tt.gap)
			if got := fmt.Sprint(e.cycle(t)); got != "[swap:>FAILED]" {
				t.Errorf("lookback %v, gap %v: events %s, want the failed switchover created between two polls", cfg.Poll.Lookback, tt.gap, got)
			}
		})
	}
}
