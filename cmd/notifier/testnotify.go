package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/event"
)

// names is a repeatable flag: every --receiver adds one.
type names []string

func (n *names) String() string { return strings.Join(*n, ",") }

func (n *names) Set(v string) error {
	if !slices.Contains(*n, v) {
		*n = append(*n, v)
	}
	return nil
}

// runTestNotification sends one test event to the receivers and prints a line for each.
func runTestNotification(f *testFlags, stdout, stderr io.Writer) int {
	given, only, timeout := &f.config, f.receivers, &f.timeout
	if *timeout <= 0 {
		fmt.Fprintln(stderr, "notifier test-notification: --timeout must be positive")
		return exitUsage
	}
	cfg, _, code := loadConfig("test-notification", *given, stderr)
	if code != exitOK {
		return code
	}
	// The results are the output; the receivers' own log (nats connected...) is not.
	log := newLogger(cfg.Log, stderr)
	if log.GetLevel() < zerolog.WarnLevel {
		log = log.Level(zerolog.WarnLevel)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	results, err := app.SendTest(ctx, cfg, app.Deps{Log: log, Getenv: os.Getenv, Version: appVersion()}, only)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "# test event: type %s%s\n", event.TypeTest, natsNote(cfg, only))
	failed := false
	for _, r := range results {
		fmt.Fprintln(stdout, r)
		failed = failed || r.Err != nil
	}
	if failed {
		return exitRuntime
	}
	return exitOK
}

// natsNote names the NATS subject of the test event when NATS is among the receivers.
func natsNote(cfg *config.Config, only []string) string {
	if cfg.NATS.URL == "" || (len(only) > 0 && !slices.Contains(only, config.NATSReceiver)) {
		return ""
	}
	return ", NATS subject " + cfg.NATS.SubjectPrefix + "." + event.TestSubjectSuffix
}
