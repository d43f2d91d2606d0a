package probe

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"notifier/internal/dcs"
	"notifier/internal/event"
)

// censusDays is how far back the names and statuses are counted.
const censusDays = 30

// shapes names the timestamp shapes seen from Huawei APIs by Go layout; the digits of a
// timestamp are replaced by 9 to find its shape.
var shapes = map[string]string{
	"9999-99-99T99:99:99.999Z":      "2006-01-02T15:04:05.000Z",
	"9999-99-99T99:99:99Z":          "2006-01-02T15:04:05Z",
	"9999-99-99 99:99:99":           "2006-01-02 15:04:05",
	"9999-99-99T99:99:99":           "2006-01-02T15:04:05",
	"9999-99-99 99:99:99.999":       "2006-01-02 15:04:05.000",
	"9999-99-99T99:99:99.999":       "2006-01-02T15:04:05.000",
	"9999-99-99T99:99:99+99:99":     "2006-01-02T15:04:05+08:00",
	"9999-99-99T99:99:99.999+99:99": "2006-01-02T15:04:05.000+08:00",
}

// timeFormats counts the shapes of created_at and updated_at as the API sent them ("created_at
// 2006-01-02T15:04:05.000Z": 12). A shape the notifier cannot read is a problem; one without a
// zone is read as UTC, which is a warning.
func timeFormats(ts []dcs.Task, p *prober) map[string]int {
	out := map[string]int{}
	unreadable, zoneless := map[string]bool{}, map[string]bool{}
	for _, t := range ts {
		var raw struct {
			Created json.RawMessage `json:"created_at"`
			Updated json.RawMessage `json:"updated_at"`
		}
		if json.Unmarshal(t.Raw, &raw) != nil {
			continue
		}
		for _, f := range []struct {
			field string
			v     json.RawMessage
		}{{"created_at", raw.Created}, {"updated_at", raw.Updated}} {
			s, readable, zone := shape(f.v)
			out[f.field+" "+s]++
			if !readable {
				unreadable[f.field+" "+s] = true
			}
			if !zone {
				zoneless[f.field+" "+s] = true
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(unreadable)) {
		p.problem(fmt.Sprintf("timestamps the notifier cannot read: %s", k))
	}
	for _, k := range slices.Sorted(maps.Keys(zoneless)) {
		p.warn(fmt.Sprintf("timestamps without a zone (%s) are read as UTC; if the API means local time, windows are off by the zone's offset", k))
	}
	return out
}

// shape describes one timestamp value: its layout, whether dcs.ParseTime reads it, and whether
// it says its zone.
func shape(v json.RawMessage) (name string, readable, zone bool) {
	var s string
	switch {
	case len(v) == 0 || string(v) == "null":
		return "null or missing", true, true
	case v[0] != '"':
		return "number " + string(v), !dcs.ParseTime(string(v)).IsZero(), true
	case json.Unmarshal(v, &s) != nil:
		return "unreadable string", false, true
	case s == "":
		return `"" (a task still running)`, true, true
	}
	nines := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return '9'
		}
		return r
	}, s)
	name, ok := shapes[nines]
	if !ok {
		name = nines
		if len(name) > 40 {
			name = name[:40] + "..."
		}
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return name, !dcs.ParseTime(s).IsZero(), err == nil
}

// census counts the names and statuses of the tasks created in the last 30 days: from the
// listing, or, when that stopped at MaxPages and a window parameter filters, from a listing
// with that window.
func (p *prober) census(ctx context.Context, l *listing) error {
	since := p.o.Now().Add(-censusDays * 24 * time.Hour).Truncate(time.Second)
	tasks := l.tasks
	if !p.r.Complete && p.r.Window != nil && p.r.Window.Use != "" {
		got, _, err := p.listAll(ctx, dcs.Query{Start: since, Param: p.r.Window.Use})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err == nil {
			tasks = got
		}
	}
	c := &Census{Since: since}
	names, statuses := map[string]int{}, map[string]int{}
	for _, t := range tasks {
		if t.Created.Before(since) {
			continue
		}
		c.Tasks++
		names[t.Name]++
		statuses[t.Status]++
	}
	c.Names = counts(names, func(n string) bool { return !event.IsKnownTaskName(n) })
	c.Statuses = counts(statuses, func(s string) bool { return !p.statuses.Known(s) })
	p.r.Recent = c
	for _, what := range []struct {
		kind, note string
		list       []Count
	}{
		{"task names", "filters and labels do not know them yet", c.Names},
		{"statuses", "counted as still running unless added to poll.terminal_statuses", c.Statuses},
	} {
		var fresh []string
		for _, n := range what.list {
			if n.New {
				fresh = append(fresh, fmt.Sprintf("%q (%d)", n.Value, n.Count))
			}
		}
		if len(fresh) > 0 {
			p.warn(fmt.Sprintf("new %s: %s; %s", what.kind, strings.Join(fresh, ", "), what.note))
		}
	}
	return nil
}

// counts sorts a tally, most frequent first, and marks the values isNew says are new.
func counts(m map[string]int, isNew func(string) bool) []Count {
	out := make([]Count, 0, len(m))
	for v, n := range m {
		out = append(out, Count{Value: v, Count: n, New: isNew(v)})
	}
	slices.SortFunc(out, func(a, b Count) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Value, b.Value))
	})
	return out
}
