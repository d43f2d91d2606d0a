package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/testkit/natstest"
	"notifier/internal/testkit/testutil"
	"notifier/internal/web"
)

const (
	pipeProject = "0123456789abcdef0123456789abcdef"
	pipeAK      = "PIPELINETESTAK000001"
	pipeSK      = "pipeline-test-sk-00000000000000000"
)

// pipeline is a notifier wired to a simulated DCS API and a real in-process NATS server.
type pipeline struct {
	t   *testing.T
	sim *dcssim.Sim
	api *httptest.Server
	ns  *natstest.Server // restartable on its port and store
	cfg *config.Config
}

func newPipeline(t *testing.T, jetStream bool) *pipeline {
	t.Helper()
	sim := dcssim.New(dcssim.Options{AK: pipeAK, SK: pipeSK})
	sim.AddProject(pipeProject)
	api := httptest.NewServer(sim)
	t.Cleanup(api.Close)
	p := &pipeline{t: t, sim: sim, api: api, ns: natstest.Restartable(t)}

	c := config.Default()
	c.DCS.Projects = []config.Project{{Region: "cn-north-4", ProjectID: pipeProject, Endpoint: api.URL}}
	c.Poll.Interval = config.Every(150 * time.Millisecond)
	c.Poll.ActiveInterval = config.Duration(50 * time.Millisecond)
	c.State.Path = t.TempDir()
	c.NATS.URL = p.ns.URL()
	c.NATS.JetStream = jetStream
	c.HTTP.Listen = ""
	c.Shutdown.Timeout = config.Duration(5 * time.Second)
	p.cfg = &c
	return p
}

func (p *pipeline) deps(reg *prometheus.Registry) app.Deps {
	return app.Deps{
		Log:      zerolog.New(zerolog.NewTestWriter(p.t)).Level(zerolog.WarnLevel),
		Getenv:   func(k string) string { return map[string]string{"CLOUD_SDK_AK": pipeAK, "CLOUD_SDK_SK": pipeSK}[k] },
		Registry: reg,
		Version:  "test",
	}
}

// start runs the notifier until the returned stop function is called; stop waits for
// Run to return and fails the test on an error.
func (p *pipeline) start() (stop func(), reg *prometheus.Registry) {
	p.t.Helper()
	reg = prometheus.NewRegistry()
	return p.startWith(p.deps(reg)), reg
}

// startWith is start with the given deps.
func (p *pipeline) startWith(deps app.Deps) (stop func()) {
	p.t.Helper()
	reg := deps.Registry
	a, err := app.New(p.cfg, deps)
	if err != nil {
		p.t.Fatal(err)
	}
	// As run does: the endpoints on http.listen, when a test sets it, through internal/web.
	srv, err := web.Listen(web.Options{HTTP: p.cfg.HTTP, Log: deps.Log})
	if err != nil {
		p.t.Fatal(err)
	}
	srv.Set(a, deps.Log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	// Changes made before the first poll would be part of the silent baseline.
	testutil.Eventually(p.t, "the first poll", func() bool { return metric(p.t, reg, "notifier_polls_total") > 0 })
	var once sync.Once
	return func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				p.t.Errorf("Run: %v", err)
			}
			srv.Close()
			a.Close()
		})
	}
}

// collector receives every event published on dcs.tasks.>.
type collector struct {
	mu  sync.Mutex
	got map[string]int // "task:prev>status" -> times received
	ids map[string]int
	ch  chan struct{}
}

func collect(t *testing.T, url string) *collector {
	t.Helper()
	c := &collector{got: map[string]int{}, ids: map[string]int{}, ch: make(chan struct{}, 1000)}
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	_, err = nc.Subscribe("dcs.tasks.>", func(m *nats.Msg) {
		var e event.Event
		if err := json.Unmarshal(m.Data, &e); err != nil {
			t.Errorf("bad event on %s: %v", m.Subject, err)
			return
		}
		if want := event.Subject("dcs.tasks", &e); m.Subject != want || m.Header.Get("Nats-Msg-Id") != e.ID {
			t.Errorf("subject %s / msg id %s, want %s / %s", m.Subject, m.Header.Get("Nats-Msg-Id"), want, e.ID)
		}
		c.mu.Lock()
		c.got[e.Subject+":"+e.Data.PreviousStatus+">"+e.Data.Status]++
		c.ids[e.ID]++
		c.mu.Unlock()
		c.ch <- struct{}{}
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return c
}

// wait blocks until every key in want was received, or fails after a generous deadline.
func (c *collector) wait(t *testing.T, want ...string) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		c.mu.Lock()
		missing := ""
		for _, k := range want {
			if c.got[k] == 0 {
				missing = k
				break
			}
		}
		c.mu.Unlock()
		if missing == "" {
			return
		}
		select {
		case <-c.ch:
		case <-deadline:
			t.Fatalf("event %s never arrived; got %v", missing, c.snapshot())
		}
	}
}

func (c *collector) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.got {
		out[k] = v
	}
	return out
}

func (c *collector) assertOnce(t *testing.T, want ...string) {
	t.Helper()
	got := c.snapshot()
	if len(got) != len(want) {
		t.Errorf("received %v, want exactly %v", got, want)
	}
	for _, k := range want {
		if got[k] != 1 {
			t.Errorf("%s received %d times, want once", k, got[k])
		}
	}
}

func (p *pipeline) put(id, name, status string) {
	p.sim.Put(pipeProject, dcssim.Task{ID: id, Name: name, Status: status, CreatedAt: time.Now().UTC(), UserName: "ops", JobID: "job-" + id})
}

func (p *pipeline) set(id, status string) {
	p.t.Helper()
	if err := p.sim.SetStatus(pipeProject, id, status); err != nil {
		p.t.Fatal(err)
	}
}

func TestRunPublishesEachTransitionOnce(t *testing.T) {
	for _, js := range []bool{false, true} {
		t.Run(fmt.Sprintf("jetstream=%v", js), func(t *testing.T) {
			p := newPipeline(t, js)
			p.put("before", "EXTEND", "SUCCESS") // present at first start: baseline, silent
			c := collect(t, p.ns.URL())
			stop, _ := p.start()
			defer stop()
			p.put("swap", event.SwitchoverTask, "RUNNING")
			c.wait(t, "swap:>RUNNING")
			p.set("swap", "FAILED")
			p.put("eip", "BindEip", "RUNNING")
			c.wait(t, "swap:RUNNING>FAILED", "eip:>RUNNING")
			p.set("eip", "SUCCESS")
			p.put("odd", "SomethingNew", "ROLLING_BACK")
			c.wait(t, "eip:RUNNING>SUCCESS", "odd:>ROLLING_BACK")
			stop()
			c.assertOnce(t, "swap:>RUNNING", "swap:RUNNING>FAILED", "eip:>RUNNING", "eip:RUNNING>SUCCESS", "odd:>ROLLING_BACK")
			if js {
				assertStream(t, p.ns.URL(), 5)
			}
		})
	}
}

// assertStream checks the stream holds exactly n messages with n distinct event ids.
func assertStream(t *testing.T, url string, n int) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "DCS_TASKS")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if int(info.State.Msgs) != n {
		t.Fatalf("stream holds %d messages, want %d", info.State.Msgs, n)
	}
	ids := map[string]bool{}
	for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		id := m.Header.Get("Nats-Msg-Id")
		if ids[id] {
			t.Errorf("duplicate event id %s in the stream", id)
		}
		ids[id] = true
	}
}

// metric sums every series of a metric family in reg.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

func streamMsgs(t *testing.T, url string) int {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		return -1
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "DCS_TASKS")
	if err != nil {
		return -1
	}
	info, err := st.Info(ctx)
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

// TestNATSRestartLosesNothing stops the NATS server while tasks change; what changed while
// it was down arrives after it is back, each event once.
func TestNATSRestartLosesNothing(t *testing.T) {
	p := newPipeline(t, true)
	stop, reg := p.start()
	defer stop()
	p.put("a", "EXTEND", "RUNNING")
	testutil.Eventually(t, "first event in the stream", func() bool { return streamMsgs(t, p.ns.URL()) == 1 })

	p.ns.Stop()
	p.set("a", "SUCCESS")
	p.put("b", event.SwitchoverTask, "RUNNING")
	testutil.Eventually(t, "the changes to be committed while NATS is down", func() bool { return metric(t, reg, "notifier_events_total") == 3 })
	testutil.Eventually(t, "a failed delivery", func() bool { return metric(t, reg, "notifier_retries_total") > 0 })

	p.ns.Start()
	testutil.Eventually(t, "all three events in the stream", func() bool { return streamMsgs(t, p.ns.URL()) == 3 })
	stop()
	assertStream(t, p.ns.URL(), 3)
}

// TestRestartDeliversPendingOnce stops the notifier while events are saved but not
// delivered; the next start delivers each of them once.
func TestRestartDeliversPendingOnce(t *testing.T) {
	p := newPipeline(t, true)
	p.cfg.Shutdown.Timeout = config.Duration(100 * time.Millisecond)
	p.ns.Stop()

	stop, reg := p.start()
	p.put("a", "EXTEND", "RUNNING")
	p.put("b", "modify", "SUCCESS")
	testutil.Eventually(t, "two events committed", func() bool { return metric(t, reg, "notifier_events_total") == 2 })
	p.set("a", "SUCCESS")
	testutil.Eventually(t, "three events committed", func() bool { return metric(t, reg, "notifier_events_total") == 3 })
	stop() // NATS is down: the three events stay pending in the state

	p.ns.Start()
	stop, reg = p.start()
	defer stop()
	testutil.Eventually(t, "the pending events delivered", func() bool { return streamMsgs(t, p.ns.URL()) == 3 })
	testutil.Eventually(t, "nothing pending", func() bool { return metric(t, reg, "notifier_pending_events") == 0 })
	if got := metric(t, reg, "notifier_events_total"); got != 0 {
		t.Errorf("the restarted notifier produced %v new events; the pending ones must be delivered, not recomputed", got)
	}
	stop()
	assertStream(t, p.ns.URL(), 3)
}
