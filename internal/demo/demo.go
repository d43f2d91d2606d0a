// Package demo runs the notifier's main job on a machine without a cloud account: a
// simulated DCS task center served on loopback (dcssim, with real request signatures), an
// embedded NATS server, and the real pipeline (app.New and App.Run, as `notifier run` uses
// them) pointed at both. A NATS subscriber prints every event the pipeline publishes, so
// what the demo shows is what a consumer of the subjects would see.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/dcssim"
	"notifier/internal/web"
)

// linger is how long, in script seconds, the demo keeps running after the script ends.
const linger = 3 * time.Second

// Options configure a demo. The zero value plays the script once in real time.
type Options struct {
	NATSPort   int                 // port of the embedded NATS server on 127.0.0.1; 0: a free one
	HTTPListen string              // address of /metrics, /healthz and /readyz; "": a free loopback port
	JetStream  bool                // enable JetStream on the embedded server and publish through it
	JSON       bool                // print each event's CloudEvent JSON instead of a readable line
	Duration   time.Duration       // stop after this long; 0: when the script has finished, plus a little
	Speed      float64             // how many times faster than real time to play; <= 0 means 1
	Log        zerolog.Logger      // the app's logger; the zero value discards
	Notes      io.Writer           // banner, narration and summary; nil: the events' writer
	Getenv     func(string) string // where SLACK_WEBHOOK_URL is read; nil: os.Getenv
	Version    string              // reported by notifier_build_info
	// Webhook adds a [[webhook]] receiver sending every event to a local server that
	// prints what it gets: the body shape a subscriber's service sees.
	Webhook bool
}

// Run plays the demo script and prints each event published to NATS on stdout, until the
// script has finished, Duration has passed or ctx ends; then it stops the pipeline the way
// SIGTERM stops `notifier run`, prints a summary and returns nil. It returns an error only
// when something could not start.
func Run(ctx context.Context, o Options, stdout io.Writer) error {
	if o.Speed <= 0 {
		o.Speed = 1
	}
	if o.Notes == nil {
		o.Notes = stdout
	}
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	began := time.Now()
	dir, err := os.MkdirTemp("", "notifier-demo-")
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer os.RemoveAll(dir)

	w, err := startWorld(&o, dir)
	if err != nil {
		return err
	}
	defer w.close()
	cfg, err := w.config(&o, dir)
	if err != nil {
		return err
	}
	// The endpoints are served as `notifier run` serves them (internal/web), bound first
	// so that a busy --http port is reported before anything runs.
	srv, err := web.Listen(web.Options{HTTP: cfg.HTTP, Log: o.Log})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer srv.Close()
	a, err := app.New(cfg, app.Deps{
		Log: o.Log, Getenv: w.getenv(cfg, o.Getenv), Registry: prometheus.NewRegistry(), Version: o.Version,
	})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer a.Close()
	srv.Set(a, o.Log)

	p := newPrinter(stdout, o.Notes, o.JSON)
	if w.hook != nil {
		w.hook.p.Store(p)
	}
	sub, err := p.subscribe(w.natsURL(), cfg.NATS.SubjectPrefix)
	if err != nil {
		return err
	}
	defer sub.Close()
	banner(p, &o, w, cfg.NATS.SubjectPrefix, srv.URL())

	// The pipeline and the script run until the end condition; stopping the pipeline then
	// delivers whatever it has committed before Run returns.
	appCtx, stopApp := context.WithCancel(ctx)
	defer stopApp()
	appDone := make(chan error, 1)
	go func() { appDone <- runServed(appCtx, a, srv) }()
	scriptDone := make(chan error, 1)
	script := dcssim.DemoScript(w.project, time.Now(), time.Duration(float64(time.Second)/o.Speed))
	go func() { scriptDone <- w.sim.Play(appCtx, script.Narrated(p.narrate)) }()

	early, runErr := waitEnd(ctx, &o, w, scriptDone, appDone)
	stopApp()
	if !early {
		runErr = <-appDone
	}
	// Every event the pipeline published has reached the server (the NATS sink flushes);
	// draining the subscriber prints those still on their way to it.
	if err := drain(sub, p.closed); err != nil {
		p.notef("demo: draining the subscriber: %v\n", err)
	}
	p.summary(w.sim.Stats().Requests, time.Since(began))
	if w.hook != nil {
		p.notef("the webhook received %d requests\n", w.hook.received.Load())
	}
	if runErr != nil {
		return fmt.Errorf("demo: %w", runErr)
	}
	return nil
}

// waitEnd waits for the end of the demo. It reports early when the pipeline stopped by
// itself, with its error.
func waitEnd(ctx context.Context, o *Options, w *world, scriptDone, appDone <-chan error) (early bool, err error) {
	if o.Duration > 0 {
		t := time.NewTimer(o.Duration)
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		case err := <-appDone:
			return true, err
		}
		return false, nil
	}
	select {
	case <-ctx.Done():
		return false, nil
	case err := <-appDone:
		return true, err
	case <-scriptDone:
	}
	// Keep going until a poll that read the final tasks is committed: two requests that
	// arrive from now on prove it, because the poller sends its next request only after
	// committing the previous poll (of one page). Then a little longer for the human.
	t := time.NewTimer(time.Duration(float64(linger) / o.Speed))
	defer t.Stop()
	w.forgetRequests()
	for seen := 0; seen < 2; {
		select {
		case <-ctx.Done():
			return false, nil
		case err := <-appDone:
			return true, err
		case <-w.served:
			seen++
		}
	}
	select {
	case <-ctx.Done():
	case <-t.C:
	case err := <-appDone:
		return true, err
	}
	return false, nil
}

// banner says what runs where and how to watch it.
func banner(p *printer, o *Options, w *world, prefix, page string) {
	slack := "not configured (set " + slackEnv + " to post there too)"
	if o.Getenv(slackEnv) != "" {
		slack = "posting to $" + slackEnv
	}
	hook := "not configured (--webhook adds one printing what it receives)"
	if w.hook != nil {
		hook = w.hook.url + "  (a [[webhook]] receiver, signed: each request is printed)"
	}
	js := ""
	if o.JetStream {
		js = "  (JetStream on)"
	}
	total := time.Duration(float64(60*time.Second+linger) / o.Speed).Round(100 * time.Millisecond)
	p.notef("notifier demo (version %s): a simulated DCS task center, an embedded NATS server and the real pipeline\n"+
		"  DCS API (simulated)  %s  project %s, region %s\n"+
		"  NATS                 %s%s\n"+
		"    watch it:          nats sub '%s.>' --server %s\n"+
		"  status page          %s  (and /metrics  /healthz  /readyz)\n"+
		"  Slack                %s\n"+
		"  webhook              %s\n"+
		"The script takes about %s; Ctrl-C stops earlier.\n\n",
		o.Version, w.simURL, w.project, region, w.natsURL(), js, prefix, w.natsURL(), page, slack, hook, total)
}

// runServed runs the pipeline until ctx ends, or until the endpoints fail: then it stops
// the pipeline and returns their error, as `notifier run` does.
func runServed(ctx context.Context, a *app.App, srv *web.Server) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	select {
	case err := <-done:
		return err
	case err := <-srv.Failed():
		cancel()
		<-done
		return err
	}
}

// drain processes the messages already delivered to the subscriber and closes it.
func drain(nc *nats.Conn, closed <-chan struct{}) error {
	if err := nc.Drain(); err != nil {
		return err
	}
	t := time.NewTimer(5 * time.Second)
	defer t.Stop()
	select {
	case <-closed:
		return nil
	case <-t.C:
		return errors.New("not closed after 5s")
	}
}
