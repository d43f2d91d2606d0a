package dcs

import (
	"bytes"
	"testing"
	"time"

	"notifier/internal/dcssim"
)

// TestReleasedBodiesAreReused: a released page's body may be read into again (sync.Pool
// does not promise it, so this is not asserted), so its tasks must not be used after
// Release (PoisonReleased shows a use), and a page not released keeps its tasks intact
// whatever is read after it.
func TestReleasedBodiesAreReused(t *testing.T) {
	PoisonReleased(true)
	defer PoisonReleased(false)
	sim, srv := newSim(t)
	now := time.Now().UTC()
	for _, id := range []string{"t1", "t2", "t3"} {
		sim.Put(project, dcssim.Task{ID: id, Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(-time.Minute), UpdatedAt: now})
	}
	c := newClient(t, srv.URL)
	kept, err := c.List(t.Context(), Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	keptRaw := bytes.Clone(kept.Tasks[0].Raw)
	released, err := c.List(t.Context(), Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	alias := released.Tasks[0].Raw // a copy of a task kept past Release, as a bug would
	released.Release()
	if released.Tasks != nil {
		t.Error("a released page still lists its tasks")
	}
	if !bytes.Equal(alias, bytes.Repeat([]byte("#"), len(alias))) {
		t.Errorf("a released body was not overwritten: %q", alias)
	}
	again, err := c.List(t.Context(), Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Tasks) != 3 || !bytes.Equal(again.Tasks[0].Raw, keptRaw) {
		t.Fatalf("a page read into a released body: %d tasks, first %s", len(again.Tasks), again.Tasks[0].Raw)
	}
	if !bytes.Equal(kept.Tasks[0].Raw, keptRaw) {
		t.Errorf("a page never released changed: %s", kept.Tasks[0].Raw)
	}
	again.Release()
	kept.Release()
	kept.Release() // twice is harmless
}
