package poller

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"notifier/internal/dcs"
)

// windowless is an API that ignores the time window.
type windowless struct{ dcs.Lister }

func (w windowless) List(ctx context.Context, q dcs.Query) (*dcs.Page, error) {
	q.Start = time.Time{}
	return w.Lister.List(ctx, q)
}

// The window start is sent in whole seconds (dcs.TimeLayout), so an API that honours
// start_time legitimately lists tasks created in [floor(start), start). Only a task older
// than the second actually sent shows that the API ignores the window; the others never
// bump notifier_window_ignored_total nor trigger the warning.
func TestWindowStartIsJudgedInTheWholeSecondSent(t *testing.T) {
	now := time.Date(2026, 11, 27, 3, 0, 0, 700e6, time.UTC) // .700 s
	start := now.Add(-24*time.Hour - 10*time.Minute)         // 02:50:00.700 the day before
	tests := []struct {
		name     string
		ignoring bool
		created  time.Time
		want     float64
	}{
		// The simulator, which honours start_time compared in whole seconds as sent,
		// lists a task created 400 ms before the window start, inside the same second.
		{"same second as the start", false, start.Add(-400 * time.Millisecond), 0},
		{"at the second sent", false, start.Truncate(time.Second), 0},
		{"after the start", false, start.Add(time.Second), 0},
		// An API that ignores the window is still caught by the first task it lists
		// from before the second sent.
		{"before the second sent, window ignored", true, start.Truncate(time.Second).Add(-time.Millisecond), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, setup{}, func(o *Options) {
				o.Now = func() time.Time { return now }
				if tt.ignoring {
					o.Lister = windowless{o.Lister}
				}
			})
			e.put("edge", "EXTEND", "SUCCESS", tt.created)
			e.put("recent", "EXTEND", "SUCCESS", now.Add(-time.Hour))
			if _, err := e.p.Cycle(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := testutil.ToFloat64(e.m.WindowIgnored.WithLabelValues(project)); got != tt.want {
				t.Errorf("notifier_window_ignored_total = %v for an API that honours start_time, want %v", got, tt.want)
			}
		})
	}
}
