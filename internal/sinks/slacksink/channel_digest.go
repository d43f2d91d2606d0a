package slacksink

import (
	"context"
	"slices"
	"time"

	"notifier/internal/event"
	"notifier/internal/retry"
	"notifier/internal/sinks"
)

// digest posts evs as one digest message, after bringing the card of each of their tasks
// up to date (one chat.update per task, with all its events). A task without a card gets
// none now, which would be one more new message; its history is remembered, and its next
// event posts the card with it. Cards go first, each remembered as it is updated, so a
// retry after a failure repeats no update and posts one digest.
func (c *Channel) digest(ctx context.Context, evs []event.Event, mem sinks.Memory) error {
	type task struct {
		project, id string
		evs         []*event.Event
	}
	var order []*task
	byKey := map[string]*task{}
	for i := range evs {
		e := &evs[i]
		if !isTask(e) {
			continue
		}
		key := e.Data.ProjectID + "\x00" + e.Subject
		t := byKey[key]
		if t == nil {
			t = &task{project: e.Data.ProjectID, id: e.Subject}
			byKey[key] = t
			order = append(order, t)
		}
		t.evs = append(t.evs, e)
	}
	for _, t := range order {
		last := t.evs[len(t.evs)-1]
		k := c.recall(mem, last)
		// Events up to the one the card shows were shown by an earlier attempt.
		from := 1 + slices.IndexFunc(t.evs, func(e *event.Event) bool { return e.ID == k.Event })
		if from == len(t.evs) {
			continue
		}
		for _, e := range t.evs[from:] {
			k.add(e)
		}
		if k.TS != "" {
			err := c.update(ctx, last, &k)
			switch {
			case err == nil:
			case goneCodes[codeOf(err)]:
				k.TS, k.Channel = "", "" // the task's next event posts a new card
			case messageOnly(err):
				c.log.Warn().Err(err).Str("task_id", t.id).Msg("the card's update was refused; the digest tells of the task")
			default:
				return err
			}
		}
		c.remember(ctx, mem, last, &k)
	}
	msg := RenderDigest(evs, c.now(), c.st)
	if _, _, err := c.post(ctx, msg); err != nil {
		if retry.IsPermanent(err) {
			err = retry.PermanentRest(err) // the digest was every event's message
		}
		return err
	}
	c.log.Info().Int("events", len(evs)).Int("tasks", len(order)).Msg("posted a digest of a burst of events; the cards of their tasks are up to date")
	return nil
}

// TickEvery is how often Tick forgets old cards.
func (c *Channel) TickEvery() time.Duration { return time.Hour }

// Tick forgets the cards of tasks whose last event is older than Keep, and those of the
// projects no longer watched (a card has nothing to resolve), so the memory stays
// bounded. A later event of such a task posts a new card.
func (c *Channel) Tick(ctx context.Context, mem sinks.Memory) error {
	cut := c.now().Add(-c.keep)
	for project, kv := range mem.Recollect() {
		gone := !mem.Watched(project)
		drop := map[string]string{}
		for task, v := range kv {
			if k, ok := decodeCard(v); gone || !ok || k.last().Before(cut) {
				drop[task] = ""
			}
		}
		if len(drop) == 0 {
			continue
		}
		if err := mem.Remember(ctx, project, drop); err != nil {
			return err
		}
		c.log.Debug().Str("project", project).Int("cards", len(drop)).Msg("forgot the cards of tasks long over")
	}
	return nil
}
