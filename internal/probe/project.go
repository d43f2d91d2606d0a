package probe

import (
	"context"
	"errors"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/event"
)

// The verdicts of the probe. Unknown means the project has too few tasks (or too few of the
// right kind) to tell.
const (
	Unknown = "unknown"

	OrderNewestFirst = "newest_first"
	OrderOldestFirst = "oldest_first"
	OrderUnsorted    = "unsorted"

	Yes = "yes"
	No  = "no"

	CountTotal    = "total"     // task_count counts every task of the window
	CountPageSize = "page_size" // task_count counts the tasks on the page
	CountAbsent   = "absent"

	WindowFilters  = "filters"
	WindowIgnored  = "ignored" // tasks older than the window came back
	WindowShifted  = "shifted" // some tasks older than the window came back, not all: another zone?
	WindowDrops    = "drops"   // tasks inside the window did not come back
	WindowRefused  = "refused" // the API answered the parameter with an error
	WindowOnCreate = "created_at"
	WindowOnUpdate = "updated_at"
)

// ProjectReport is what the probe learned of one project. Problems make it unusable as
// configured; Warnings are costs or surprises the notifier copes with.
type ProjectReport struct {
	ProjectID string `json:"project_id"`
	Name      string `json:"name,omitempty"`
	Region    string `json:"region"`
	Endpoint  string `json:"endpoint"`
	Usable    bool   `json:"usable"`
	// DiscoveredBy is the [[dcs.discover]] entry that found the project (dcs.discover[0]);
	// empty for a project of dcs.projects.
	DiscoveredBy string `json:"discovered_by,omitempty"`

	Reachable  bool    `json:"reachable"`
	TLS        string  `json:"tls"`        // "TLS 1.3, certificate for ... until ...", "none (http)" or why it failed
	Credential string  `json:"credential"` // "accepted", or why it was refused and what to check
	RTTMillis  float64 `json:"rtt_ms"`     // of the first request, body included

	Tasks          int    `json:"tasks_listed"`     // distinct tasks read without a window (at most MaxPages pages)
	Complete       bool   `json:"listing_complete"` // every task was read
	Order          string `json:"order"`
	LimitHonoured  string `json:"limit_honoured"`
	OffsetHonoured string `json:"offset_honoured"`
	PageCap        int    `json:"page_cap,omitempty"` // pages never longer than this, whatever limit asks
	TaskCount      string `json:"task_count"`

	Window      *Window        `json:"window,omitempty"`
	TimeFormats map[string]int `json:"time_formats"` // shape of created_at/updated_at → how many
	Recent      *Census        `json:"last_30_days,omitempty"`

	Throttled int    `json:"throttled"`                 // throttling answers received (each retried)
	Throttle  string `json:"throttle_answer,omitempty"` // the first one, as received

	Problems []string `json:"problems"`
	Warnings []string `json:"warnings"`
}

// Window is what the window parameters did.
type Window struct {
	Start     time.Time         `json:"start"`    // the window start sent
	Verdicts  map[string]string `json:"verdicts"` // start_time, begin_time → WindowFilters...
	Details   map[string]string `json:"details,omitempty"`
	FiltersOn string            `json:"filters_on"` // created_at, updated_at or unknown
	Use       string            `json:"use"`        // the parameter to configure; "" when neither filters
}

// Census counts the task names and statuses of the last 30 days.
type Census struct {
	Since    time.Time `json:"since"`
	Tasks    int       `json:"tasks"`
	Names    []Count   `json:"names"`
	Statuses []Count   `json:"statuses"`
}

// Count is how often a value was seen; New marks one the notifier does not know.
type Count struct {
	Value string `json:"value"`
	Count int    `json:"count"`
	New   bool   `json:"new,omitempty"`
}

// prober probes one project.
type prober struct {
	o        Options
	c        dcs.Lister
	r        *ProjectReport
	statuses event.Statuses
	tls      tlsSeen
	keys     config.CredentialKeys // where the project's credential comes from, for explanations
}

func (p *prober) problem(s string) { p.r.Problems = append(p.r.Problems, s) }
func (p *prober) warn(s string)    { p.r.Warnings = append(p.r.Warnings, s) }

// run probes, in order: the connection and the credential, the listing without a window,
// limit and offset, the window parameters, the timestamps and the last 30 days. A problem
// that leaves nothing further to learn ends it early with no error; only the context's error
// is returned.
func (p *prober) run(ctx context.Context) error {
	p.r.Order, p.r.LimitHonoured, p.r.OffsetHonoured, p.r.TaskCount = Unknown, Unknown, Unknown, Unknown
	p.r.Problems, p.r.Warnings = []string{}, []string{}
	l, err := p.listing(ctx)
	if err == nil {
		err = p.limitOffset(ctx, l)
	}
	if err == nil {
		p.r.TimeFormats = timeFormats(l.tasks, p)
		err = p.window(ctx, l)
	}
	if err == nil {
		err = p.census(ctx, l)
	}
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}
