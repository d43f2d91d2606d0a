package app

import (
	"testing"
	"time"
)

// A reload or a stop holds a unit's lock while the loops it stops finish (up to a request
// or a send each): the liveness check must answer meanwhile, not wait for it.
func TestLivenessDoesNotWaitForAReload(t *testing.T) {
	u := &unit{}
	u.mu.Lock() // a reload in progress
	defer u.mu.Unlock()
	answered := make(chan []string, 1)
	go func() {
		answered <- u.stalled(time.Now(), livenessBounds{poll: time.Minute, send: time.Minute, grace: time.Minute})
	}()
	select {
	case got := <-answered:
		if len(got) != 0 {
			t.Errorf("a unit being reloaded reported %v", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the liveness check waited for the unit's lock (held by a reload)")
	}
}
