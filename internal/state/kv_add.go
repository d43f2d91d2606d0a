package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// ErrStored means a project added to a running store has state in the bucket already:
// only a Load, under a newer term, reads it into a ledger.
var ErrStored = errors.New("the project has state stored in the bucket")

// AddProjects makes the store own projects too, as a reload applied in place adds them to
// its shard. A project it owns already (an orphan it loaded) is left as it is; each other
// one must have nothing stored (no state, no commit in its inbox, no event key): its key
// is then claimed as Load claims it, so that no earlier leader writes it.
// Otherwise it returns ErrStored, or the error of the bucket, and owns none of them.
// Not safe for use concurrently with Save: Ledger.AddProjects calls it under its lock.
func (s *KV) AddProjects(ctx context.Context, projects []string) error {
	var add []string
	reads := map[string]*read{}
	for _, p := range projects {
		if slices.Contains(s.projects, p) || reads[p] != nil {
			continue
		}
		r, err := s.readProject(ctx, p)
		if err != nil {
			return err
		}
		if r.value.State != nil || len(r.inbox)+len(r.events) > 0 {
			return fmt.Errorf("adding project %s to the shard: %w", p, ErrStored)
		}
		add, reads[p] = append(add, p), r
	}
	for _, p := range add {
		if _, err := s.claim(ctx, p, reads[p]); err != nil {
			return err
		}
	}
	s.projects = append(s.projects, add...)
	return nil
}
