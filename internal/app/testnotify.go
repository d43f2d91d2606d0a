package app

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"notifier/internal/config"
	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/natsconn"
	"notifier/internal/route"
)

// Result is what one receiver made of a test notification.
type Result struct {
	Receiver string // its name: "nats", "oncall"
	Err      error  // nil when it was delivered
	// Skipped says why nothing was sent: its event_types do not list test (and it was
	// not named); "" when it was sent.
	Skipped string
}

// String returns the line notifier test-notification prints: "oncall: ok" or
// "team: failed: HTTP 404 channel_not_found".
func (r Result) String() string {
	if r.Skipped != "" {
		return r.Receiver + ": skipped, " + r.Skipped + "; --receiver " + r.Receiver + " sends it anyway"
	}
	if r.Err == nil {
		return r.Receiver + ": ok"
	}
	return r.Receiver + ": failed: " + short(r.Err)
}

// short says why a delivery failed in a few words: for an HTTP answer its status code and
// the server's reason, as Slack gives it.
func short(err error) string {
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Body != "" {
		return fmt.Sprintf("HTTP %d %s", se.StatusCode, se.Body)
	}
	if se != nil {
		return se.Error()
	}
	return err.Error()
}

// SendTest sends one test event (event.NewTest, for the first configured project) to
// every receiver named in names, whatever its filters and the windows, or when names is
// empty to every configured receiver route.Decide sends a test event to (all but those
// whose event_types leave test out, returned as Skipped), and returns each receiver's
// result in the order of the config. It opens the receivers as
// run does (dialNATS, openReceivers) and touches neither the state nor the HTTP listener,
// so it works beside a running notifier. An unknown name or a receiver that cannot be
// opened (a missing secret) is a *SetupError, and nothing is sent. NATS gets until ctx
// ends to connect; the caller bounds ctx.
func SendTest(ctx context.Context, cfg *config.Config, d Deps, names []string) ([]Result, error) {
	if d.Getenv == nil {
		d.Getenv = os.Getenv
	}
	e, only, skipped, err := testTargets(cfg, names)
	if err != nil {
		return nil, err
	}
	var nc *natsconn.Conn
	if slices.Contains(only, config.NATSReceiver) {
		if nc, err = dialNATS(cfg.NATS, d.Log, d.Getenv); err != nil {
			return nil, err
		}
		if nc != nil {
			defer nc.Close()
		}
	}
	recv, err := openSelected(cfg, d.Log, d.Getenv, only, &sharedValues{}, nc)
	if err != nil {
		return nil, err
	}
	defer closeReceivers(recv)
	results := make([]Result, len(recv))
	var wg sync.WaitGroup
	for i, r := range recv {
		wg.Go(func() {
			if nc != nil && r.sink.Name() == config.NATSReceiver {
				// Opened a moment ago: give the connection its chance before publishing.
				ready := nc.Ready()
				if !nc.Connected() {
					select {
					case <-ready:
					case <-ctx.Done():
					}
				}
			}
			_, err := r.sink.Send(ctx, []event.Event{e})
			results[i] = Result{Receiver: r.sink.Name(), Err: err}
		})
	}
	wg.Wait()
	return inConfigOrder(cfg, append(results, skipped...)), nil
}

// inConfigOrder sorts results in the order of the receivers in cfg.
func inConfigOrder(cfg *config.Config, results []Result) []Result {
	pos := map[string]int{}
	for i, r := range cfg.Receivers() {
		pos[r.Name] = i
	}
	slices.SortStableFunc(results, func(a, b Result) int { return pos[a.Receiver] - pos[b.Receiver] })
	return results
}

// testTargets is the test event (for the first configured project; with [[dcs.discover]]
// only, a placeholder: the event says it is a test either way), the receivers it goes to
// and those it skips: the named ones, or every configured one route.Decide gives a test
// event to (those whose event_types leave test out are skipped, with why).
func testTargets(cfg *config.Config, names []string) (event.Event, []string, []Result, error) {
	only, err := selectReceivers(cfg, names)
	if err != nil {
		return event.Event{}, nil, nil, err
	}
	p := config.Project{Region: "cn-north-4", ProjectID: strings.Repeat("0", 32), Name: "discovered projects"}
	if len(cfg.DCS.Projects) > 0 {
		p = cfg.DCS.Projects[0]
	}
	e := event.NewTest(p.Region, p.ProjectID, p.Name, time.Now())
	if len(names) > 0 {
		return e, only, nil, nil // named: asked for, whatever event_types says
	}
	table, err := route.New(cfg)
	if err != nil {
		return event.Event{}, nil, nil, setupErr("%w", err)
	}
	var skipped []Result
	for _, v := range table.Decide(&e, e.Time) {
		if h, held := v.Held(); !v.Deliver && held {
			skipped = append(skipped, Result{Receiver: v.Receiver, Skipped: h.Detail})
			only = slices.DeleteFunc(only, func(n string) bool { return n == v.Receiver })
		}
	}
	return e, only, skipped, nil
}

// selectReceivers returns the names of the receivers to open: names, or every configured
// one when names is empty. An unknown name is a *SetupError listing the known ones.
func selectReceivers(cfg *config.Config, names []string) ([]string, error) {
	var known []string
	for _, r := range cfg.Receivers() {
		known = append(known, r.Name)
	}
	if len(known) == 0 {
		return nil, setupErr("no receivers are configured (%s)", config.NoReceivers())
	}
	for _, n := range names {
		if !slices.Contains(known, n) {
			return nil, setupErr("unknown receiver %q (configured: %s)%s", n, strings.Join(known, ", "), confkit.DidYouMean(n, known))
		}
	}
	if len(names) == 0 {
		return known, nil
	}
	return names, nil
}
