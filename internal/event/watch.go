package event

import (
	"strconv"
	"time"
)

// Types of the events about what did not happen: a task that runs too long, and the time
// the notifier could not read a project.
const (
	TypeStuck    = "com.huaweicloud.dcs.task.stuck"
	TypeGap      = "com.huaweicloud.dcs.watch.gap"
	TypeRestored = "com.huaweicloud.dcs.watch.restored"
)

// Where a stuck threshold came from (data.threshold_source).
const (
	ThresholdConfigured = "configured" // stuck.after
	ThresholdLearned    = "learned"    // factor × p95 of the name's finished durations
	ThresholdDefault    = "default"    // stuck.default_after
)

// Stuck is a followed task still not finished after its threshold.
type Stuck struct {
	ProjectID, Region  string
	TaskID, TaskName   string
	Status             string
	Task               []byte // the task as last listed
	Running, Threshold time.Duration
	Source             string // ThresholdConfigured, ThresholdLearned or ThresholdDefault
	DetectedAt         time.Time
}

// NewStuck builds the one event of a stuck task. Its id depends only on the project and
// the task: a task is announced stuck once.
func NewStuck(s Stuck) Event {
	detected := s.DetectedAt.UTC()
	sev := Warning
	if s.TaskName == SwitchoverTask {
		sev = Critical
	}
	return Event{
		SpecVersion: SpecVersion, ID: ID(s.ProjectID, s.TaskID, 0, "", "STUCK"), Source: Source(s.Region, s.ProjectID),
		Type: TypeStuck, Subject: s.TaskID, Time: detected, DataContentType: ContentType,
		Data: Data{
			ProjectID: s.ProjectID, Region: s.Region, Task: s.Task, Severity: sev, DetectedAt: detected,
			TaskName: s.TaskName, Status: s.Status,
			RunningSeconds: int64(s.Running / time.Second), ThresholdSeconds: int64(s.Threshold / time.Second),
			ThresholdSource: s.Source,
		},
	}
}

// Gap is a project not read successfully since BlindSince.
type Gap struct {
	ProjectID, ProjectName, Region string
	BlindSince                     time.Time
	Reason                         string // the last error, without secrets
	Escalated                      bool   // the second event, after 6 × gap_after: critical
	DetectedAt                     time.Time
}

// NewGap builds a gap event; its id depends on the project, the start of the gap and
// whether it is the escalation.
func NewGap(g Gap) Event {
	detected := g.DetectedAt.UTC()
	since := g.BlindSince.UTC()
	sev, kind := Warning, "gap"
	if g.Escalated {
		sev, kind = Critical, "gap-escalated"
	}
	return Event{
		SpecVersion: SpecVersion, ID: ID(g.ProjectID, "_watch", 0, kind, strconv.FormatInt(since.UnixMilli(), 10)),
		Source: Source(g.Region, g.ProjectID), Type: TypeGap, Subject: g.ProjectID, Time: detected, DataContentType: ContentType,
		Data: Data{
			ProjectID: g.ProjectID, ProjectName: g.ProjectName, Region: g.Region, Severity: sev, DetectedAt: detected,
			BlindSince: &since, Reason: g.Reason, Escalated: g.Escalated,
		},
	}
}

// Restored is the first successful poll after a gap (or after a downtime).
type Restored struct {
	ProjectID, ProjectName, Region string
	BlindSince, BlindUntil         time.Time
	Complete                       bool // the poll's window covered the whole blind time
	DetectedAt                     time.Time
}

// NewRestored builds a restored event; its id depends on the project and the start of the
// gap it ends.
func NewRestored(r Restored) Event {
	detected := r.DetectedAt.UTC()
	since, until := r.BlindSince.UTC(), r.BlindUntil.UTC()
	sev := Info
	if !r.Complete {
		sev = Warning
	}
	complete := r.Complete
	return Event{
		SpecVersion: SpecVersion, ID: ID(r.ProjectID, "_watch", 0, "restored", strconv.FormatInt(since.UnixMilli(), 10)),
		Source: Source(r.Region, r.ProjectID), Type: TypeRestored, Subject: r.ProjectID, Time: detected, DataContentType: ContentType,
		Data: Data{
			ProjectID: r.ProjectID, ProjectName: r.ProjectName, Region: r.Region, Severity: sev, DetectedAt: detected,
			BlindSince: &since, BlindUntil: &until, BlindSeconds: int64(until.Sub(since) / time.Second), Complete: &complete,
		},
	}
}
