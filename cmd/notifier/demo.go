package main

import (
	"fmt"
	"io"
	"net"

	"notifier/internal/config"
	"notifier/internal/demo"
)

// runDemo parses the demo's flags and runs it until the script ends, --duration passes or
// a signal arrives.
func runDemo(args []string, stdout, stderr io.Writer) int {
	fs := flags("demo", stderr)
	var o demo.Options
	fs.IntVar(&o.NATSPort, "nats-port", 0, "port of the embedded NATS server on 127.0.0.1 (0: a free port)")
	fs.StringVar(&o.HTTPListen, "http", demoListen(config.Default().HTTP.Listen),
		"listen address of /metrics, /healthz and /readyz (\"\": a free loopback port)")
	fs.BoolVar(&o.JetStream, "jetstream", false, "enable JetStream on the embedded server and publish through it")
	fs.BoolVar(&o.JSON, "json", false, "print each event as CloudEvent JSON on stdout (notes go to stderr)")
	fs.DurationVar(&o.Duration, "duration", 0, "stop after this long, e.g. 75s (default: when the script has finished)")
	fs.Float64Var(&o.Speed, "speed", 1, "play the script this many times faster than real time")
	level := fs.String("log-level", "warn", "level of the notifier's own log on stderr (debug, info, warn, error)")
	if code, ok := parse(fs, args, stdout, stderr); !ok {
		return code
	}
	switch {
	case o.Speed <= 0 || o.Speed > 1000:
		fmt.Fprintln(stderr, "notifier demo: --speed must be above 0 and at most 1000")
		return exitUsage
	case o.Duration < 0:
		fmt.Fprintln(stderr, "notifier demo: --duration must not be negative")
		return exitUsage
	case o.NATSPort < 0 || o.NATSPort > 65535:
		fmt.Fprintln(stderr, "notifier demo: --nats-port must be between 0 and 65535")
		return exitUsage
	}
	o.Log = newLogger(config.Log{Level: *level, Format: "console"}, stderr)
	o.Version = appVersion()
	if o.JSON {
		o.Notes = stderr // stdout carries nothing but events, for jq and friends
	}
	ctx, stop := stopOnSignal(o.Log)
	defer stop()
	if err := demo.Run(ctx, o, stdout); err != nil {
		fmt.Fprintf(stderr, "notifier: %v\n", err)
		return exitRuntime
	}
	return exitOK
}

// demoListen is the demo's default --http: a free loopback port (""), so that it runs
// beside a notifier on 9464; but where the build listens on every interface by default
// (the container image's 0.0.0.0:9464), that address, so that the image's HEALTHCHECK
// (notifier healthcheck, which finds no configuration under `docker run … demo` and asks
// the default address) and a published port reach the demo too.
func demoListen(defaultListen string) string {
	host, _, err := net.SplitHostPort(defaultListen)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return ""
	}
	return defaultListen
}
