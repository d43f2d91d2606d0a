package sinks

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/heartbeat"
	"notifier/internal/logx"
	"notifier/internal/metrics"
	"notifier/internal/retry"
)

// maxSinkBackoff caps the backoff between delivery attempts.
const maxSinkBackoff = 30 * time.Second

// readier is a sink that can tell when its destination is reachable again: Ready returns
// a channel closed at the next reconnect (a broadcast, as several Dispatchers may share
// the sink).
type readier interface{ Ready() <-chan struct{} }

// readyChan returns s's Ready channel, or nil (never ready) for a sink without one.
func readyChan(s Sink) <-chan struct{} {
	if r, ok := s.(readier); ok {
		return r.Ready()
	}
	return nil
}

// Queue is where committed events wait for each sink; state.Ledger is the real one.
type Queue interface {
	Pending(sink string, max int) []event.Event
	Done(ctx context.Context, sink string, ids []string) error
	Wake(sink string) <-chan struct{}
	Count(sink string) int
}

// DispatcherOptions are what a Dispatcher is built from.
type DispatcherOptions struct {
	Queue      Queue
	Sinks      []Sink
	Log        zerolog.Logger
	Metrics    *metrics.Metrics
	Batch      int           // events per Send; default 2000
	MinBackoff time.Duration // default 500ms
	MaxBackoff time.Duration // default 5m
	// Memory, when set, returns what a receiver remembers in this queue: Remembering and
	// Ticker sinks get it. Without it they get a memory that keeps nothing.
	Memory func(sink string) Memory
	// Report, when set, is told the outcome of every delivery attempt, from the sink's
	// own worker: it must be quick and must not call the Dispatcher.
	Report func(Result)
}

// Result is what became of one delivery attempt.
type Result struct {
	Sink    string
	Outcome string   // "ok", "dropped" or "retry", as in notifier_deliveries_total
	IDs     []string // the events delivered or dropped; none for a retry
	Unsent  []string // of IDs, for "ok": those a Selective sink took and sent nothing for
	Err     error    // why it was dropped or will be retried; nil for "ok"
	At      time.Time
}

// Dispatcher moves events from the queue to the sinks.
type Dispatcher struct {
	queue      Queue
	sinks      []Sink
	log        zerolog.Logger
	m          *metrics.Metrics
	batch      int
	minBackoff time.Duration
	maxBackoff time.Duration
	progress   chan struct{} // a delivery was recorded: Drain looks again
	report     func(Result)
	memory     func(sink string) Memory
	beats      []heartbeat.Beat // one per sink, in the order of sinks (alive.go)
}

// NewDispatcher returns a Dispatcher of o.Sinks over o.Queue; Queue and Metrics are
// required.
func NewDispatcher(o DispatcherOptions) *Dispatcher {
	if o.Batch <= 0 {
		o.Batch = 2000
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = 500 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 5 * time.Minute
	}
	d := &Dispatcher{
		queue: o.Queue, sinks: o.Sinks, log: o.Log, m: o.Metrics,
		batch: o.Batch, minBackoff: o.MinBackoff, maxBackoff: o.MaxBackoff,
		progress: make(chan struct{}, 1), report: o.Report, memory: o.Memory,
		beats: make([]heartbeat.Beat, len(o.Sinks)),
	}
	if d.memory == nil {
		d.memory = func(string) Memory { return Forgetful{} }
	}
	if d.report == nil {
		d.report = func(Result) {}
	}
	return d
}

// Run delivers until ctx is done. Events pending from before a restart go first: they
// are at the head of the queue.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i, s := range d.sinks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.work(ctx, s, &d.beats[i])
		}()
	}
	wg.Wait()
}

// Drain waits until no sink has a pending event, or ctx is done.
func (d *Dispatcher) Drain(ctx context.Context) error {
	for {
		left := 0
		for _, s := range d.sinks {
			left += d.queue.Count(s.Name())
		}
		if left == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-d.progress:
		}
	}
}

func (d *Dispatcher) work(ctx context.Context, s Sink, beat *heartbeat.Beat) {
	name := s.Name()
	log := d.log.With().Str("receiver", name).Logger()
	// Backoff between sink retries stays short (a delivery must go soon after the
	// destination is back); only a Retry-After may ask for longer, up to MaxBackoff.
	b := retry.New(d.minBackoff, min(d.maxBackoff, maxSinkBackoff))
	var lastErr string
	pending := &pendingGauge{g: d.m.Pending.WithLabelValues(name)}
	// This queue's events are no longer ours to report once we stop (a shard's lease
	// lost): whoever delivers them now counts them.
	defer pending.set(0)
	pending.set(d.queue.Count(name))
	mem := d.memory(name)
	tick := newTicker(s, mem, log)
	defer tick.stop()
	defer beat.Idle()
	for {
		beat.Busy(time.Now())
		tick.maybe(ctx)
		evs := d.queue.Pending(name, d.batch)
		if len(evs) == 0 {
			beat.Idle()
			select {
			case <-ctx.Done():
				return
			case <-d.queue.Wake(name):
				continue
			case <-tick.c():
				beat.Busy(time.Now()) // a Tick is a step too
				tick.fired(ctx)
				continue
			}
		}
		pending.set(d.queue.Count(name))
		// Taken before the attempt, so that a reconnect between a failure and the
		// backoff still cuts the backoff short.
		ready := readyChan(s)
		n, unsent, err := send(ctx, s, evs, mem)
		if n > 0 {
			d.done(ctx, log, name, pending, evs[:n], "ok", unsent, nil)
			b.Reset()
			lastErr = ""
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return
		}
		if retry.IsPermanent(err) && n < len(evs) {
			k := 1
			if retry.IsPermanentRest(err) {
				k = len(evs) - n // a refused digest: every event from the failed one on
			}
			eventFields(log.Error().Err(err), &evs[n]).Int("events", k).
				Msg("cannot be delivered to this sink; dropped for this sink only")
			d.done(ctx, log, name, pending, evs[n:n+k], "dropped", nil, err)
			continue
		}
		delay := retry.Next(b, retry.AskedDelay(err), d.maxBackoff)
		d.m.Retries.WithLabelValues(name).Inc()
		d.m.Deliveries.WithLabelValues(name, "retry").Inc()
		d.report(Result{Sink: name, Outcome: "retry", Err: err, At: time.Now()})
		ev := log.Debug()
		if msg := err.Error(); msg != lastErr {
			ev, lastErr = log.Warn(), msg
		}
		// The line names the event that waits: the first not delivered.
		eventFields(ev.Err(err), &evs[min(n, len(evs)-1)]).Int("pending", d.queue.Count(name)).
			Dur("retry_in", logx.Round(delay)).Msg("delivery failed; will retry")
		// A tick during the backoff runs inside it: a Tick wedged there shows as a worker
		// that has not woken (Stalled).
		beat.Sleep(time.Now().Add(delay))
		if tick.sleep(ctx, delay, ready) != nil { // cut short when the destination is back
			return
		}
	}
}

func (d *Dispatcher) done(ctx context.Context, log zerolog.Logger, name string, pending *pendingGauge, evs []event.Event, result string, unsent []string, cause error) {
	ids := make([]string, len(evs))
	for i := range evs {
		ids[i] = evs[i].ID
	}
	if err := d.queue.Done(context.WithoutCancel(ctx), name, ids); err != nil {
		// Kept in memory and saved with the next change; a crash before that repeats
		// these deliveries rather than losing any.
		d.m.StateSaveErrors.Inc()
		eventFields(log.Warn().Err(err), &evs[0]).Int("events", len(evs)).Msg("could not save delivery progress")
	}
	if result == "ok" && log.GetLevel() <= zerolog.DebugLevel {
		for i := range evs {
			eventFields(log.Debug(), &evs[i]).Msg("delivered")
		}
	}
	d.m.Deliveries.WithLabelValues(name, result).Add(float64(len(evs)))
	d.report(Result{Sink: name, Outcome: result, IDs: ids, Unsent: unsent, Err: cause, At: time.Now()})
	pending.set(d.queue.Count(name))
	select {
	case d.progress <- struct{}{}:
	default:
	}
}

// eventFields adds what every delivery line names: the event, its project and its task
// (the receiver is in the worker's logger). A watch event's subject is its project.
func eventFields(e *zerolog.Event, ev *event.Event) *zerolog.Event {
	return e.Str("event_id", ev.ID).Str("project", ev.Data.ProjectID).Str("task_id", ev.Subject)
}

// pendingGauge is one Dispatcher's share of notifier_pending_events{sink}. With
// nats-kv and several shards, one Dispatcher per shard reports into the same gauge: each
// adds the change in its own count, so the gauge holds the sum over the shards. Only the
// sink's worker uses it.
type pendingGauge struct {
	g    prometheus.Gauge
	last int
}

func (p *pendingGauge) set(n int) {
	p.g.Add(float64(n - p.last))
	p.last = n
}

// send delivers evs with s's own memory when it keeps one, and says which of those
// delivered a Selective sink sent nothing for.
func send(ctx context.Context, s Sink, evs []event.Event, mem Memory) (n int, unsent []string, err error) {
	switch r := s.(type) {
	case Selective:
		return r.SendSelect(ctx, evs, mem)
	case Remembering:
		n, err = r.SendWith(ctx, evs, mem)
	default:
		n, err = s.Send(ctx, evs)
	}
	return n, nil, err
}

// ticker calls a Ticker sink's Tick every TickEvery; for other sinks it never fires. Each
// tick is due one period after the previous one was due, not after the worker last woke:
// a timer that fired a moment before the deadline must not push the tick a whole period
// further (Alertmanager ends an alert that is not re-sent in time).
type ticker struct {
	s     Ticker
	mem   Memory
	log   zerolog.Logger
	every time.Duration
	t     *time.Timer // fires at next
	next  time.Time
	now   func() time.Time // time.Now; a test's clock
}

func newTicker(s Sink, mem Memory, log zerolog.Logger) *ticker {
	tk, ok := s.(Ticker)
	if !ok || tk.TickEvery() <= 0 {
		return &ticker{}
	}
	// Due at once: after a restart the periodic work (re-sends) must not wait a period.
	return &ticker{s: tk, mem: mem, log: log, every: tk.TickEvery(), t: time.NewTimer(0), next: time.Now(), now: time.Now}
}

// c fires when the next tick is due; nil (never) for a sink that does not tick.
func (t *ticker) c() <-chan time.Time {
	if t.t == nil {
		return nil
	}
	return t.t.C
}

func (t *ticker) stop() {
	if t.t != nil {
		t.t.Stop()
	}
}

// maybe ticks when the time has come: from the loop, so that a sink that is always busy
// still ticks between its Sends.
func (t *ticker) maybe(ctx context.Context) {
	if t.s == nil {
		return
	}
	now := t.now()
	if now.Before(t.next) {
		return
	}
	// Kept in step with the schedule; a tick late by a whole period (a long Send) is
	// not followed by a burst of catch-up ticks.
	t.next = t.next.Add(t.every)
	if !t.next.After(now) {
		t.next = now.Add(t.every)
	}
	t.t.Reset(t.next.Sub(now))
	if err := t.s.Tick(ctx, t.mem); err != nil && ctx.Err() == nil {
		t.log.Warn().Err(err).Msg("periodic work failed; will try again at the next tick")
	}
}

// fired is called when c fired: it ticks, or arms the timer again should it have fired
// before the deadline, so that an idle worker is never left without a tick to wait for.
func (t *ticker) fired(ctx context.Context) {
	if d := t.next.Sub(t.now()); d > 0 {
		t.t.Reset(d)
		return
	}
	t.maybe(ctx)
}

// sleep waits d, or until wake closes or ctx is done, ticking meanwhile when a tick falls
// due: a delivery's backoff must not hold back the periodic work.
func (t *ticker) sleep(ctx context.Context, d time.Duration, wake <-chan struct{}) error {
	if err := ctx.Err(); err != nil || d <= 0 {
		return err
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
			return nil
		case <-wake:
			return nil
		case <-t.c():
			t.fired(ctx)
		}
	}
}
