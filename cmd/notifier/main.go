// Command notifier polls the Huawei Cloud DCS task center and publishes every new task and
// status change as a CloudEvent to NATS and to named receivers such as Slack webhooks.
// Its subcommands run it (run, once), check it (check-config, routes, test-notification),
// measure the live API (probe) or show it (demo); notifier <command> --help describes each.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/logx"
	"notifier/internal/metrics"
	"notifier/internal/status"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run runs the command args name (commands.go declares them all) and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	return newCLI(commands, stdout, stderr).run(args)
}

// loadConfig reads the configuration at given, or where configPath says. On a problem it
// prints it and returns exitUsage.
func loadConfig(cmd, given string, stderr io.Writer) (*config.Config, string, int) {
	path, err := configPath(given, os.Getenv)
	if err != nil {
		fmt.Fprintf(stderr, "notifier %s: %v\n", cmd, err)
		return nil, "", exitUsage
	}
	cfg, err := config.LoadFile(path)
	if err != nil {
		fmt.Fprintf(stderr, "notifier: %v\n", err)
		return nil, "", exitUsage
	}
	return cfg, path, exitOK
}

func runDaemon(f *runFlags, stdout, stderr io.Writer) int {
	cfg, path, code := loadConfig("run", f.config, stderr)
	if code != exitOK {
		return code
	}
	log := newLogger(cfg.Log, stderr)
	ctx, stop := stopOnSignal(log)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	// One registry and one set of metrics for the process: every App of a reload counts on;
	// the status page's recent events outlive a reload too.
	b := readBuildInfo()
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, b.version)
	recent := status.NewRecorder(status.DefaultSize)
	build := func(c *config.Config) (*app.App, zerolog.Logger, error) {
		l := newLogger(c.Log, stderr)
		a, err := app.New(c, app.Deps{Log: l, Version: b.version, Commit: b.commit, ConfigPath: path,
			Registry: reg, Metrics: m, Status: recent,
			// A changed discovery reloads the way SIGHUP does; one pending is enough.
			Rediscover: func() {
				select {
				case hup <- syscall.SIGHUP:
				default:
				}
			}})
		return a, l, err
	}
	if err := serve(ctx, serveOptions{path: path, cfg: cfg, hup: hup, build: build, metrics: m, log: log}); err != nil {
		return fail(stderr, err)
	}
	return exitOK
}

func runOnce(f *onceFlags, stdout, stderr io.Writer) int {
	given, dryRun, render := &f.config, &f.dryRun, &f.render
	if *render && !*dryRun {
		fmt.Fprintln(stderr, "notifier once: --render needs --dry-run (it shows what would be sent, and sends nothing)")
		return exitUsage
	}
	cfg, _, code := loadConfig("once", *given, stderr)
	if code != exitOK {
		return code
	}
	cfg.HTTP.Listen = "" // one cycle serves no metrics, and must not collide with a running notifier's port
	log := newLogger(cfg.Log, stderr)
	a, err := app.New(cfg, app.Deps{Log: log, Version: appVersion(), DryRun: *dryRun})
	if err != nil {
		return fail(stderr, err)
	}
	defer a.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *render {
		err = a.OnceRender(ctx, stdout)
	} else {
		err = a.Once(ctx, stdout)
	}
	if err != nil {
		return fail(stderr, err)
	}
	return exitOK
}

// stopOnSignal cancels the context at the first SIGTERM/SIGINT and exits at once at the second.
func stopOnSignal(log zerolog.Logger) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-ch
		log.Info().Str("signal", s.String()).Msg("stopping; a second signal exits at once")
		cancel()
		s = <-ch
		log.Warn().Str("signal", s.String()).Msg("second signal: exiting without waiting; undelivered events stay saved")
		os.Exit(exitRuntime)
	}()
	return ctx, func() { signal.Stop(ch); cancel() }
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "notifier: %v\n", err)
	var se *app.SetupError
	if errors.As(err, &se) {
		return exitUsage
	}
	return exitRuntime
}

func newLogger(c config.Log, w io.Writer) zerolog.Logger { return logx.New(c.Level, c.Format, w) }
