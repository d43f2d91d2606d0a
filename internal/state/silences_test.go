package state

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"notifier/internal/silence"
)

func aSilence(id string) silence.Silence {
	t0 := time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)
	return silence.Silence{ID: id, Matchers: silence.Matchers{TaskName: "masterStandbySwapJob"}, StartsAt: t0,
		EndsAt: t0.Add(2 * time.Hour), CreatedBy: "alice", Comment: "planned failover test"}
}

// The file backend keeps the silences in state.path: a new store on the same directory
// (a restart) reads what the last one put; a put replaces by id, a delete forgets.
func TestFileSilencesSurviveARestart(t *testing.T) {
	dir := t.TempDir()
	ctx := t.Context()
	first := NewFileSilences(dir)
	if all, err := first.Load(ctx); err != nil || len(all) != 0 {
		t.Fatalf("a new directory: %v, %v", all, err)
	}
	a, b := aSilence("a"), aSilence("b")
	for _, s := range []silence.Silence{a, b} {
		if err := first.Put(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	a = a.Expire(a.StartsAt.Add(time.Minute))
	if err := first.Put(ctx, a); err != nil {
		t.Fatal(err)
	}
	all, err := NewFileSilences(dir).Load(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "a" || !all[0].EndsAt.Equal(a.EndsAt) || all[1].Comment != b.Comment {
		t.Fatalf("after a restart: %+v, %v", all, err)
	}
	if err := first.Delete(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if all, _ := NewFileSilences(dir).Load(ctx); len(all) != 1 || all[0].ID != "b" {
		t.Fatalf("after a delete: %+v", all)
	}
	if err := os.WriteFile(filepath.Join(dir, SilencesFile), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewFileSilences(dir).Load(ctx); err == nil {
		t.Error("a corrupt silences file loads")
	}
}

// With nats-kv, a silence put by one replica reaches the watch of another, and so does
// its expiry and its deletion; a store opened later (a fail-over) loads it.
func TestKVSilencesAreWatchedByEveryReplica(t *testing.T) {
	kv := kvBucket(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	seen := make(chan []silence.Silence, 16)
	done := make(chan error, 1)
	go func() { done <- NewKVSilences(kv).Watch(ctx, func(all []silence.Silence) { seen <- all }) }()
	next := func(what string) []silence.Silence {
		t.Helper()
		select {
		case all := <-seen:
			return all
		case <-time.After(10 * time.Second):
			t.Fatalf("the watch did not hear %s", what)
			return nil
		}
	}
	if all := next("the initial values"); len(all) != 0 {
		t.Fatalf("initially %+v", all)
	}
	writer := NewKVSilences(kv)
	s := aSilence("s1")
	if err := writer.Put(ctx, s); err != nil {
		t.Fatal(err)
	}
	if all := next("a put"); len(all) != 1 || all[0].ID != "s1" || all[0].Comment != s.Comment {
		t.Fatalf("after a put: %+v", all)
	}
	x := s.Expire(s.StartsAt.Add(time.Minute))
	if err := writer.Put(ctx, x); err != nil {
		t.Fatal(err)
	}
	if all := next("an expiry"); len(all) != 1 || !all[0].EndsAt.Equal(x.EndsAt) {
		t.Fatalf("after an expiry: %+v", all)
	}
	if all, err := NewKVSilences(kv).Load(ctx); err != nil || len(all) != 1 || all[0].ID != "s1" {
		t.Fatalf("a new store loads %+v, %v", all, err)
	}
	if err := writer.Delete(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if all := next("a delete"); len(all) != 0 {
		t.Fatalf("after a delete: %+v", all)
	}
	if err := writer.Put(ctx, silence.Silence{ID: "a.b"}); err == nil {
		t.Error("an id with a dot was written as a key")
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("the watch ended with %v", err)
	}
}
