package app_test

import (
	"encoding/json"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/testkit/testutil"
)

// watcher keeps every event published on dcs.tasks.>, with its subject.
type watcher struct {
	mu   sync.Mutex
	evs  []event.Event
	subj []string
}

func watch(t *testing.T, url string) *watcher {
	t.Helper()
	w := &watcher{}
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	if _, err := nc.Subscribe("dcs.tasks.>", func(m *nats.Msg) {
		var e event.Event
		if err := json.Unmarshal(m.Data, &e); err != nil {
			t.Errorf("bad event on %s: %v", m.Subject, err)
			return
		}
		w.mu.Lock()
		w.evs = append(w.evs, e)
		w.subj = append(w.subj, m.Subject)
		w.mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return w
}

// of returns the events of a type, with their subjects.
func (w *watcher) of(typ string) (evs []event.Event, subjects []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i, e := range w.evs {
		if e.Type == typ {
			evs, subjects = append(evs, e), append(subjects, w.subj[i])
		}
	}
	return evs, subjects
}

// A project the API refuses to serve for longer than gap_after gets one gap event naming
// the cause, then, once the API answers again, one restored event covering the blind
// time; a restart repeats neither. Both state backends.
func TestBlindSpotIsAnnouncedOnceAndRestoredOnce(t *testing.T) {
	for _, backend := range []string{"file", "nats-kv"} {
		t.Run(backend, func(t *testing.T) {
			p := newPipeline(t, true)
			if backend == "nats-kv" {
				p.cfg.State.Backend = "nats-kv"
				p.cfg.State.LeaseTTL = config.Duration(time.Second)
			}
			p.cfg.Poll.GapAfter = config.Duration(time.Second)
			p.cfg.Poll.MaxBackoff = config.Duration(100 * time.Millisecond)
			w := watch(t, p.ns.URL())
			stop, _ := p.start()
			for range 10000 {
				p.sim.InjectFault(dcssim.Fault{Status: http.StatusUnauthorized})
			}
			testutil.Eventually(t, "a gap event", func() bool { evs, _ := w.of(event.TypeGap); return len(evs) > 0 })
			p.sim.ClearFaults()
			testutil.Eventually(t, "a restored event", func() bool { evs, _ := w.of(event.TypeRestored); return len(evs) > 0 })
			stop()
			stop, _ = p.start() // a restart must not announce them again
			p.put("after", "EXTEND", "RUNNING")
			testutil.Eventually(t, "a later event", func() bool { evs, _ := w.of(event.TypeCreated); return len(evs) > 0 })
			stop()

			gaps, gapSubj := w.of(event.TypeGap)
			restored, restSubj := w.of(event.TypeRestored)
			// On a loaded machine the faults can outlast 6 × gap_after before they are
			// cleared: the escalation is then due, once, and nothing else.
			if len(gaps) == 2 && gaps[1].Data.Escalated && !gaps[0].Data.Escalated {
				gaps = gaps[:1]
			}
			if len(gaps) != 1 || len(restored) != 1 {
				t.Fatalf("%d gap and %d restored events, want one each (and at most one escalation)", len(gaps), len(restored))
			}
			g, r := gaps[0].Data, restored[0].Data
			if gapSubj[0] != "dcs.tasks."+pipeProject+"._watch.gap" || restSubj[0] != "dcs.tasks."+pipeProject+"._watch.restored" {
				t.Errorf("subjects %s and %s", gapSubj[0], restSubj[0])
			}
			if g.Reason != "credentials refused" || g.Severity != event.Warning || g.BlindSince == nil {
				t.Errorf("gap data %+v, want the cause, warning, and when it began", g)
			}
			if !r.BlindSince.Equal(*g.BlindSince) || r.BlindUntil == nil || !r.BlindUntil.After(*r.BlindSince) ||
				r.BlindSeconds != int64(r.BlindUntil.Sub(*r.BlindSince)/time.Second) || r.Complete == nil || !*r.Complete {
				t.Errorf("restored data %+v, want the gap's start, its end, its length and complete (a short gap)", r)
			}
		})
	}
}

// A switchover running past its configured threshold is announced stuck once (a restart
// does not announce it again), and its final status event says it was stuck.
func TestStuckSwitchoverIsAnnouncedOnceAcrossARestart(t *testing.T) {
	p := newPipeline(t, true)
	p.cfg.Stuck.After = map[string]config.Duration{event.SwitchoverTask: config.Duration(time.Second)}
	w := watch(t, p.ns.URL())
	stop, _ := p.start()
	p.put("swap", event.SwitchoverTask, "RUNNING")
	testutil.Eventually(t, "a stuck event", func() bool { evs, _ := w.of(event.TypeStuck); return len(evs) > 0 })
	stop()
	stop, _ = p.start()
	defer stop()
	p.set("swap", "SUCCESS")
	testutil.Eventually(t, "the switchover's end", func() bool { evs, _ := w.of(event.TypeStatusChanged); return len(evs) > 0 })
	stop()
	stuck, subj := w.of(event.TypeStuck)
	ended, _ := w.of(event.TypeStatusChanged)
	if len(stuck) != 1 || subj[0] != "dcs.tasks."+pipeProject+".masterStandbySwapJob.STUCK" {
		t.Fatalf("stuck events %d on %v, want one on {prefix}.{project}.masterStandbySwapJob.STUCK", len(stuck), subj)
	}
	d := stuck[0].Data
	if d.Severity != event.Critical || d.ThresholdSeconds != 1 || d.ThresholdSource != event.ThresholdConfigured || d.RunningSeconds < 1 {
		t.Errorf("stuck data %+v", d)
	}
	if len(ended) != 1 || !ended[0].Data.WasStuck {
		t.Errorf("final events %+v, want one with was_stuck", ended)
	}
}

// Credentials refused from the very first poll: the gap is announced from the first try,
// and the first poll that works is still a silent baseline, with its restored event.
func TestRefusedFromTheStartIsAnnouncedAndTheBaselineStaysSilent(t *testing.T) {
	p := newPipeline(t, true)
	p.cfg.Poll.GapAfter = config.Duration(300 * time.Millisecond)
	p.cfg.Poll.MaxBackoff = config.Duration(100 * time.Millisecond)
	p.put("before", "EXTEND", "RUNNING") // there before the first successful poll: baseline
	for range 10000 {
		p.sim.InjectFault(dcssim.Fault{Status: http.StatusForbidden})
	}
	w := watch(t, p.ns.URL())
	began := time.Now()
	stop, _ := p.start()
	defer stop()
	testutil.Eventually(t, "a gap event", func() bool { evs, _ := w.of(event.TypeGap); return len(evs) > 0 })
	p.sim.ClearFaults()
	testutil.Eventually(t, "a restored event", func() bool { evs, _ := w.of(event.TypeRestored); return len(evs) > 0 })
	stop()
	gaps, _ := w.of(event.TypeGap)
	if since := *gaps[0].Data.BlindSince; since.Before(began.Add(-time.Second)) || since.After(began.Add(time.Second)) {
		t.Errorf("blind since %v, want about the start %v", since, began)
	}
	if created, _ := w.of(event.TypeCreated); len(created) != 0 {
		t.Errorf("the first successful poll announced %d tasks; it is a baseline", len(created))
	}
}
