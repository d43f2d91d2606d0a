package route

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// table compiles windows over a config with receivers nats, oncall and team.
func table(t *testing.T, ms ...config.Mute) *Table {
	t.Helper()
	cfg := config.Default()
	cfg.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: project}, {Region: "cn-north-4", ProjectID: other}}
	cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "oncall", MaxPending: 1}, URLEnv: "A"}, {Common: receiver.Common{Name: "team", MaxPending: 1}, URLEnv: "B"}}
	cfg.Mute = ms
	if err := cfg.Validate(); err != nil {
		t.Fatalf("config: %v", err)
	}
	s, err := New(&cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ev(projectID, name, status string, sev event.Severity, created string) event.Event {
	task, _ := json.Marshal(map[string]string{"name": name, "status": status, "created_at": created})
	return event.Event{Data: event.Data{ProjectID: projectID, TaskName: name, Status: status, Severity: sev, Task: task}}
}

var failed = ev(project, event.SwitchoverTask, "FAILED", event.Critical, "")

// Each case is one window and moments (UTC) at which it is open or not, and until when.
func TestWindowActive(t *testing.T) {
	type moment struct {
		at    string
		open  bool
		until string // when open
	}
	tests := []struct {
		name    string
		m       config.Mute
		moments []moment
	}{
		{"saturday 01:00-03:00 in Asia/Shanghai is friday 17:00-19:00 UTC",
			config.Mute{Weekdays: []string{"saturday"}, Start: "01:00", End: "03:00", Location: "Asia/Shanghai"},
			[]moment{
				{"2026-12-04T16:59:59Z", false, ""},
				{"2026-12-04T17:00:00Z", true, "2026-12-04T19:00:00Z"},
				{"2026-12-04T18:59:59Z", true, "2026-12-04T19:00:00Z"},
				{"2026-12-04T19:00:00Z", false, ""},
				{"2026-12-05T01:30:00Z", false, ""}, // saturday 01:30 UTC is 09:30 in Shanghai
				{"2026-12-05T17:30:00Z", false, ""}, // sunday 01:30 in Shanghai
			}},
		{"friday 23:00-01:00 runs into saturday",
			config.Mute{Weekdays: []string{"friday"}, Start: "23:00", End: "01:00"},
			[]moment{
				{"2026-12-04T00:30:00Z", false, ""}, // friday 00:30: the window of thursday, not configured
				{"2026-12-04T22:59:00Z", false, ""},
				{"2026-12-04T23:00:00Z", true, "2026-12-05T01:00:00Z"},
				{"2026-12-05T00:59:59Z", true, "2026-12-05T01:00:00Z"},
				{"2026-12-05T01:00:00Z", false, ""},
				{"2026-12-05T23:30:00Z", false, ""}, // saturday night
				{"2026-12-03T23:30:00Z", false, ""}, // thursday night
			}},
		{"every day across midnight in Asia/Shanghai",
			config.Mute{Start: "23:00", End: "01:00", Location: "Asia/Shanghai"},
			[]moment{
				{"2026-12-04T15:00:00Z", true, "2026-12-04T17:00:00Z"},
				{"2026-12-04T16:30:00Z", true, "2026-12-04T17:00:00Z"},
				{"2026-12-04T17:00:00Z", false, ""},
			}},
		{"until the end of the day",
			config.Mute{Weekdays: []string{"friday"}, Start: "22:00", End: "24:00"},
			[]moment{
				{"2026-12-04T23:59:59Z", true, "2026-12-05T00:00:00Z"},
				{"2026-12-05T00:00:00Z", false, ""},
			}},
		// Clocks go forward at 02:00 CET: sunday 01:00-04:00 is two hours long that day.
		{"Europe/Berlin when summer time starts",
			config.Mute{Weekdays: []string{"sunday"}, Start: "01:00", End: "04:00", Location: "Europe/Berlin"},
			[]moment{
				{"2026-03-28T23:59:59Z", false, ""},
				{"2026-03-29T00:00:00Z", true, "2026-03-29T02:00:00Z"}, // 01:00 CET
				{"2026-03-29T01:30:00Z", true, "2026-03-29T02:00:00Z"}, // 03:30 CEST
				{"2026-03-29T02:00:00Z", false, ""},                    // 04:00 CEST
			}},
		// Clocks go back at 03:00 CEST: the same window is four hours long.
		{"Europe/Berlin when summer time ends",
			config.Mute{Weekdays: []string{"sunday"}, Start: "01:00", End: "04:00", Location: "Europe/Berlin"},
			[]moment{
				{"2026-10-24T22:59:59Z", false, ""},
				{"2026-10-24T23:00:00Z", true, "2026-10-25T03:00:00Z"}, // 01:00 CEST
				{"2026-10-25T01:30:00Z", true, "2026-10-25T03:00:00Z"}, // 02:30 CET, the second time
				{"2026-10-25T02:59:59Z", true, "2026-10-25T03:00:00Z"},
				{"2026-10-25T03:00:00Z", false, ""}, // 04:00 CET
			}},
		// A window entirely in the skipped hour does not happen that day.
		{"Europe/Berlin in the skipped hour",
			config.Mute{Weekdays: []string{"sunday"}, Start: "02:00", End: "02:30", Location: "Europe/Berlin"},
			[]moment{
				{"2026-03-29T00:59:59Z", false, ""},
				{"2026-03-29T01:00:00Z", false, ""},
				{"2026-03-22T01:15:00Z", true, "2026-03-22T01:30:00Z"}, // a week before, in winter time
			}},
		{"absolute: from included, until excluded",
			config.Mute{From: "2026-12-05T09:00:00+08:00", Until: "2026-12-05T03:00:00Z"},
			[]moment{
				{"2026-12-05T00:59:59Z", false, ""},
				{"2026-12-05T01:00:00Z", true, "2026-12-05T03:00:00Z"},
				{"2026-12-05T02:59:59Z", true, "2026-12-05T03:00:00Z"},
				{"2026-12-05T03:00:00Z", false, ""},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.m.Name = "w"
			w := table(t, tt.m).Windows()[0]
			for _, m := range tt.moments {
				open, until := w.Active(at(m.at))
				if open != m.open || (open && !until.Equal(at(m.until))) {
					t.Errorf("at %s: open %v until %v, want open %v until %s", m.at, open, until.UTC(), m.open, m.until)
				}
			}
		})
	}
}

// A window mutes the receivers it names (all but NATS when it names none), and only the
// events its filters pass; the first open window in config order is the one named.
func TestMutes(t *testing.T) {
	inside, outside := at("2026-12-04T17:30:00Z"), at("2026-12-04T20:00:00Z")
	weekly := config.Mute{Name: "weekly-maintenance", Receivers: []string{"oncall"}, Weekdays: []string{"saturday"},
		Start: "01:00", End: "03:00", Location: "Asia/Shanghai"}
	extendOK := ev(other, "EXTEND", "SUCCESS", event.Info, "")
	tests := []struct {
		name     string
		ms       []config.Mute
		receiver string
		e        event.Event
		t        time.Time
		want     string // the window; "" for none
	}{
		{"named receiver inside", []config.Mute{weekly}, "oncall", failed, inside, "weekly-maintenance"},
		{"named receiver outside", []config.Mute{weekly}, "oncall", failed, outside, ""},
		{"receiver not named", []config.Mute{weekly}, "team", failed, inside, ""},
		{"empty receivers: every one", []config.Mute{{Name: "all", Start: "00:00", End: "24:00"}}, "team", failed, inside, "all"},
		{"never nats", []config.Mute{{Name: "all", Start: "00:00", End: "24:00"}}, "nats", failed, inside, ""},
		{"min_severity passes", []config.Mute{{Name: "crit", Start: "00:00", End: "24:00", MinSeverity: "critical"}}, "oncall", failed, inside, "crit"},
		{"min_severity refuses", []config.Mute{{Name: "crit", Start: "00:00", End: "24:00", MinSeverity: "critical"}}, "oncall", extendOK, inside, ""},
		{"projects", []config.Mute{{Name: "p", Start: "00:00", End: "24:00", Projects: []string{strings.ToUpper(other)}}}, "oncall", extendOK, inside, "p"},
		{"projects refuse", []config.Mute{{Name: "p", Start: "00:00", End: "24:00", Projects: []string{other}}}, "oncall", failed, inside, ""},
		{"task_names", []config.Mute{{Name: "n", Start: "00:00", End: "24:00", TaskNames: []string{"EXTEND"}}}, "oncall", failed, inside, ""},
		{"statuses", []config.Mute{{Name: "s", Start: "00:00", End: "24:00", Statuses: []string{"FAILED"}}}, "oncall", failed, inside, "s"},
		{"first open window wins", []config.Mute{
			{Name: "closed", From: "2026-01-01T00:00:00Z", Until: "2026-01-02T00:00:00Z"},
			{Name: "refuses", Start: "00:00", End: "24:00", TaskNames: []string{"EXTEND"}},
			weekly,
			{Name: "later", Start: "00:00", End: "24:00"},
		}, "oncall", failed, inside, "weekly-maintenance"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, ok := table(t, tt.ms...).DecideFor(tt.receiver, &tt.e, tt.t)
			if !ok {
				t.Fatalf("no receiver %s", tt.receiver)
			}
			got := ""
			if h, muted := v.Muted(); muted {
				got = h.Name
			}
			if v.Deliver != (got == "") {
				t.Errorf("deliver %v, muted by %q", v.Deliver, got)
			}
			if got != tt.want {
				t.Errorf("muted by %q, want %q", got, tt.want)
			}
		})
	}
}

// Decide keeps NATS and the order of the config, and says which window muted whom
// until when.
func TestDecideKeepsNATSAndTheOrder(t *testing.T) {
	s := table(t, config.Mute{Name: "all", Start: "00:00", End: "24:00", Receivers: []string{"team"}})
	vs := s.Decide(&failed, at("2026-12-04T17:30:00Z"))
	if keep := To(vs); !slices.Equal(keep, []string{"nats", "oncall"}) {
		t.Errorf("keep = %v, want [nats oncall]", keep)
	}
	var muted []Hold
	for _, v := range vs {
		if h, ok := v.Held(); ok {
			if v.Receiver != "team" {
				t.Errorf("%s held by %s", v.Receiver, h)
			}
			muted = append(muted, h)
		}
	}
	if len(muted) != 1 || muted[0].Cause != Muted || muted[0].Name != "all" || !muted[0].Until.Equal(at("2026-12-05T00:00:00Z")) ||
		muted[0].String() != "muted (window all)" {
		t.Errorf("muted = %+v", muted)
	}
	if keep := To(table(t).Decide(&failed, time.Now())); len(keep) != 3 {
		t.Errorf("no windows: keep %v", keep)
	}
}

// A task created inside a window is said to have run during it, to the receivers the
// window mutes, whenever its later events are rendered.
func TestDuring(t *testing.T) {
	s := table(t, config.Mute{Name: "weekly-maintenance", Receivers: []string{"oncall"}, Weekdays: []string{"saturday"},
		Start: "01:00", End: "03:00", Location: "Asia/Shanghai", MinSeverity: "warning"})
	in := ev(project, event.SwitchoverTask, "FAILED", event.Critical, "2026-12-04T17:10:00.123Z")
	if got := s.During("oncall", &in); got != "weekly-maintenance" {
		t.Errorf("created inside: %q", got)
	}
	if got := s.During("team", &in); got != "" {
		t.Errorf("a receiver the window does not mute: %q", got)
	}
	out := ev(project, event.SwitchoverTask, "FAILED", event.Critical, "2026-12-04T19:10:00Z")
	if got := s.During("oncall", &out); got != "" {
		t.Errorf("created after: %q", got)
	}
	info := ev(other, "EXTEND", "SUCCESS", event.Info, "2026-12-04T17:10:00Z")
	if got := s.During("oncall", &info); got != "" {
		t.Errorf("an event the filter refuses: %q", got)
	}
	bad := ev(project, event.SwitchoverTask, "FAILED", event.Critical, "not a time")
	if got := s.During("oncall", &bad); got != "" {
		t.Errorf("unknown creation time: %q", got)
	}
}

func TestWindowDescribes(t *testing.T) {
	s := table(t,
		config.Mute{Name: "a", Weekdays: []string{"saturday", "sunday"}, Start: "01:00", End: "03:00", Location: "Asia/Shanghai"},
		config.Mute{Name: "b", Start: "23:00", End: "01:00"},
		config.Mute{Name: "c", From: "2026-12-05T01:00:00Z", Until: "2026-12-05T03:00:00Z"})
	ws := s.Windows()
	for i, want := range []string{"saturday, sunday 01:00–03:00 Asia/Shanghai", "every day 23:00–01:00 UTC (ends the next day)",
		"2026-12-05T01:00:00Z – 2026-12-05T03:00:00Z"} {
		if got := ws[i].String(); got != want {
			t.Errorf("window %d: %q, want %q", i, got, want)
		}
	}
	now := at("2026-12-04T17:30:00Z")
	_, until := ws[0].Active(now)
	if got := ws[0].Until(until, now); got != "03:00 Asia/Shanghai" {
		t.Errorf("until %q", got)
	}
	if got := ws[1].Until(at("2026-12-05T01:00:00Z"), at("2026-12-04T23:30:00Z")); got != "Sat 01:00 UTC" {
		t.Errorf("until the next day %q", got)
	}
}
