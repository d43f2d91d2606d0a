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
// ledger at commit (Committed), by the dispatchers (Delivery) and by the ledger's drops
// (Dropped). Methods are safe for concurrent use.
type Recorder struct {
	mu   sync.Mutex
	ring []*entry // ring[next] is the oldest once the ring is full
	next int
	byID map[string]*entry
	recv map[string]*receiverState
}

type entry struct {
	ev       Event
	instance string
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

// Committed records an event just committed: pending for each receiver it was routed to,
// in the order of the configured receivers (all).
func (r *Recorder) Committed(e *event.Event, to, all []string) {
	r.CommittedMuted(e, to, nil, all, time.Time{})
}

// CommittedMuted is Committed for an event that maintenance windows kept from some
// receivers at commit (at): muted maps each of them to the window's name.
func (r *Recorder) CommittedMuted(e *event.Event, to []string, muted map[string]string, all []string, at time.Time) {
	en := &entry{ev: summarize(e), instance: instanceOf(e)}
	for _, name := range all {
		switch window, isMuted := muted[name]; {
		case slices.Contains(to, name):
			en.ev.Deliveries = append(en.ev.Deliveries, Delivery{Receiver: name, State: Pending})
		case isMuted:
			when := at
			en.ev.Deliveries = append(en.ev.Deliveries, Delivery{Receiver: name, State: Muted, At: &when,
				Reason: "maintenance window " + window})
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
		r.mark(res.Sink, res.IDs, Delivered, res.At, "")
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
		if en.ev.TaskID == taskID && en.instance != "" {
			return en.instance
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
