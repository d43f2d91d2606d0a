package route

// Maintenance windows ([[mute]]), folded in from the former package mute: whether, at a
// moment, an event is kept from a receiver, and by which window. Every answer takes the
// time it is about, so the caller owns the clock.
//
// A weekly window is wall-clock time in its location: 01:00–03:00 in Asia/Shanghai is
// 17:00–19:00 UTC the day before, and in a zone with daylight saving time a window keeps
// its wall-clock hours, so it lasts an hour less or more on the days the clocks change (a
// window entirely in the skipped hour does not happen that day). weekdays name the day a
// window starts: 23:00–01:00 on friday runs from friday 23:00 to saturday 01:00. An
// absolute window runs from its from (included) to its until (excluded). NATS is never
// muted.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"notifier/internal/clock"
	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/receiver"
)

// Window is one compiled [[mute]] table.
type Window struct {
	Name      string
	Key       string   // "mute[0]", for explanations
	receivers []string // nil: every receiver except NATS
	filter    Filter

	weekly     bool
	days       [7]bool // by time.Weekday; all true when weekdays is empty
	start, end int     // minutes after midnight in loc; end may be 1440
	loc        *time.Location

	from, until time.Time
}

// compileWindows compiles the windows of a validated configuration, in its order. Its
// errors name the key.
func compileWindows(cfg *config.Config) ([]*Window, error) {
	var out []*Window
	for i := range cfg.Mute {
		w, err := compile(&cfg.Mute[i], fmt.Sprintf("mute[%d]", i))
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

func compile(m *config.Mute, key string) (*Window, error) {
	f, err := receiver.NewFilter(key, receiver.Common{MinSeverity: m.MinSeverity, TaskNames: m.TaskNames,
		Statuses: m.Statuses, Projects: m.Projects})
	if err != nil {
		return nil, err
	}
	w := &Window{Name: m.Name, Key: key, filter: f, weekly: m.Weekly()}
	if len(m.Receivers) > 0 {
		w.receivers = slices.Clone(m.Receivers)
	}
	if !w.weekly {
		if w.from, err = time.Parse(time.RFC3339, m.From); err != nil {
			return nil, fmt.Errorf("%s.from: %w", key, err)
		}
		if w.until, err = time.Parse(time.RFC3339, m.Until); err != nil {
			return nil, fmt.Errorf("%s.until: %w", key, err)
		}
		return w, nil
	}
	if w.start, err = clock.Parse(m.Start, false); err != nil {
		return nil, fmt.Errorf("%s.start: %w", key, err)
	}
	if w.end, err = clock.Parse(m.End, true); err != nil {
		return nil, fmt.Errorf("%s.end: %w", key, err)
	}
	if w.loc, err = clock.LoadLocation(m.Location); err != nil {
		return nil, fmt.Errorf("%s.location: %w", key, err)
	}
	for i, d := range m.Weekdays {
		wd, err := clock.ParseWeekday(d)
		if err != nil {
			return nil, fmt.Errorf("%s.weekdays[%d]: %w", key, i, err)
		}
		w.days[wd] = true
	}
	if len(m.Weekdays) == 0 {
		w.days = [7]bool{true, true, true, true, true, true, true}
	}
	return w, nil
}

// mutedBy returns the first window (in config order) that keeps e from receiver at t,
// and until when it does; nil when none does. NATS is never muted.
func mutedBy(ws []*Window, receiver string, e *event.Event, t time.Time) (*Window, time.Time) {
	if receiver == config.NATSReceiver {
		return nil, time.Time{}
	}
	for _, w := range ws {
		if !w.Applies(receiver) {
			continue
		}
		if ok, _ := w.filter.Match(e); !ok {
			continue
		}
		if open, until := w.Active(t); open {
			return w, until
		}
	}
	return nil, time.Time{}
}

// Applies reports whether the window mutes receiver (when open and its filter passes).
func (w *Window) Applies(receiver string) bool {
	if receiver == config.NATSReceiver {
		return false
	}
	return w.receivers == nil || slices.Contains(w.receivers, receiver)
}

// Receivers returns the receivers named by the window, nil for every one but NATS.
func (w *Window) Receivers() []string { return slices.Clone(w.receivers) }

// Active reports whether the window is open at t and, if so, when it closes.
func (w *Window) Active(t time.Time) (bool, time.Time) {
	if !w.weekly {
		if !t.Before(w.from) && t.Before(w.until) {
			return true, w.until
		}
		return false, time.Time{}
	}
	local := t.In(w.loc)
	tod := local.Hour()*60 + local.Minute()
	y, m, d := local.Date()
	today := local.Weekday()
	if w.start < w.end {
		if w.days[today] && tod >= w.start && tod < w.end {
			return true, w.at(y, m, d, w.end)
		}
		return false, time.Time{}
	}
	// Across midnight: the part after start belongs to a window starting today, the part
	// before end to one that started yesterday.
	if w.days[today] && tod >= w.start {
		return true, w.at(y, m, d+1, w.end)
	}
	if w.days[(today+6)%7] && tod < w.end {
		return true, w.at(y, m, d, w.end)
	}
	return false, time.Time{}
}

// at is the wall-clock time min minutes after the midnight of the day y-m-d in the
// window's location (Go moves a time in a skipped hour forward).
func (w *Window) at(y int, m time.Month, d, min int) time.Time {
	return time.Date(y, m, d, 0, min, 0, 0, w.loc)
}

// String describes the window: "saturday 01:00–03:00 Asia/Shanghai", "every day
// 23:00–01:00 UTC (ends the next day)" or "2026-12-05T01:00:00Z – 2026-12-05T03:00:00Z".
func (w *Window) String() string {
	if !w.weekly {
		return w.from.Format(time.RFC3339) + " – " + w.until.Format(time.RFC3339)
	}
	s := fmt.Sprintf("%s %s–%s %s", w.dayList(), hhmm(w.start), hhmm(w.end), w.loc)
	if w.end < w.start {
		s += " (ends the next day)"
	}
	return s
}

func (w *Window) dayList() string {
	var names []string
	for i := range 7 { // monday first
		if d := time.Weekday((i + 1) % 7); w.days[d] {
			names = append(names, d.String())
		}
	}
	if len(names) == 7 {
		return "every day"
	}
	return strings.ToLower(strings.Join(names, ", "))
}

// hhmm writes min minutes after midnight as "HH:MM".
func hhmm(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// Until describes when the window closes, as seen at now: "03:00 Asia/Shanghai" the same
// local day, "Sat 03:00 Asia/Shanghai" another, the RFC 3339 time for an absolute window.
func (w *Window) Until(until, now time.Time) string {
	if !w.weekly {
		return until.UTC().Format(time.RFC3339)
	}
	u, n := until.In(w.loc), now.In(w.loc)
	if u.YearDay() == n.YearDay() && u.Year() == n.Year() {
		return u.Format("15:04 ") + w.loc.String()
	}
	return u.Format("Mon 15:04 ") + w.loc.String()
}
