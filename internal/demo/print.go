package demo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"notifier/internal/event"
)

// printer writes what the demo's NATS subscriber receives, and the demo's own notes.
type printer struct {
	out    io.Writer // events
	notes  io.Writer // banner, narration, summary
	json   bool
	now    func() time.Time
	closed chan struct{} // closed when the subscriber's connection is

	mu         sync.Mutex
	events     int
	bySeverity map[event.Severity]int
}

func newPrinter(out, notes io.Writer, asJSON bool) *printer {
	return &printer{out: out, notes: notes, json: asJSON, now: time.Now, closed: make(chan struct{}),
		bySeverity: map[event.Severity]int{}}
}

// subscribe prints every message published under prefix on the server at url. The
// subscription is in place when it returns.
func (p *printer) subscribe(url, prefix string) (*nats.Conn, error) {
	nc, err := nats.Connect(url, nats.Name("notifier-demo-watcher"),
		nats.ClosedHandler(func(*nats.Conn) { close(p.closed) }))
	if err != nil {
		return nil, fmt.Errorf("demo: subscriber: %w", err)
	}
	if _, err := nc.Subscribe(prefix+".>", p.handle); err != nil {
		nc.Close()
		return nil, fmt.Errorf("demo: subscribing to %s.>: %w", prefix, err)
	}
	if err := nc.Flush(); err != nil { // the server has the subscription before a publish can happen
		nc.Close()
		return nil, fmt.Errorf("demo: subscriber: %w", err)
	}
	return nc, nil
}

// handle prints one message: its CloudEvent JSON, or one readable line.
func (p *printer) handle(m *nats.Msg) {
	var e event.Event
	err := json.Unmarshal(m.Data, &e)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.events++
	if err == nil {
		p.bySeverity[e.Data.Severity]++
	}
	switch {
	case p.json:
		fmt.Fprintf(p.out, "%s\n", bytes.TrimSpace(m.Data))
	case err != nil:
		fmt.Fprintf(p.out, "%s  ?         undecodable message on %s: %v\n", p.stamp(), m.Subject, err)
	default:
		fmt.Fprintln(p.out, line(p.now(), &e, m.Subject))
	}
}

// line is one event for a human, for example
// 12:00:36  CRITICAL  Master/standby switchover failed (FAILED, was RUNNING)  task 8abf12cd…  (dcs.tasks.….masterStandbySwapJob.FAILED)
// worded as Slack words it (event.LabelOf).
func line(at time.Time, e *event.Event, subject string) string {
	title := event.LabelOf(e.Data.TaskName, e.Data.Status)
	change := "new task"
	if e.Data.PreviousStatus != "" {
		change = "was " + e.Data.PreviousStatus
	}
	return fmt.Sprintf("%s  %-8s  %s (%s, %s)  task %s  (%s)", at.Format(time.TimeOnly),
		strings.ToUpper(string(e.Data.Severity)), title, e.Data.Status, change, short(e.Subject), subject)
}

// short abbreviates a task id to its first 8 characters.
func short(id string) string {
	if len(id) <= 8 {
		return id
	}
	return id[:8] + "…"
}

func (p *printer) stamp() string { return p.now().Format(time.TimeOnly) }

// narrate prints one line of the script: what the simulated cloud is about to do.
func (p *printer) narrate(s string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.notes, "%s  cloud     %s\n", p.stamp(), s)
}

// notef prints a note under the printer's lock, so it never interleaves with an event.
func (p *printer) notef(format string, a ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.notes, format, a...)
}

// summary prints the counts at the end of the demo.
func (p *printer) summary(requests int, elapsed time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.notes, "\nsummary: %d events received from NATS (critical %d, warning %d, info %d); "+
		"%d API requests served by the simulator; ran %s\n", p.events,
		p.bySeverity[event.Critical], p.bySeverity[event.Warning], p.bySeverity[event.Info],
		requests, elapsed.Round(100*time.Millisecond))
}
