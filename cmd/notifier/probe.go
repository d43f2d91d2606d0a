package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"notifier/internal/probe"
)

// runProbe measures what the DCS API of each configured project does, those [[dcs.discover]]
// finds included, and prints it, with the configuration lines to use. It reads only: no state, no lock, no receivers.
func runProbe(f *probeFlags, stdout, stderr io.Writer) int {
	given, projectID, asJSON := &f.config, &f.project, &f.json
	cfg, _, code := loadConfig("probe", *given, stderr)
	if code != exitOK {
		return code
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := probe.Run(ctx, probe.Options{Config: cfg, Project: *projectID, Getenv: os.Getenv, Progress: stderr})
	var ce *probe.ConfigError
	switch {
	case errors.As(err, &ce):
		fmt.Fprintf(stderr, "notifier probe: %v\n", err)
		return exitUsage
	case err != nil:
		return fail(stderr, err)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fail(stderr, err)
		}
	} else {
		rep.WriteText(stdout)
	}
	if !rep.Usable {
		return exitRuntime
	}
	return exitOK
}
