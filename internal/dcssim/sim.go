// Package dcssim simulates the Huawei Cloud DCS task-center API for tests and the demo.
//
// A Sim serves GET /v2/{project_id}/tasks (ListCenterTask) the way the live API does as far as
// it is known: paging with offset and limit, the time window on created_at, newest first, the
// error bodies of DCS and of the API gateway, and SDK-HMAC-SHA256 request signatures. Faults
// can be queued to test a client's handling of throttling, outages, garbage and cut-off
// bodies, and scripts play a believable sequence of task changes in real time. Options can
// make it play what the documentation leaves open instead (variant.go): another listing order,
// a task_count that counts the page, a window that filters nothing or filters updated_at,
// other timestamp shapes, and the gateway's rate limit.
//
// Known projects: a request for a project that was never added (AddProject, Put) is refused
// with 401 APIGW.0301, which is what the gateway answers when the project in the URL is not
// one the credential may use.
package dcssim

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// ErrUnknownTask is returned when a task to change does not exist.
var ErrUnknownTask = errors.New("unknown task")

// Options configures a Sim. The zero value is usable.
type Options struct {
	// AK and SK, when AK is not empty, make every request carry a valid SDK-HMAC-SHA256
	// signature made with them; otherwise only an Authorization header starting with
	// "SDK-HMAC-SHA256 " is required.
	AK, SK string
	// Now is the clock of SetStatus (updated_at) and of the X-Sdk-Date check; default
	// time.Now. Play and Fault.Delay wait in real time whatever it says.
	Now func() time.Time
	// StartParam names the query parameter honoured as the start of the window: "start_time"
	// (the default, as documented) or "begin_time" (as the vendor's own example request sends).
	// The other name is ignored silently, which is the live-API trap being simulated.
	StartParam string
	// PageCap, when positive, caps every page at that many tasks whatever limit asks for,
	// as a gateway that serves fewer than asked may do; task_count still counts every task
	// of the window. 0: pages are as long as limit.
	PageCap int

	// The variants below are what the live API might do where its documentation is silent
	// (see variant.go); their zero values are the documented behaviour.

	// Order is the listing order: OrderNewestFirst (""), OrderOldestFirst or OrderUnsorted.
	Order string
	// CountIsPageSize makes task_count the number of tasks on the page, not in the window.
	CountIsPageSize bool
	// IgnoreWindow makes the server ignore start_time and begin_time alike: no filter at all.
	IgnoreWindow bool
	// WindowOn is the time the window filters on: "created_at" (the default) or "updated_at".
	WindowOn string
	// TimeFormat is the layout of created_at and updated_at: TimeLayout (the default),
	// TimeLayoutSeconds or TimeLayoutSpace, or any other Go layout.
	TimeFormat string
	// RateLimit, when positive, answers a request for the tasks path with the gateway's 429
	// APIGW.0308 (no Retry-After, as is common) once RateLimit requests have arrived within the
	// same second of Now.
	RateLimit int
	// RecordArrivals keeps the time (by Now) of every authenticated request for the tasks
	// path, by access key, for Arrivals.
	RecordArrivals bool
}

// Stats counts requests for assertions and benchmarks.
type Stats struct {
	Requests int         // every request served, whatever the path
	ByStatus map[int]int // responses by HTTP status; a request abandoned during a Delay has none
	Faults   int         // injected faults consumed
}

// Sim is a simulated task-center API. It is an http.Handler and safe for concurrent use.
type Sim struct {
	ak, sk     string
	now        func() time.Time
	startParam string
	pageCap    int
	v          variant

	mu       sync.Mutex
	accounts map[string]string // access key → secret key, beyond Options.AK (AddAccount)
	record   bool
	arrivals map[string][]time.Time // by access key, when record is set
	limiter  limiter
	projects map[string]*project
	requests map[string]int // by project id, known or not
	faults   []Fault
	stats    Stats
	smn      smnState // the simulated SMN (smn.go), with its own lock
}

type project struct {
	owner    string // the access key whose account holds it; "": any credential
	name     string // its IAM name (the region, or region_sub); "": IAM does not list it
	tasks    map[string]Task
	sorted   []Task // tasks newest first; nil after a change
	unsorted []Task // tasks in OrderUnsorted; nil after a change
	// enc holds each task's JSON as the last response wrote it, by id: a fleet of projects
	// polled every few seconds would otherwise encode the same tasks over and over (33
	// pages of 300 a second in the fleet run, on the cores of the process measured). A
	// change of a task deletes its entry; gen counts the changes, so that an encoding made
	// outside the lock is kept only if no change came meanwhile.
	enc map[string][]byte
	gen uint64
}

// changed forgets what was derived from the tasks after ids changed; s.mu must be held.
func (p *project) changed(ids ...string) {
	p.sorted, p.unsorted = nil, nil
	for _, id := range ids {
		delete(p.enc, id)
	}
	p.gen++
}

// New returns a Sim with no projects. It panics if opts.StartParam is not one of the two names,
// or Order or WindowOn is not one it knows.
func New(opts Options) *Sim {
	switch opts.StartParam {
	case "":
		opts.StartParam = "start_time"
	case "start_time", "begin_time":
	default:
		panic(fmt.Sprintf("dcssim: Options.StartParam %q: must be start_time or begin_time", opts.StartParam))
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Sim{
		ak: opts.AK, sk: opts.SK, now: opts.Now, startParam: opts.StartParam, pageCap: opts.PageCap,
		record: opts.RecordArrivals, accounts: map[string]string{}, arrivals: map[string][]time.Time{},
		v:        newVariant(opts),
		projects: make(map[string]*project),
		requests: make(map[string]int),
		stats:    Stats{ByStatus: make(map[int]int)},
	}
}

// AddProject makes projectID known, with no tasks. Adding a known project changes nothing.
func (s *Sim) AddProject(projectID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.project(projectID)
}

// project returns the project, creating it if needed. s.mu must be held.
func (s *Sim) project(projectID string) *project {
	p, ok := s.projects[projectID]
	if !ok {
		p = &project{tasks: make(map[string]Task), enc: make(map[string][]byte)}
		s.projects[projectID] = p
	}
	return p
}

// Put inserts t, or replaces the task with the same ID, adding the project if needed.
// The Sim keeps its own copy of the Details and Extra maps (values inside them are shared).
func (s *Sim) Put(projectID string, t Task) {
	s.PutAll(projectID, []Task{t})
}

// PutAll puts every task of ts under one lock, which is what seeding a large history needs.
func (s *Sim) PutAll(projectID string, ts []Task) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.project(projectID)
	for _, t := range ts {
		p.tasks[t.ID] = t.clone()
		p.changed(t.ID)
	}
}

// Delete removes a task, as the API stops listing tasks of a deleted instance. It returns
// an error wrapping ErrUnknownTask if the project or task does not exist.
func (s *Sim) Delete(projectID, taskID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[projectID]
	if !ok {
		return fmt.Errorf("project %s: task %s: %w", projectID, taskID, ErrUnknownTask)
	}
	if _, ok := p.tasks[taskID]; !ok {
		return fmt.Errorf("project %s: task %s: %w", projectID, taskID, ErrUnknownTask)
	}
	delete(p.tasks, taskID)
	p.changed(taskID)
	return nil
}

// SetStatus sets a task's status and its updated_at to Now. It returns an error wrapping
// ErrUnknownTask if the project or task does not exist.
func (s *Sim) SetStatus(projectID, taskID, status string) error {
	now := s.now()
	return s.update(projectID, taskID, func(t *Task) {
		t.Status = status
		t.UpdatedAt = now
	})
}

// update applies f to a copy of the stored task and stores the copy; the maps inside a stored
// task are never written, so a response being encoded outside the lock never races with f.
func (s *Sim) update(projectID, taskID string, f func(*Task)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[projectID]
	if !ok {
		return fmt.Errorf("project %s: task %s: %w", projectID, taskID, ErrUnknownTask)
	}
	t, ok := p.tasks[taskID]
	if !ok {
		return fmt.Errorf("project %s: task %s: %w", projectID, taskID, ErrUnknownTask)
	}
	f(&t)
	p.tasks[taskID] = t.clone()
	p.changed(taskID)
	return nil
}

// Tasks returns a copy of the project's tasks, newest first.
func (s *Sim) Tasks(projectID string) []Task {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[projectID]
	if !ok {
		return nil
	}
	out := slices.Clone(p.ordered())
	for i := range out {
		out[i] = out[i].clone()
	}
	return out
}

// ordered returns the tasks newest first, sorting only after a change. s.mu must be held; the
// slice is the cache itself and must not be modified.
func (p *project) ordered() []Task {
	if p.sorted == nil {
		p.sorted = make([]Task, 0, len(p.tasks))
		for _, t := range p.tasks {
			p.sorted = append(p.sorted, t)
		}
		slices.SortFunc(p.sorted, newer)
	}
	return p.sorted
}

// Requests returns how many requests reached the tasks endpoint for projectID, whether they
// succeeded or not.
func (s *Sim) Requests(projectID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[projectID]
}

// Stats returns a snapshot of the counters.
func (s *Sim) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.ByStatus = maps.Clone(s.stats.ByStatus)
	return st
}
