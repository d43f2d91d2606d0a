// Package silence is the model of a silence: an author's "send nothing new to these
// receivers about these tasks until then", made at 3 a.m. without editing a file. A
// silence has matchers (every one optional, all must match), a start, an end, an author
// and a comment. Matching is package receiver's filter (one matcher per filter key), so
// a silence matches exactly what a receiver's filter with the same values would pass.
// Expired silences are kept for Retention, for the record, then dropped (GC). Pure: no
// I/O, and the clock is the caller's.
package silence

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"notifier/internal/event"
	"notifier/internal/receiver"
)

// Retention is how long an expired silence is kept for the record before GC drops it.
const Retention = 7 * 24 * time.Hour

// Matchers say what a silence silences. Each is optional; all that are set must match.
type Matchers struct {
	Project   string `json:"project,omitempty"`    // a project id (any case) or name
	Region    string `json:"region,omitempty"`     // a region id
	Instance  string `json:"instance,omitempty"`   // a glob over the instance id and name
	TaskName  string `json:"task_name,omitempty"`  // a glob over the task name
	Status    string `json:"status,omitempty"`     // a task status (FAILED)
	EventType string `json:"event_type,omitempty"` // task, stuck or gap (as receivers' event_types)
	Receiver  string `json:"receiver,omitempty"`   // a receiver's name; "": every receiver but NATS
}

// String says the matchers set, as "task_name=X instance=redis-*".
func (m Matchers) String() string {
	var parts []string
	for _, kv := range [][2]string{{"receiver", m.Receiver}, {"project", m.Project}, {"region", m.Region},
		{"instance", m.Instance}, {"task_name", m.TaskName}, {"status", m.Status}, {"event_type", m.EventType}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	return strings.Join(parts, " ")
}

// Silence is one silence.
type Silence struct {
	ID        string    `json:"id"`
	Matchers  Matchers  `json:"matchers"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	CreatedBy string    `json:"created_by"`
	Comment   string    `json:"comment"`
}

// idPattern is what an id may be: it is a key in nats-kv and a path element of the API.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// NewID returns a new random id (16 hex digits).
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b[:])
}

// ValidID reports whether id can be a silence's id.
func ValidID(id string) bool { return idPattern.MatchString(id) }

// InvalidError is a silence refused as written (the API answers 400).
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return "invalid silence: " + e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// Validate says what is wrong with s, naming the field: an id that is none, no matcher
// at all (a silence of everything is a config change, not a silence), an end not after
// the start, no author or comment, a glob that is not one, an unknown event type.
func (s *Silence) Validate() error {
	var errs []error
	if !ValidID(s.ID) {
		errs = append(errs, fmt.Errorf("id: %q is not 1-64 letters, digits, _ or -", s.ID))
	}
	if s.Matchers == (Matchers{}) {
		errs = append(errs, errors.New("matchers: none set (project, region, instance, task_name, status, event_type, receiver): a silence must say what it silences"))
	}
	if s.EndsAt.IsZero() || !s.EndsAt.After(s.StartsAt) {
		errs = append(errs, fmt.Errorf("ends_at: %s is not after starts_at %s", stamp(s.EndsAt), stamp(s.StartsAt)))
	}
	if strings.TrimSpace(s.CreatedBy) == "" {
		errs = append(errs, errors.New("created_by: empty"))
	}
	if strings.TrimSpace(s.Comment) == "" {
		errs = append(errs, errors.New("comment: empty (say why, for whoever finds it)"))
	}
	if _, err := s.Matchers.filter(); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return &InvalidError{errors.Join(errs...)}
	}
	return nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// filter is the receiver filter of the matchers; its errors name the matcher.
func (m Matchers) filter() (receiver.Filter, error) {
	one := func(v string) []string {
		if v = strings.TrimSpace(v); v == "" {
			return nil
		}
		return []string{v}
	}
	f, err := receiver.NewFilter("matchers", receiver.Common{
		Projects: one(m.Project), Regions: one(m.Region), Instances: one(m.Instance),
		TaskNames: one(m.TaskName), Statuses: one(m.Status), EventTypes: one(m.EventType),
	})
	if err != nil { // the filter names its keys (task_names, event_types[0]): say the matcher's
		msg := err.Error()
		for from, to := range map[string]string{"matchers.task_names": "matchers.task_name",
			"matchers.instances": "matchers.instance", "matchers.event_types[0]": "matchers.event_type"} {
			msg = strings.Replace(msg, from, to, 1)
		}
		return receiver.Filter{}, errors.New(msg)
	}
	return f, nil
}

// Active reports whether s silences at at: from starts_at (included) to ends_at
// (excluded).
func (s *Silence) Active(at time.Time) bool { return !at.Before(s.StartsAt) && at.Before(s.EndsAt) }

// Expired reports whether s has ended at at.
func (s *Silence) Expired(at time.Time) bool { return !at.Before(s.EndsAt) }

// Expire returns s ended at at: its end brought forward to at (a silence not started yet
// starts and ends at at). An expired silence is returned as it is.
func (s Silence) Expire(at time.Time) Silence {
	if s.Expired(at) {
		return s
	}
	if s.StartsAt.After(at) {
		s.StartsAt = at
	}
	s.EndsAt = at
	return s
}

// GC returns the silences still kept at now: all but those expired more than Retention
// ago.
func GC(all []Silence, now time.Time) []Silence {
	var out []Silence
	for _, s := range all {
		if !now.After(s.EndsAt.Add(Retention)) {
			out = append(out, s)
		}
	}
	return out
}

// Could reports whether s could silence an event with the fields q sets, for `notifier
// silence query`: each matcher of s that q also sets must match q's value (a glob of s
// against q's literal value, as an event's would be); a matcher q leaves unset is not
// asked. q.Receiver "" asks about every receiver.
func (s *Silence) Could(q Matchers) bool {
	if q.Receiver != "" && s.Matchers.Receiver != "" && q.Receiver != s.Matchers.Receiver {
		return false
	}
	asked := Matchers{}
	pick := func(dst *string, mine, theirs string) {
		if theirs != "" {
			*dst = mine
		}
	}
	pick(&asked.Project, s.Matchers.Project, q.Project)
	pick(&asked.Region, s.Matchers.Region, q.Region)
	pick(&asked.Instance, s.Matchers.Instance, q.Instance)
	pick(&asked.TaskName, s.Matchers.TaskName, q.TaskName)
	pick(&asked.Status, s.Matchers.Status, q.Status)
	pick(&asked.EventType, s.Matchers.EventType, q.EventType)
	f, err := asked.filter()
	if err != nil {
		return false
	}
	ok, _ := f.Match(queryEvent(q))
	return ok
}

// queryEvent is the event q describes.
func queryEvent(q Matchers) *event.Event {
	typ := event.TypeStatusChanged
	switch q.EventType {
	case event.ClassStuck:
		typ = event.TypeStuck
	case event.ClassGap:
		typ = event.TypeGap
	}
	return &event.Event{Type: typ, Data: event.Data{ProjectID: q.Project, ProjectName: q.Project,
		Region: q.Region, InstanceID: q.Instance, InstanceName: q.Instance, TaskName: q.TaskName,
		Status: q.Status, Severity: event.Critical}}
}
