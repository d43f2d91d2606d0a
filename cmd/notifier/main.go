// Command notifier polls the Huawei Cloud DCS task center and publishes every new task and
// status change as a CloudEvent to NATS (and Slack).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
)

// version is stamped at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

const usage = `usage: notifier <command> [flags]

commands:
  run           --config FILE                poll and publish until SIGTERM/SIGINT; SIGHUP re-reads FILE
  once          --config FILE [--dry-run]    one cycle for every project; --dry-run prints the events instead
  check-config  --config FILE                validate the configuration and print it
  demo          [flags]                      the whole pipeline against a simulated task center and an
                                             embedded NATS server, no cloud account needed (demo -h)
  version                                    print the version
`

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	cmd, args := args[0], args[1:]
	switch cmd {
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "notifier", version)
		return exitOK
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "run", "once", "check-config":
		return runConfigured(cmd, args, stdout, stderr)
	case "demo":
		return runDemo(args, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "notifier: unknown command %q\n\n%s", cmd, usage)
		return exitUsage
	}
}

func runConfigured(cmd string, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	path := fs.String("config", "", "path to the TOML configuration")
	dryRun := false
	if cmd == "once" {
		fs.BoolVar(&dryRun, "dry-run", false, "print the events instead of committing and publishing them")
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if *path == "" || fs.NArg() > 0 {
		fmt.Fprintf(stderr, "notifier %s: --config FILE is required (and takes no arguments)\n", cmd)
		return exitUsage
	}
	cfg, err := config.LoadFile(*path)
	if err != nil {
		fmt.Fprintf(stderr, "notifier: %v\n", err)
		return exitUsage
	}
	switch cmd {
	case "check-config":
		fmt.Fprintf(stdout, "# %s: ok, %d project(s)\n%s", *path, len(cfg.DCS.Projects), cfg)
		return exitOK
	case "once":
		return once(cfg, dryRun, stdout, stderr)
	}
	log := newLogger(cfg.Log, stderr)
	ctx, stop := stopOnSignal(log)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	build := func(c *config.Config) (*app.App, zerolog.Logger, error) {
		l := newLogger(c.Log, stderr)
		a, err := app.New(c, app.Deps{Log: l, Version: version})
		return a, l, err
	}
	if err := serve(ctx, *path, cfg, hup, build); err != nil {
		return fail(stderr, err)
	}
	return exitOK
}

func once(cfg *config.Config, dryRun bool, stdout, stderr io.Writer) int {
	cfg.HTTP.Listen = "" // one cycle serves no metrics, and must not collide with a running notifier's port
	log := newLogger(cfg.Log, stderr)
	a, err := app.New(cfg, app.Deps{Log: log, Version: version, DryRun: dryRun})
	if err != nil {
		return fail(stderr, err)
	}
	defer a.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := a.Once(ctx, stdout); err != nil {
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

func newLogger(c config.Log, w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(c.Level)
	if err != nil || level == zerolog.NoLevel {
		level = zerolog.InfoLevel // ParseLevel("") is NoLevel, which would silence nearly everything
	}
	zerolog.TimeFieldFormat = time.RFC3339Nano
	out := w
	if c.Format == "console" {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.DateTime}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}
