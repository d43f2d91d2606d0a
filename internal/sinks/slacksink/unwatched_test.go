package slacksink

import (
	"testing"

	synctest "notifier/internal/testkit/testutil"
)

// A card has nothing to resolve: the cards of a project no longer watched are forgotten
// by the next tick, with nothing posted; a watched project's cards stay.
func TestCardsOfAProjectNoLongerWatchedAreForgotten(t *testing.T) {
	r := newCardRig(t, false)
	r.mustSend(t, stepEv("t1", "EXTEND", "", "RUNNING", 1, clock))
	const other = "fedcba9876543210fedcba9876543210"
	mem := synctest.NewMemory()
	k := r.remembered(t, "t1")
	for p, kv := range map[string]map[string]string{project: {"t1": k.encode()}, other: {"t2": k.encode()}} {
		if err := mem.Remember(t.Context(), p, kv); err != nil {
			t.Fatal(err)
		}
	}
	mem.Unwatch(project)
	top := len(r.api.Top(channelID))
	if err := r.ch.Tick(t.Context(), mem); err != nil {
		t.Fatal(err)
	}
	if mem.Len(project) != 0 || mem.Len(other) != 1 {
		t.Fatalf("remembered %v, want only the watched project's card", mem.Recollect())
	}
	if n := len(r.api.Top(channelID)); n != top {
		t.Fatalf("the tick posted %d messages, want none", n-top)
	}
}
