package main

import (
	"fmt"
	"io"
	"net"

	"notifier/internal/config"
	"notifier/internal/demo"
)

// runDemo runs the demo as its flags say until the script ends, --duration passes or a
// signal arrives.
func runDemo(f *demoFlags, stdout, stderr io.Writer) int {
	o := f.Options
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
	o.Log = newLogger(config.Log{Level: f.logLevel, Format: "console"}, stderr)
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
