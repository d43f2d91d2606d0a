// Package event defines the CloudEvents 1.0 envelope the notifier publishes for every
// task transition, and the pure helpers that name, rank and route it.
package event

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"time"
)

// CloudEvents attribute values used by every event.
const (
	SpecVersion       = "1.0"
	TypeCreated       = "com.huaweicloud.dcs.task.created"
	TypeStatusChanged = "com.huaweicloud.dcs.task.status_changed"
	ContentType       = "application/json"
)

// SwitchoverTask is the task name of a master/standby switchover, the transition on-call cares most about.
const SwitchoverTask = "masterStandbySwapJob"

// Event is one CloudEvent in structured JSON mode.
type Event struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	Data            Data      `json:"data"`
}

// Data is the event payload. Task holds the task object exactly as the API returned it.
type Data struct {
	ProjectID      string          `json:"project_id"`
	ProjectName    string          `json:"project_name,omitempty"` // dcs.projects[].name, when set
	Region         string          `json:"region"`
	InstanceID     string          `json:"instance_id,omitempty"`   // from the task when it says (see Instance)
	InstanceName   string          `json:"instance_name,omitempty"` // likewise; nothing is guessed
	Task           json.RawMessage `json:"task,omitempty"`          // absent on watch events
	PreviousStatus string          `json:"previous_status,omitempty"`
	Severity       Severity        `json:"severity"`
	DetectedAt     time.Time       `json:"detected_at"`
	WasStuck       bool            `json:"was_stuck,omitempty"` // a task that ends after its stuck event
	// UnseenStatuses is set on a created event whose task is already finished: it started
	// and ended between two polls, so its earlier statuses (RUNNING) were never seen.
	UnseenStatuses bool `json:"unseen_statuses,omitempty"`

	// A stuck task (TypeStuck): how long it has run and the threshold it passed.
	RunningSeconds   int64  `json:"running_seconds,omitempty"`
	ThresholdSeconds int64  `json:"threshold_seconds,omitempty"`
	ThresholdSource  string `json:"threshold_source,omitempty"`

	// A blind spot (TypeGap, TypeRestored): since when the project was not read, why,
	// and, once restored, until when and whether nothing can have been missed.
	BlindSince   *time.Time `json:"blind_since,omitempty"`
	BlindUntil   *time.Time `json:"blind_until,omitempty"`
	BlindSeconds int64      `json:"blind_seconds,omitempty"`
	Complete     *bool      `json:"complete,omitempty"`
	Reason       string     `json:"reason,omitempty"`
	Escalated    bool       `json:"escalated,omitempty"`

	// SilencedBy names, for each receiver a silence kept the event from at commit, the
	// silence's id (receiver -> id); NATS, never silenced, says so to its subscribers.
	SilencedBy map[string]string `json:"silenced_by,omitempty"`

	// TaskName and Status are read from Task; they route the event and are not serialized twice.
	TaskName string `json:"-"`
	Status   string `json:"-"`
}

// UnmarshalJSON decodes the payload and recovers TaskName and Status from the raw task.
func (d *Data) UnmarshalJSON(b []byte) error {
	type plain Data
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*d = Data(p)
	if len(d.Task) > 0 {
		var t struct {
			Name   any `json:"name"`
			Status any `json:"status"`
		}
		if json.Unmarshal(d.Task, &t) == nil {
			d.TaskName, d.Status = scalar(t.Name), scalar(t.Status)
		}
	}
	return nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// Transition is what the diff saw happen to one task; New turns it into an Event.
type Transition struct {
	ProjectID      string
	Region         string
	TaskID         string
	TaskName       string
	Status         string
	PreviousStatus string // empty for a task seen for the first time
	Created        bool   // first sighting rather than a status change
	Seq            uint32 // the task's transition number, 1 for its first event
	Task           json.RawMessage
	DetectedAt     time.Time
}

// New builds the CloudEvent for a transition. Its id depends only on the project, the task,
// the transition number and the two statuses, so the same transition always gets the same id.
func New(t Transition) Event {
	typ := TypeStatusChanged
	if t.Created {
		typ = TypeCreated
	}
	detected := t.DetectedAt.UTC()
	return Event{
		SpecVersion:     SpecVersion,
		ID:              ID(t.ProjectID, t.TaskID, t.Seq, t.PreviousStatus, t.Status),
		Source:          Source(t.Region, t.ProjectID),
		Type:            typ,
		Subject:         t.TaskID,
		Time:            detected,
		DataContentType: ContentType,
		Data: Data{
			ProjectID:      t.ProjectID,
			Region:         t.Region,
			Task:           t.Task,
			PreviousStatus: t.PreviousStatus,
			Severity:       SeverityOf(t.TaskName, t.Status),
			DetectedAt:     detected,
			TaskName:       t.TaskName,
			Status:         t.Status,
		},
	}
}

// ID returns the stable event id of a transition: 32 hex characters of a SHA-256.
func ID(projectID, taskID string, seq uint32, previous, status string) string {
	h := sha256.New()
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], seq)
	for _, s := range []string{projectID, taskID, previous, status} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	h.Write(n[:])
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Source returns the CloudEvents source of a project's events.
func Source(region, projectID string) string {
	return "/huaweicloud/dcs/" + region + "/projects/" + projectID
}
