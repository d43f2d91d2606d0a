package status

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"notifier/internal/event"
	"notifier/internal/sinks"
)

// DefaultSize is how many recent events a Recorder keeps.
const DefaultSize = 100

// Recorder keeps the last events committed and, per receiver, what became of each, in a
// ring of fixed size; and per receiver its last success and last error. It is fed by the
// routing at commit (Routed), by the dispatchers (Delivery) and by the ledger's drops
// (Dropped). Methods are safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	ring []*entry // ring[next] is the oldest once the ring is full
	next int
	byID map[string]*entry
	recv map[string]*receiverState
}

type entry struct {
	ev Event
	// unsent is, by receiver, what to show should a receiver the event went to send
	// nothing for it (Route.State and Reason).
	unsent map[string]Route
}

type receiverState struct {
	lastOK, lastErrAt time.Time
	lastErr           string
}

// NewRecorder returns a Recorder of the last size events (DefaultSize when size <= 0).
func NewRecorder(size int) *Recorder {
	if size <= 0 {
		size = DefaultSize
	}
	return &Recorder{ring: make([]*entry, 0, size), byID: map[string]*entry{}, recv: map[string]*receiverState{}}
}

// Route is what the routing (route.Decide) decided at commit for one receiver.
type Route struct {
	Receiver string
	// Queued: the event went to the receiver's queue; it is pending until sent or dropped.
	Queued bool
	// State (Filtered or Muted) and Reason are what held the event from the receiver:
	// shown as they are when it was not Queued. When it was (an on-call receiver given
	// the event only because it may resolve an incident), they are shown should the
	// receiver send nothing for it.
	State, Reason string
}

// NothingToSend is the reason shown, as Filtered, for an event that an on-call receiver's
// filter passed and that it sent nothing for: it opened, updated and resolved nothing.
const NothingToSend = "no incident to open, update or resolve"

// Routed records an event just committed at at, with what the routing decided for each
// receiver, in the order of the configured receivers: pending for those it was queued
// for, and the others as held (filtered, muted).
func (r *Recorder) Routed(e *event.Event, routes []Route, at time.Time) {
	en := &entry{ev: summarize(e)}
	en.ev.Instance = instanceOf(e)
	for _, rt := range routes {
		switch {
		case rt.Queued:
			en.ev.Deliveries = append(en.ev.Deliveries, Delivery{Receiver: rt.Receiver, State: Pending})
			if rt.State == "" {
				continue
			}
			if en.unsent == nil {
				en.unsent = map[string]Route{}
			}
			en.unsent[rt.Receiver] = rt
		case rt.State != "":
			when := at
			en.ev.Deliveries = append(en.ev.Deliveries, Delivery{Receiver: rt.Receiver, State: rt.State, At: &when, Reason: rt.Reason})
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.ring) < cap(r.ring) {
		r.ring = append(r.ring, en)
	} else {
		if old := r.ring[r.next]; r.byID[old.ev.ID] == old {
			delete(r.byID, old.ev.ID)
		}
		r.ring[r.next] = en
		r.next = (r.next + 1) % cap(r.ring)
	}
	r.byID[e.ID] = en
}

// Delivery records a dispatcher's result: its events delivered or dropped for that
// receiver, and the receiver's last success or error.
func (r *Recorder) Delivery(res sinks.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	rs := r.receiver(res.Sink)
	switch res.Outcome {
	case "ok":
		rs.lastOK = res.At
		r.markSent(res)
	case "dropped":
		class := ErrorClass(res.Err)
		rs.lastErr, rs.lastErrAt = class, res.At
		r.mark(res.Sink, res.IDs, Dropped, res.At, class)
	default:
		rs.lastErr, rs.lastErrAt = ErrorClass(res.Err), res.At
	}
}

// Dropped records events a receiver dropped without trying them, such as the oldest of
// a backlog past its max_pending.
func (r *Recorder) Dropped(sink string, ids []string, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Now()
	rs := r.receiver(sink)
	rs.lastErr, rs.lastErrAt = reason, now
	r.mark(sink, ids, Dropped, now, reason)
}

func (r *Recorder) receiver(name string) *receiverState {
	rs := r.recv[name]
	if rs == nil {
		rs = &receiverState{}
		r.recv[name] = rs
	}
	return rs
}

// mark sets the delivery state of the recorded events among ids for sink. r.mu is held.
func (r *Recorder) mark(sink string, ids []string, state string, at time.Time, reason string) {
	for _, id := range ids {
		en := r.byID[id]
		if en == nil {
			continue // older than the ring, or committed before this process started
		}
		for i := range en.ev.Deliveries {
			if d := &en.ev.Deliveries[i]; d.Receiver == sink {
				d.State, d.At, d.Reason = state, &at, reason
			}
		}
	}
}

// markSent marks the events of an "ok" result sent, but those the receiver sent nothing
// for (res.Unsent) as what held them at commit. r.mu is held.
func (r *Recorder) markSent(res sinks.Result) {
	if len(res.Unsent) == 0 {
		r.mark(res.Sink, res.IDs, Sent, res.At, "")
		return
	}
	unsent := make(map[string]bool, len(res.Unsent))
	for _, id := range res.Unsent {
		unsent[id] = true
	}
	sent := make([]string, 0, len(res.IDs))
	for _, id := range res.IDs {
		if !unsent[id] {
			sent = append(sent, id)
			continue
		}
		state, reason := Filtered, NothingToSend
		if en := r.byID[id]; en != nil && en.unsent[res.Sink].State != "" {
			state, reason = en.unsent[res.Sink].State, en.unsent[res.Sink].Reason
		}
		r.mark(res.Sink, []string{id}, state, res.At, reason)
	}
	r.mark(res.Sink, sent, Sent, res.At, "")
}

// Recent returns the recorded events, newest first.
func (r *Recorder) Recent() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Event, 0, len(r.ring))
	for i := range len(r.ring) {
		// The newest is just before next (or last, while the ring fills).
		en := r.ring[(r.next-1-i+2*len(r.ring))%len(r.ring)]
		ev := en.ev
		ev.Deliveries = slices.Clone(ev.Deliveries)
		out = append(out, ev)
	}
	return out
}

// ReceiverState returns a receiver's last success and last error (as a class), zero
// when none was seen since the start.
func (r *Recorder) ReceiverState(name string) (lastOK time.Time, lastErr string, lastErrAt time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rs := r.recv[name]; rs != nil {
		return rs.lastOK, rs.lastErr, rs.lastErrAt
	}
	return time.Time{}, "", time.Time{}
}

// Instance returns the DCS instance a recent event of the task named, "" when none did.
func (r *Recorder) Instance(taskID string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, en := range r.ring {
		if en.ev.TaskID == taskID && en.ev.Instance != "" {
			return en.ev.Instance
		}
	}
	return ""
}

// instanceOf is the instance an event's task names (its name, else its id), as the event
// and Slack say it (event.Instance: top level, params, details). An event of the diff
// carries the answer already: reading it again from the task cost 3 µs an event, under
// the ledger's lock at every commit (30 ms before a burst of 10,000 could be delivered).
func instanceOf(e *event.Event) string {
	id, name := e.Data.InstanceID, e.Data.InstanceName
	if id == "" && name == "" && len(e.Data.Task) > 0 {
		id, name = event.Instance(e.Data.Task)
	}
	return cmp.Or(name, id)
}
