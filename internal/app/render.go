package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"notifier/internal/event"
	rcv "notifier/internal/receiver"
	"notifier/internal/route"
)

// OnceRender is Once --dry-run that shows what each receiver would be sent instead of the
// bare events: it polls every project once, commits nothing, routes the events as a
// commit would (route.Decide: filters, maintenance windows, the on-call rule), and
// writes, per receiver in the order of the config, a "#" line naming it and then its
// payloads: for NATS the subject and the CloudEvent, each on a line; for a Slack webhook
// the JSON of each message as it would be posted (one digest for more than ten events).
// It needs an App built with Deps.DryRun.
func (a *App) OnceRender(ctx context.Context, out io.Writer) error {
	fm, ok := a.mode.(*fileMode)
	if !ok {
		return errOnceKV
	}
	if !a.dryRun {
		return errors.New("once: rendering needs a dry run")
	}
	table, err := route.New(a.cfg)
	if err != nil {
		return err
	}
	table = table.WithSilences(a.sil.Set) // those of state.path, as run would apply them
	now := time.Now()
	var evs []event.Event
	var errs []error
	for _, p := range fm.unit.pollers {
		res, err := p.Poll(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("project %s: %w", p.ProjectID(), err))
			continue
		}
		if fm.unit.ledger.Project(p.ProjectID()) == nil && len(res.Events) == 0 && res.Next != nil {
			a.log.Info().Str("project", p.ProjectID()).Int("tasks", res.Next.Tasks.Len()).
				Msg("first poll of this project: its tasks would be recorded as the baseline without events (poll.initial = \"baseline\")")
		}
		evs = append(evs, res.Events...)
	}
	routed := map[string][]event.Event{}
	for i := range evs {
		// As a commit would (muter.Route): the same decision, at the same moment.
		vs := table.Decide(&evs[i], now)
		markSilenced(&evs[i], vs)
		for _, name := range route.To(vs) {
			routed[name] = append(routed[name], evs[i])
		}
	}
	if err := a.render(ctx, out, table, routed, now); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// render writes every receiver's payloads for the events routed to it.
func (a *App) render(ctx context.Context, out io.Writer, table *route.Table, routed map[string][]event.Event, now time.Time) error {
	receivers := table.Receivers()
	if len(receivers) == 0 {
		_, err := fmt.Fprintln(out, "# no receivers are configured")
		return err
	}
	for _, r := range receivers {
		evs := routed[r.Name]
		e := a.cfg.Entry(r.Name)
		if e == nil {
			continue // the table is built from the same configuration: never
		}
		// As in run: an event a window holds from an on-call receiver opens nothing.
		d := receiverDeps(a.cfg, a.log, r.Name)
		d.Muted, d.Now, d.Memory = mutedFor(table, r.Name), now, a.renderMemory(r.Name)
		rd, err := e.Render(ctx, d, evs)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(out, "# %s (%s): %s\n", r.Name, r.Key, count(rd, len(evs))); err != nil {
			return err
		}
		for _, p := range rd.Payloads {
			line, ok := p.(string)
			if !ok {
				b, err := json.Marshal(p)
				if err != nil {
					return err
				}
				line = string(b)
			}
			if _, err := fmt.Fprintln(out, line); err != nil {
				return err
			}
		}
	}
	return nil
}

// count says how many events a receiver would get, and in how many of what it is sent
// (Slack messages, on-call requests).
func count(rd rcv.Rendering, events int) string {
	switch {
	case events == 0:
		return "no events"
	case rd.Unit != "":
		return fmt.Sprintf("%s in %s", plural(events, "event"), plural(rd.Units, rd.Unit))
	}
	return plural(events, "event")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
