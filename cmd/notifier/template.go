package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/msgtmpl"
)

// templateCommand is notifier template render: what a receiver would send, with its
// message template, for a saved event or a built-in sample (amtool template render's
// equivalent).
var templateCommand = &command{
	name: "template", synopsis: "<command> [flags]",
	summary: "render a receiver's message template for an event: notifier template render",
	about: "Shows what a receiver's message template (template, template_file; docs/templates.md)\n" +
		"makes of an event, with the receiver's own rendering: the code that sends.",
	env:     configEnv,
	exits:   []string{"0  rendered", "1  a template part failed (the built-in text shown was used)", "2  a wrong command line or configuration"},
	example: "notifier template render --config notifier.toml --receiver oncall --sample switchover-failed",
	sub: []*command{{
		name: "render", synopsis: "[--config FILE] --receiver NAME [--event FILE | --sample NAME]",
		summary: "print what a receiver would send for a saved CloudEvent or a built-in sample",
		about: "Renders, for the receiver NAME, what it would send for the CloudEvents in FILE (one JSON\n" +
			"object, or several as notifier once --dry-run prints them) or for a built-in sample event\n" +
			"(default switchover-failed; the project is the first of dcs.projects), with its template\n" +
			"and its kind's own rendering: the Slack message, the PagerDuty or Alertmanager request (an\n" +
			"on-call receiver sends nothing for an event that opens and ends no incident). Windows\n" +
			"([[mute]]) do not hold the event back here. A template part that fails to execute is said\n" +
			"on stderr, and the built-in text it gave way to is shown, as run would send it.\n" +
			"Nothing is sent, no secret is read, the state is not touched. The samples:\n  " +
			strings.Join(msgtmpl.SampleNames(), "\n  "),
		env:     configEnv,
		exits:   []string{"0  rendered", "1  a template part failed to execute (the built-in text was used)", "2  a wrong flag, an unknown receiver or sample, an unreadable event file or template, a configuration error"},
		example: "notifier template render --config notifier.toml --receiver oncall --sample switchover-failed",
		declare: func(c *kingpin.CmdClause) action {
			f := new(templateRenderFlags)
			configFlag(c, &f.config)
			c.Flag("receiver", "the receiver's name, as configured (required)").StringVar(&f.receiver)
			c.Flag("event", "a file holding a CloudEvent as JSON (or several, as notifier once --dry-run prints them)").StringVar(&f.event)
			c.Flag("sample", "a built-in event, one of: "+sampleList()+" (default switchover-failed)").StringVar(&f.sample)
			return f
		},
	}},
}

type templateRenderFlags struct{ config, receiver, event, sample string }

func (f *templateRenderFlags) run(stdout, stderr io.Writer) int {
	return runTemplateRender(f, stdout, stderr)
}

func sampleList() string {
	var names []string
	for _, s := range msgtmpl.SampleNames() {
		names = append(names, strings.Fields(s)[0])
	}
	return strings.Join(names, ", ")
}

// runTemplateRender prints what the receiver would send for the event or the sample.
func runTemplateRender(f *templateRenderFlags, stdout, stderr io.Writer) int {
	const cmd = "notifier template render"
	switch {
	case f.receiver == "":
		fmt.Fprintf(stderr, "%s: --receiver is required\n", cmd)
		return exitUsage
	case f.event != "" && f.sample != "":
		fmt.Fprintf(stderr, "%s: give --event or --sample, not both\n", cmd)
		return exitUsage
	}
	cfg, _, code := loadConfig("template render", f.config, stderr)
	if code != exitOK {
		return code
	}
	now := time.Now().UTC()
	var evs []event.Event
	if f.event != "" {
		var err error
		if evs, err = readEvents(f.event); err != nil {
			fmt.Fprintf(stderr, "%s: --event %v\n", cmd, err)
			return exitUsage
		}
	} else {
		name := f.sample
		if name == "" {
			name = "switchover-failed"
		}
		e, err := msgtmpl.Sample(name, sampleProject(cfg), now)
		if err != nil {
			fmt.Fprintf(stderr, "%s: --sample: %v; the samples:\n  %s\n", cmd, err, strings.Join(msgtmpl.SampleNames(), "\n  "))
			return exitUsage
		}
		evs = []event.Event{e}
	}
	// The rendering is the output; a template's failure is a warning on stderr.
	log := newLogger(cfg.Log, stderr)
	if log.GetLevel() < zerolog.WarnLevel {
		log = log.Level(zerolog.WarnLevel)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	failed, err := app.RenderTemplate(ctx, cfg, log, f.receiver, evs, now, stdout)
	if err != nil {
		return fail(stderr, err)
	}
	if failed > 0 {
		fmt.Fprintf(stderr, "%s: %d template part(s) failed to execute (logged above); the built-in text shown is what would be sent\n", cmd, failed)
		return exitRuntime
	}
	return exitOK
}

// sampleProject is the project of a sample: the first of dcs.projects, or a placeholder
// when only [[dcs.discover]] finds them.
func sampleProject(cfg *config.Config) msgtmpl.Project {
	if len(cfg.DCS.Projects) == 0 {
		return msgtmpl.Project{ID: strings.Repeat("0", 32), Name: "discovered project", Region: "cn-north-4"}
	}
	p := cfg.DCS.Projects[0]
	return msgtmpl.Project{ID: p.ProjectID, Name: p.Name, Region: p.Region}
}

// readEvents reads the CloudEvents in path: one JSON object, several one after the
// other (notifier once --dry-run's output), or an array of them.
func readEvents(path string) ([]event.Event, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *PathError names the file
	}
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		var evs []event.Event
		if err := json.Unmarshal(t, &evs); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return checkEvents(path, evs)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	var evs []event.Event
	for {
		var e event.Event
		err := dec.Decode(&e)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: event %d: %w", path, len(evs)+1, err)
		}
		evs = append(evs, e)
	}
	return checkEvents(path, evs)
}

func checkEvents(path string, evs []event.Event) ([]event.Event, error) {
	if len(evs) == 0 {
		return nil, fmt.Errorf("%s: no event in it", path)
	}
	for i, e := range evs {
		if e.Type == "" || e.ID == "" {
			return nil, fmt.Errorf("%s: event %d has no id or no type: not a CloudEvent of the notifier", path, i+1)
		}
	}
	return evs, nil
}
