package poller

import (
	"fmt"
	"testing"
	"time"

	"notifier/internal/dcs"
)

// TestKeptPagesAreReused: while a task runs (the next poll due within keepWithin), a poll
// keeps its pages and the next one reuses each whose answer is the same bytes; a change
// is decoded afresh and announced; once nothing runs (the next poll a minute away), no
// page is held.
func TestKeptPagesAreReused(t *testing.T) {
	e := newEnv(t, setup{}, func(o *Options) { o.PageSize = 3 })
	now := time.Now()
	for i := range 4 {
		e.put(fmt.Sprintf("old%d", i), "EXTEND", "SUCCESS", now.Add(-time.Duration(i+2)*time.Minute))
	}
	e.put("run", "masterStandbySwapJob", "RUNNING", now.Add(-time.Minute))
	e.cycle(t) // the baseline: 5 tasks, pages of 3 and 2
	kept := func() []*dcs.Page {
		e.p.keptMu.Lock()
		defer e.p.keptMu.Unlock()
		return append([]*dcs.Page(nil), e.p.kept...)
	}
	first := kept()
	if len(first) != 2 {
		t.Fatalf("kept %d pages while a task runs, want 2", len(first))
	}
	if got := e.cycle(t); len(got) != 0 {
		t.Fatalf("nothing changed, got %v", got)
	}
	again := kept()
	if len(again) != 2 || again[0] != first[0] || again[1] != first[1] {
		t.Fatal("an unchanged poll did not reuse the pages it kept")
	}
	if err := e.sim.SetStatus(project, "old3", "FAILED"); err != nil { // on the second page
		t.Fatal(err)
	}
	if got := fmt.Sprint(e.cycle(t)); got != "[old3:SUCCESS>FAILED]" {
		t.Fatalf("got %s", got)
	}
	changed := kept()
	if changed[0] != first[0] || changed[1] == first[1] {
		t.Fatal("want the first page reused and the changed second page read anew")
	}
	if err := e.sim.SetStatus(project, "run", "SUCCESS"); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(e.cycle(t)); got != "[run:RUNNING>SUCCESS]" {
		t.Fatalf("got %s", got)
	}
	if n := len(kept()); n != 0 {
		t.Fatalf("nothing runs and the next poll is a minute away, yet %d pages are held", n)
	}
}
