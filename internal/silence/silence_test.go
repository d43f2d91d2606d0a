package silence

import (
	"strings"
	"testing"
	"time"

	"notifier/internal/event"
)

var t0 = time.Date(2026, 12, 5, 3, 0, 0, 0, time.UTC)

func valid() Silence {
	return Silence{ID: "abc123", Matchers: Matchers{TaskName: "masterStandbySwapJob", Instance: "redis-orders*"},
		StartsAt: t0, EndsAt: t0.Add(2 * time.Hour), CreatedBy: "alice", Comment: "planned failover test"}
}

func TestValidateNamesTheField(t *testing.T) {
	for _, tt := range []struct {
		name string
		edit func(*Silence)
		want string // "" valid
	}{
		{"valid", func(*Silence) {}, ""},
		{"no matcher", func(s *Silence) { s.Matchers = Matchers{} }, "matchers: none set"},
		{"ends before it starts", func(s *Silence) { s.EndsAt = s.StartsAt }, "ends_at: 2026-12-05T03:00:00Z is not after starts_at"},
		{"no author", func(s *Silence) { s.CreatedBy = " " }, "created_by: empty"},
		{"no comment", func(s *Silence) { s.Comment = "" }, "comment: empty"},
		{"a bad glob", func(s *Silence) { s.Matchers.Instance = "redis-[" }, "matchers.instance: \"redis-[\" is not a valid glob"},
		{"an unknown event type", func(s *Silence) { s.Matchers.EventType = "tsk" }, "matchers.event_type: unknown event type \"tsk\""},
		{"an id that cannot be a key", func(s *Silence) { s.ID = "a.b" }, "id: \"a.b\" is not"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := valid()
			tt.edit(&s)
			err := s.Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("error %v, want one saying %q", err, tt.want)
			}
		})
	}
}

func ev(task, instance, status string) *event.Event {
	return &event.Event{Type: event.TypeStatusChanged, Data: event.Data{ProjectID: "0123456789abcdef0123456789abcdef",
		ProjectName: "prod-eu", Region: "cn-north-4", TaskName: task, InstanceName: instance, Status: status, Severity: event.Critical}}
}

// The matchers are a receiver filter's: globs, a project by id or name, all must match;
// the receiver matcher names one receiver; NATS and test events are never silenced.
func TestSetMatch(t *testing.T) {
	byName := valid()
	byName.ID, byName.Matchers = "byname", Matchers{Project: "prod-eu", Receiver: "pager"}
	later := valid()
	later.ID, later.EndsAt = "later", t0.Add(3*time.Hour)
	set, bad := NewSet([]Silence{valid(), byName, later})
	if len(bad) != 0 {
		t.Fatalf("bad: %v", bad)
	}
	at := t0.Add(time.Minute)
	for _, tt := range []struct {
		name     string
		receiver string
		e        *event.Event
		want     string // the silence's id, "" none
	}{
		{"globs match: the one ending last says until when", "team", ev("masterStandbySwapJob", "redis-orders-1", "FAILED"), "later"},
		{"another instance", "team", ev("masterStandbySwapJob", "redis-users-1", "FAILED"), ""},
		{"another task", "team", ev("EXTEND", "redis-orders-1", "FAILED"), ""},
		{"by project name, for its receiver", "pager", ev("EXTEND", "x", "SUCCESS"), "byname"},
		{"not for another receiver", "team", ev("EXTEND", "x", "SUCCESS"), ""},
		{"never a test event", "team", &event.Event{Type: event.TypeTest}, ""},
	} {
		s, ok := set.Match(tt.receiver, tt.e, at)
		if got := map[bool]string{true: s.ID}[ok]; got != tt.want {
			t.Errorf("%s: silenced by %q, want %q", tt.name, got, tt.want)
		}
	}
}

// A silence holds from starts_at (included) to ends_at (excluded), on the caller's clock.
func TestSetMatchExpiresAtEndsAt(t *testing.T) {
	set, _ := NewSet([]Silence{valid()})
	e := ev("masterStandbySwapJob", "redis-orders-1", "FAILED")
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{t0.Add(-time.Nanosecond), false}, {t0, true}, {t0.Add(2*time.Hour - time.Nanosecond), true}, {t0.Add(2 * time.Hour), false},
	} {
		if _, ok := set.Match("team", e, tt.at); ok != tt.want {
			t.Errorf("at %s: silenced %v, want %v", tt.at.Format(time.RFC3339Nano), ok, tt.want)
		}
	}
	if n := len(set.Active(t0.Add(2 * time.Hour))); n != 0 {
		t.Errorf("%d active at ends_at", n)
	}
}

func TestExpireAndGC(t *testing.T) {
	s := valid()
	x := s.Expire(t0.Add(time.Hour))
	if !x.EndsAt.Equal(t0.Add(time.Hour)) || !x.Expired(t0.Add(time.Hour)) || x.Active(t0.Add(time.Hour)) {
		t.Errorf("expired: %+v", x)
	}
	pending := s
	pending.StartsAt, pending.EndsAt = t0.Add(time.Hour), t0.Add(2*time.Hour)
	if p := pending.Expire(t0); !p.StartsAt.Equal(t0) || !p.EndsAt.Equal(t0) {
		t.Errorf("a pending silence expired: %+v, want it to start and end now", p)
	}
	if again := x.Expire(t0.Add(90 * time.Minute)); !again.EndsAt.Equal(x.EndsAt) {
		t.Errorf("expiring an expired silence moved its end: %v", again.EndsAt)
	}
	kept := GC([]Silence{x}, x.EndsAt.Add(Retention))
	dropped := GC([]Silence{x}, x.EndsAt.Add(Retention+time.Second))
	if len(kept) != 1 || len(dropped) != 0 {
		t.Errorf("GC kept %d at 7 days and %d after: want 1 and 0", len(kept), len(dropped))
	}
}

// query asks only the matchers it gives, against the values given.
func TestCould(t *testing.T) {
	s := valid()
	for _, tt := range []struct {
		q    Matchers
		want bool
	}{
		{Matchers{}, true},
		{Matchers{TaskName: "masterStandbySwapJob"}, true},
		{Matchers{Instance: "redis-orders-7"}, true},
		{Matchers{Instance: "redis-users-7"}, false},
		{Matchers{TaskName: "EXTEND"}, false},
		{Matchers{Status: "FAILED", Receiver: "pager"}, true},
	} {
		if got := s.Could(tt.q); got != tt.want {
			t.Errorf("Could(%s) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

func TestNewSetLeavesOutWhatDoesNotValidate(t *testing.T) {
	bad := valid()
	bad.ID, bad.Matchers.TaskName = "bad", "a["
	set, ids := NewSet([]Silence{valid(), bad})
	if len(ids) != 1 || ids[0] != "bad" || len(set.All()) != 2 {
		t.Errorf("bad %v, all %d", ids, len(set.All()))
	}
	if _, ok := set.Match("team", ev("a[", "redis-orders-1", "FAILED"), t0); ok {
		t.Error("an invalid silence matched")
	}
}
