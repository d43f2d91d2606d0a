package mute

import (
	"encoding/json"
	"strings"
	"time"

	"notifier/internal/event"
)

// Muted is one receiver an event was kept from, and the window that kept it.
type Muted struct {
	Receiver string
	Window   string
	Until    time.Time // when the window closes
}

// Apply splits the receivers an event was routed to (to) into those that get it and
// those a window open at t keeps it from, both in the order of to. It never mutes NATS.
func (s *Set) Apply(to []string, e *event.Event, t time.Time) (keep []string, muted []Muted) {
	if s == nil || len(s.windows) == 0 {
		return to, nil
	}
	keep = make([]string, 0, len(to))
	for _, r := range to {
		if w, until := s.Mutes(r, e, t); w != nil {
			muted = append(muted, Muted{Receiver: r, Window: w.Name, Until: until})
			continue
		}
		keep = append(keep, r)
	}
	return keep, muted
}

// During returns the name of the window that, when e's task was created, was open and
// would have kept e from receiver; "" when none was, or the task's creation time is
// unknown. Slack says so on the task's later events ("during maintenance window ...").
func (s *Set) During(receiver string, e *event.Event) string {
	created, ok := TaskCreated(e)
	if !ok {
		return ""
	}
	if w, _ := s.Mutes(receiver, e, created); w != nil {
		return w.Name
	}
	return ""
}

// TaskCreated reads the created_at of e's task (RFC 3339, as the task center writes it).
func TaskCreated(e *event.Event) (time.Time, bool) {
	if len(e.Data.Task) == 0 {
		return time.Time{}, false
	}
	var t struct {
		CreatedAt any `json:"created_at"`
	}
	if json.Unmarshal(e.Data.Task, &t) != nil {
		return time.Time{}, false
	}
	str, _ := t.CreatedAt.(string)
	ts, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(str))
	if err != nil {
		return time.Time{}, false
	}
	return ts, true
}
