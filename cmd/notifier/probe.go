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
func runProbe(args []string, stdout, stderr io.Writer) int {
	fs := flags("probe", stderr)
	given := configFlag(fs)
	projectID := fs.String("project", "", "probe only this project id, of dcs.projects or one a [[dcs.discover]] entry finds (default: every one)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object instead of text")
	if code, ok := parse(fs, args, stdout, stderr); !ok {
		return code
	}
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
