package poller

import (
	"context"
	"sync"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/fleet"
	"notifier/internal/secret"
	"notifier/internal/testkit/testutil"
)

// stepLister records when each request was made on the fake clock and runs the test's
// step for it (by its number, from 1) before answering.
type stepLister struct {
	next  dcs.Lister
	clk   *testutil.Clock
	steps map[int]func()
	mu    sync.Mutex
	at    []time.Time
}

func (l *stepLister) List(ctx context.Context, q dcs.Query) (*dcs.Page, error) {
	l.mu.Lock()
	l.at = append(l.at, l.clk.Now())
	step := l.steps[len(l.at)]
	l.mu.Unlock()
	if step != nil {
		step()
	}
	return l.next.List(ctx, q)
}

// poll.interval = "auto" on a fake clock, with the access key's budget on it too: one
// project on its key polls every 1 s; once a reload counts 300 projects on the key (a
// discovery found them), the same poller polls every 30 s; a running task's polls come
// every active_interval (5s), never slower than the idle ones.
func TestAutoIntervalFollowsTheProjectsOfTheKey(t *testing.T) {
	clk := testutil.NewClock(time.Now())
	d := config.DCS{MaxRequestsPerSecond: 10}
	creds := dcs.Credentials{AK: secret.Secret(ak), SK: secret.Secret(sk)}
	fl := fleet.New(fleet.Options{DCS: d, Now: clk.Now, Sleep: clk.Wait})
	budget := fl.Budget(creds, "dcs")
	fl.CountProjects()
	pace := fl.Pace(budget)

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var e *env
	l := &stepLister{clk: clk}
	l.steps = map[int]func(){
		4: func() { // a reload: discovery found 299 more projects of the key
			next := fleet.New(fleet.Options{DCS: d, Now: clk.Now, Sleep: clk.Wait})
			next.Keep(fl)
			for range 300 {
				next.Budget(creds, "dcs.discover[0]")
			}
			next.CountProjects()
		},
		6: func() { e.put("swap", "masterStandbySwapJob", "RUNNING", clk.Now()) },
		8: cancel,
	}
	e = newEnv(t, setup{}, func(o *Options) {
		l.next = dcs.Budgeted{Lister: o.Lister, Budget: budget}
		o.Lister, o.Now, o.Sleep = l, clk.Now, clk.Wait
		o.Interval, o.ActiveInterval, o.FastInterval = 30*time.Second, 5*time.Second, 0
		o.IdleInterval = func(requests int) time.Duration { return pace.Interval(0.2, requests) }
	})
	done := make(chan struct{})
	go func() { defer close(done); e.p.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(time.Minute):
		cancel()
		<-done
		t.Fatal("Run did not make 8 polls")
	}
	want := []time.Duration{time.Second, time.Second, time.Second, 30 * time.Second, 30 * time.Second, 5 * time.Second, 5 * time.Second}
	l.mu.Lock()
	defer l.mu.Unlock()
	var got []time.Duration
	for i := 1; i < len(l.at); i++ {
		got = append(got, l.at[i].Sub(l.at[i-1]))
	}
	if len(got) != len(want) {
		t.Fatalf("waits between polls %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits between polls %v, want %v", got, want)
		}
	}
}
