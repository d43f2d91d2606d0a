package silence

import (
	"slices"
	"strings"
	"time"

	"notifier/internal/event"
	"notifier/internal/receiver"
)

// Set is a snapshot of the silences, compiled for matching: what Decide asks at commit.
// It is never changed: a new silence makes a new Set.
type Set struct {
	all      []Silence // sorted by id
	compiled []compiled
}

type compiled struct {
	s      *Silence
	filter receiver.Filter
}

// NewSet compiles the silences; one that does not validate (written by hand in a state
// file, or by a newer version) is left out, and its id returned in bad.
func NewSet(all []Silence) (set *Set, bad []string) {
	set = &Set{all: slices.Clone(all)}
	slices.SortFunc(set.all, func(a, b Silence) int { return strings.Compare(a.ID, b.ID) })
	for i := range set.all {
		s := &set.all[i]
		f, err := s.Matchers.filter()
		if err != nil || s.Validate() != nil {
			bad = append(bad, s.ID)
			continue
		}
		set.compiled = append(set.compiled, compiled{s: s, filter: f})
	}
	return set, bad
}

// All returns every silence of the set, expired ones included, sorted by id.
func (t *Set) All() []Silence {
	if t == nil {
		return nil
	}
	return slices.Clone(t.all)
}

// Get returns the silence with id.
func (t *Set) Get(id string) (Silence, bool) {
	for _, s := range t.All() {
		if s.ID == id {
			return s, true
		}
	}
	return Silence{}, false
}

// Active returns the silences active at at, those ending first first.
func (t *Set) Active(at time.Time) []Silence {
	out := []Silence{}
	for _, s := range t.All() {
		if s.Active(at) {
			out = append(out, s)
		}
	}
	slices.SortStableFunc(out, func(a, b Silence) int { return a.EndsAt.Compare(b.EndsAt) })
	return out
}

// Match returns the silence that, at at, keeps e from the receiver named: the active one
// whose matchers all match, ending last when several do (it is the one that says until
// when). A test event is never silenced; the caller never asks about NATS (route.Decide).
func (t *Set) Match(receiverName string, e *event.Event, at time.Time) (Silence, bool) {
	if t == nil || e.IsTest() {
		return Silence{}, false
	}
	var best *Silence
	for _, c := range t.compiled {
		if !c.s.Active(at) || c.s.Matchers.Receiver != "" && c.s.Matchers.Receiver != receiverName {
			continue
		}
		if ok, _ := c.filter.Match(e); !ok {
			continue
		}
		if best == nil || c.s.EndsAt.After(best.EndsAt) {
			best = c.s
		}
	}
	if best == nil {
		return Silence{}, false
	}
	return *best, true
}
