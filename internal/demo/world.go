package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/receiver"
	"notifier/internal/sinks/slacksink"
)

// region is the region the demo project claims; any name works because the endpoint is set.
const region = "cn-north-4"

// slackEnv is the variable that, when set, makes the demo post to Slack as well.
const slackEnv = "SLACK_WEBHOOK_URL"

// world is what the demo runs the notifier against: the simulated task center served on
// loopback and an embedded NATS server.
type world struct {
	ak, sk  string
	project string
	sim     *dcssim.Sim
	simURL  string
	simSrv  *http.Server
	served  chan struct{} // a token per request that reached the simulator
	nats    *server.Server
	hook    *hook // --webhook; nil without
}

// startWorld starts the simulator (which checks every request's signature against a fresh
// AK/SK) and the NATS server. On error it stops whatever it started.
func startWorld(o *Options, dir string) (_ *world, err error) {
	w := &world{ak: randomHex(10), sk: randomHex(20), project: randomHex(16), served: make(chan struct{}, 1)}
	defer func() {
		if err != nil {
			w.close()
		}
	}()
	w.sim = dcssim.New(dcssim.Options{AK: w.ak, SK: w.sk})
	w.sim.AddProject(w.project)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: simulator listener: %w", err)
	}
	w.simURL = "http://" + ln.Addr().String()
	w.simSrv = &http.Server{Handler: w.counting(w.sim), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = w.simSrv.Serve(ln) }()

	if err := w.startNATS(o, dir); err != nil {
		return nil, err
	}
	if o.Webhook {
		if w.hook, err = startHook(); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// counting signals served as each request arrives, so the demo can wait for a poll that
// began after the script ended instead of guessing how long one takes.
func (w *world) counting(h http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		select {
		case w.served <- struct{}{}:
		default:
		}
		h.ServeHTTP(rw, r)
	})
}

func (w *world) startNATS(o *Options, dir string) error {
	port := -1 // the server picks a free port
	if o.NATSPort != 0 {
		// The server only logs a failed listen, and the demo silences its log: check first.
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(o.NATSPort)))
		if err != nil {
			return fmt.Errorf("demo: --nats-port %d: %w", o.NATSPort, err)
		}
		_ = ln.Close()
		port = o.NATSPort
	}
	ns, err := server.NewServer(&server.Options{
		ServerName: "notifier-demo", Host: "127.0.0.1", Port: port, NoSigs: true, NoLog: true,
		JetStream: o.JetStream, StoreDir: filepath.Join(dir, "jetstream"),
	})
	if err != nil {
		return fmt.Errorf("demo: nats server: %w", err)
	}
	go ns.Start()
	w.nats = ns
	if !ns.ReadyForConnections(10 * time.Second) {
		return errors.New("demo: the embedded nats server did not start within 10s")
	}
	return nil
}

// natsURL returns the client URL of the embedded server.
func (w *world) natsURL() string { return w.nats.ClientURL() }

// getenv answers the app's questions about its environment: the simulator's credentials
// under the configured names, anything else (the Slack webhook) from next.
func (w *world) getenv(cfg *config.Config, next func(string) string) func(string) string {
	return func(key string) string {
		switch key {
		case cfg.DCS.AKEnv:
			return w.ak
		case cfg.DCS.SKEnv:
			return w.sk
		}
		if w.hook != nil {
			switch key {
			case hookURLEnv:
				return w.hook.url
			case hookSecretEnv:
				return w.hook.secret
			}
		}
		return next(key)
	}
}

// config is config.Default with one project pointed at the simulator. It is validated with
// the demo's normal-speed intervals, then the intervals are divided by the speed.
func (w *world) config(o *Options, dir string) (*config.Config, error) {
	cfg := config.Default()
	cfg.DCS.SecurityTokenEnv = "" // a token in the user's environment would break the signature
	cfg.DCS.Projects = []config.Project{{Region: region, ProjectID: w.project, Endpoint: w.simURL}}
	cfg.Poll.Interval = config.Every(2 * time.Second)
	cfg.Poll.ActiveInterval = config.Duration(time.Second)
	// The simulator starts empty, so announcing what the first poll finds loses nothing and
	// does not depend on whether the first poll runs before the script's first task.
	cfg.Poll.Initial = "notify"
	cfg.State.Path = filepath.Join(dir, "state")
	cfg.NATS.URL = w.natsURL()
	cfg.NATS.JetStream = o.JetStream
	// Served by internal/web, bound before the App is built, so a busy --http port is
	// reported before anything runs; "" asks for a free loopback port.
	cfg.HTTP.Listen = o.HTTPListen
	if cfg.HTTP.Listen == "" {
		cfg.HTTP.Listen = "127.0.0.1:0"
	}
	cfg.Log.Level = "warn"
	cfg.Log.Format = "console"
	if o.Getenv(slackEnv) != "" {
		cfg.Slack.Webhooks = []slacksink.WebhookConfig{{Common: receiver.Common{Name: "demo", MinSeverity: "info", MaxPending: config.DefaultMaxPending}, URLEnv: slackEnv}}
	}
	if w.hook != nil {
		cfg.Webhook = append(cfg.Webhook, w.hook.receiver())
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("demo: configuration: %w", err)
	}
	cfg.Poll.Interval.Duration = config.Duration(float64(cfg.Poll.Interval.Duration) / o.Speed)
	cfg.Poll.ActiveInterval = config.Duration(float64(cfg.Poll.ActiveInterval) / o.Speed)
	return &cfg, nil
}

// forgetRequests drops the token of a request that arrived before the call, so that the
// next token received is from a request that arrives after it.
func (w *world) forgetRequests() {
	select {
	case <-w.served:
	default:
	}
}

// close stops the simulator and the NATS server.
func (w *world) close() {
	if w.simSrv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = w.simSrv.Shutdown(ctx)
		cancel()
	}
	if w.hook != nil {
		w.hook.close()
	}
	if w.nats != nil {
		w.nats.Shutdown()
		w.nats.WaitForShutdown()
	}
}

// randomHex returns 2n random lowercase hex characters.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return strings.ToLower(hex.EncodeToString(b))
}
