package heartbeat

import (
	"testing"
	"time"
)

func TestStalled(t *testing.T) {
	now := time.Date(2026, 12, 4, 3, 0, 0, 0, time.UTC)
	const bound, grace = time.Minute, 10 * time.Second
	cases := []struct {
		name    string
		set     func(*Beat)
		stalled bool
		busy    bool
	}{
		{name: "idle", set: func(*Beat) {}},
		{name: "busy within its bound", set: func(b *Beat) { b.Busy(now.Add(-bound / 2)) }, busy: true},
		{name: "busy past its bound", set: func(b *Beat) { b.Busy(now.Add(-2 * bound)) }, stalled: true, busy: true},
		{name: "asleep, due later", set: func(b *Beat) { b.Sleep(now.Add(time.Hour)) }},
		{name: "late within the grace", set: func(b *Beat) { b.Sleep(now.Add(-grace / 2)) }},
		{name: "late past the grace", set: func(b *Beat) { b.Sleep(now.Add(-2 * grace)) }, stalled: true},
		{name: "idle after a long step", set: func(b *Beat) { b.Busy(now.Add(-2 * bound)); b.Idle() }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var b Beat
			tc.set(&b)
			st, stalled := b.Stalled(now, bound, grace)
			if stalled != tc.stalled || (stalled && st.Busy != tc.busy) {
				t.Errorf("Stalled = %+v, %v; want stalled %v (busy %v)", st, stalled, tc.stalled, tc.busy)
			}
		})
	}
}
