package dcs

import (
	"testing"
	"time"

	"notifier/internal/dcssim"
)

// TestSamePageIsNotDecoded: a page asked with Same and answered with the same bytes comes
// back marked Same, without tasks; a changed page is decoded, with its new Sum.
func TestSamePageIsNotDecoded(t *testing.T) {
	sim, srv := newSim(t)
	now := time.Now().UTC()
	sim.Put(project, dcssim.Task{ID: "a", Name: "EXTEND", Status: "SUCCESS", CreatedAt: now.Add(-time.Hour)})
	c := newClient(t, srv.URL)
	q := Query{Limit: 10, Start: now.Add(-2 * time.Hour)}

	first, err := c.List(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Sum.IsZero() {
		t.Fatal("a Sum made without Digest")
	}
	q.Digest = true
	pg, err := c.List(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Sum.IsZero() || pg.Same || len(pg.Tasks) != 1 {
		t.Fatalf("with Digest: sum %v, same %v, %d tasks; want a Sum and the page decoded", pg.Sum, pg.Same, len(pg.Tasks))
	}
	sum := pg.Sum
	pg.Release()

	q.Digest, q.Same = false, sum
	pg, err = c.List(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	if !pg.Same || pg.Sum != sum || pg.Tasks != nil || pg.Count != 0 {
		t.Fatalf("same bytes: same %v, sum equal %v, tasks %v, count %d; want Same and nothing decoded", pg.Same, pg.Sum == sum, pg.Tasks, pg.Count)
	}

	if err := sim.SetStatus(project, "a", "FAILED"); err != nil {
		t.Fatal(err)
	}
	pg, err = c.List(t.Context(), q)
	if err != nil {
		t.Fatal(err)
	}
	if pg.Same || pg.Sum == sum || pg.Sum.IsZero() || len(pg.Tasks) != 1 || pg.Tasks[0].Status != "FAILED" {
		t.Fatalf("changed bytes: same %v, sum changed %v, tasks %+v; want the page decoded with its own Sum", pg.Same, pg.Sum != sum, pg.Tasks)
	}
	pg.Release()
}

// TestSumTellsBodiesApart: bodies that differ in one byte, or in length only, differ in Sum.
func TestSumTellsBodiesApart(t *testing.T) {
	a := []byte(`{"task_count":1,"tasks":[{"id":"a","status":"RUNNING"}]}`)
	b := []byte(`{"task_count":1,"tasks":[{"id":"a","status":"RUNNINH"}]}`)
	if sumOf(a) != sumOf(append([]byte(nil), a...)) {
		t.Fatal("equal bodies, different sums")
	}
	if sumOf(a) == sumOf(b) || sumOf(a) == sumOf(a[:len(a)-1]) || sumOf(nil).IsZero() {
		t.Fatal("different bodies, one sum (or the empty body's is zero)")
	}
}
