package pagerduty_test

import (
	"net/http"
	"testing"

	"github.com/rs/zerolog"

	"notifier/internal/testkit/oncalltest"
	"notifier/internal/testkit/testutil"
)

// The incidents of a project no longer watched are resolved by a tick, once per dedup
// key, and forgotten; a watched project's stay open. A resolve PagerDuty cannot take now
// is tried again at the next tick.
func TestTickResolvesTheIncidentsOfAProjectNoLongerWatched(t *testing.T) {
	pd := oncalltest.NewPagerDuty(t)
	s, mem := newSink(t, pd.URL(), zerolog.Nop()), testutil.NewMemory()
	const other = "fedcba9876543210fedcba9876543210"
	kept := task("t3", "EXTEND", "FAILED", "")
	kept.Data.ProjectID = other
	send(t, s, mem, task("t1", "EXTEND", "FAILED", ""), task("t2", "EXTEND", "FAILED", ""), kept)
	for range 3 {
		pd.Next(t) // the triggers
	}
	mem.Unwatch(proj)

	pd.FailNext(http.StatusInternalServerError)
	if err := s.Tick(t.Context(), mem); err == nil {
		t.Fatal("Tick = nil, want PagerDuty's 500")
	}
	if mem.Len(proj) != 2 {
		t.Fatalf("after a failed resolve %d incidents are remembered, want both kept for the next tick", mem.Len(proj))
	}
	if err := s.Tick(t.Context(), mem); err != nil {
		t.Fatal(err)
	}
	resolved := map[string]int{}
	for range 2 {
		ev := pd.Next(t)
		if ev.EventAction != "resolve" {
			t.Fatalf("got %s %s, want a resolve", ev.EventAction, ev.DedupKey)
		}
		resolved[ev.DedupKey]++
	}
	pd.None(t)
	if resolved["dcs/"+proj+"/t1"] != 1 || resolved["dcs/"+proj+"/t2"] != 1 {
		t.Fatalf("resolved %v, want t1 and t2 once each", resolved)
	}
	if mem.Len(proj) != 0 || mem.Len(other) != 1 {
		t.Fatalf("remembered %v, want only the watched project's incident", mem.Recollect())
	}
	if err := s.Tick(t.Context(), mem); err != nil {
		t.Fatal(err)
	}
	pd.None(t)
}
