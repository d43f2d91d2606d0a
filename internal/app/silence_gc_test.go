package app

import (
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/silence"
	"notifier/internal/state"
	ntestutil "notifier/internal/testkit/testutil"
)

// An expired silence is kept 7 days for the record, then dropped from the state too.
func TestExpiredSilencesAreDroppedAfterSevenDays(t *testing.T) {
	dir := t.TempDir()
	clock := ntestutil.NewClock(time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC))
	s, err := newFileSilences(dir, clock.Now, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	added, err := s.add(t.Context(), silence.Silence{Matchers: silence.Matchers{Region: "cn-north-4"},
		EndsAt: clock.Now().Add(time.Hour), CreatedBy: "alice", Comment: "noisy region"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.expire(t.Context(), added.ID); !ok || err != nil {
		t.Fatalf("expire: %v %v", ok, err)
	}
	stored := func() int {
		all, err := state.NewFileSilences(dir).Load(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return len(all)
	}
	clock.Add(silence.Retention)
	s.gc(t.Context())
	if len(s.Set().All()) != 1 || stored() != 1 {
		t.Fatalf("after 7 days: %d kept, %d stored; want the expired silence kept", len(s.Set().All()), stored())
	}
	clock.Add(time.Second)
	s.gc(t.Context())
	if len(s.Set().All()) != 0 || stored() != 0 {
		t.Errorf("after 7 days and a second: %d kept, %d stored; want none", len(s.Set().All()), stored())
	}
	if _, err := s.add(t.Context(), silence.Silence{Matchers: silence.Matchers{Region: "x"}, EndsAt: clock.Now().Add(-time.Second),
		CreatedBy: "a", Comment: "c"}); err == nil {
		t.Error("a silence ending in the past was added")
	}
}
