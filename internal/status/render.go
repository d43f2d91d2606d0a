package status

import (
	_ "embed"
	"html/template"
	"io"
	"time"
)

//go:embed page.html
var pageHTML string

// page is parsed once; html/template escapes every value for where it lands (text,
// attribute), so a task name "<script>" shows as text.
var page = template.Must(template.New("page").Funcs(template.FuncMap{
	"age":   age,
	"newer": newer,
	"stamp": func(t any) string { return stamp(t, "2006-01-02 15:04:05 UTC") },
	"clock": func(t any) string { return stamp(t, "15:04:05") },
	"dur":   Duration,
	"secs":  secs,
	"rows":  func(now time.Time, evs []Event) eventRows { return eventRows{now, evs} },
}).Parse(pageHTML))

// FoldAfter is how many recent events the page shows unfolded: the older ones are in a
// collapsed <details>, so that the long list comes last and stays short on a phone.
const FoldAfter = 20

// eventRows is what the template's "events" part renders: rows of events, aged from Now.
type eventRows struct {
	Now    time.Time
	Events []Event
}

// ShownEvents are the newest FoldAfter recent events, shown unfolded.
func (p *Page) ShownEvents() []Event { return p.RecentEvents[:min(len(p.RecentEvents), FoldAfter)] }

// FoldedEvents are the older recent events, folded.
func (p *Page) FoldedEvents() []Event { return p.RecentEvents[min(len(p.RecentEvents), FoldAfter):] }

// Render writes p as the HTML page: self-contained (inline style, no script, no external
// asset) and refreshing itself every 10 seconds.
func Render(w io.Writer, p *Page) error { return page.Execute(w, p) }

// Headline is the one line at the top of the page: is everything watched, what runs,
// what waits, what was dropped.
type Headline struct {
	Polled, Down, Elsewhere int // projects polled here, of those not up, polled by another replica
	Running, Stuck          int
	Unknown                 int // running tasks in a status the notifier does not know
	Pending                 int // summed over the receivers
	Events, Dropped         int // recent events, and those dropped for some receiver
}

// AllUp reports whether every project polled here is up.
func (h Headline) AllUp() bool { return h.Down == 0 }

// Headline sums up the page.
func (p *Page) Headline() Headline {
	var h Headline
	for _, pr := range p.Projects {
		switch {
		case !pr.Polled:
			h.Elsewhere++
		case !pr.Up:
			h.Polled++
			h.Down++
		default:
			h.Polled++
		}
	}
	h.Running = len(p.RunningTasks)
	for _, t := range p.RunningTasks {
		if t.Stuck {
			h.Stuck++
		}
		if t.UnknownStatus {
			h.Unknown++
		}
	}
	for _, r := range p.Receivers {
		h.Pending += r.Pending
	}
	h.Events = len(p.RecentEvents)
	for _, e := range p.RecentEvents {
		for _, d := range e.Deliveries {
			if d.State == Dropped {
				h.Dropped++
				break
			}
		}
	}
	return h
}

func timeOf(t any) (time.Time, bool) {
	switch v := t.(type) {
	case time.Time:
		return v, !v.IsZero()
	case *time.Time:
		if v != nil {
			return *v, !v.IsZero()
		}
	}
	return time.Time{}, false
}

// age is how long before now t was: "12s ago", "3m ago"; "—" for no time.
func age(now time.Time, t any) string {
	ts, ok := timeOf(t)
	if !ok {
		return "—"
	}
	return Duration(int64(now.Sub(ts)/time.Second)) + " ago"
}

// newer reports whether a is after b (or b is unknown): an error newer than the last
// success is the state of things, an older one history.
func newer(a, b *time.Time) bool {
	return a != nil && (b == nil || a.After(*b))
}

func stamp(t any, layout string) string {
	ts, ok := timeOf(t)
	if !ok {
		return "—"
	}
	return ts.UTC().Format(layout)
}

func secs(v any) int64 {
	switch x := v.(type) {
	case float64:
		return int64(x)
	case *float64:
		if x != nil {
			return int64(*x)
		}
	}
	return 0
}
