package main

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/demo"
)

// parseLine parses a command line as notifier would, without running the command.
func parseLine(t *testing.T, cmds []*command, args ...string) (action, int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	act, code := newCLI(cmds, &stdout, &stderr).parse(args)
	return act, code, stdout.String(), stderr.String()
}

// The defaults of the flags that have one.
var (
	demoDefaults = demoFlags{Options: demo.Options{Speed: 1, HTTPListen: demoListen(config.Default().HTTP.Listen)}, logLevel: "warn"}
	testDefaults = testFlags{timeout: 30 * time.Second}
	healthDef    = healthOptions{timeout: 5 * time.Second}
)

// TestInvocations parses every invocation the help, the README, the Dockerfile and
// deploy/ show, and the forms Go's flag package (which the command line was built on)
// accepted: -flag as well as --flag, -flag=value, bool=false, a flag repeated (the last
// wins), a value that starts with a dash; each must give the flags it always gave.
func TestInvocations(t *testing.T) {
	demoWith := func(f func(*demoFlags)) *demoFlags { d := demoDefaults; f(&d); return &d }
	testWith := func(f func(*testFlags)) *testFlags { d := testDefaults; f(&d); return &d }
	healthWith := func(f func(*healthOptions)) *healthOptions { d := healthDef; f(&d); return &d }
	const cfg, id = "notifier.toml", "0123456789abcdef0123456789abcdef"
	for _, tt := range []struct {
		args string
		want action
	}{
		// run
		{"run", &runFlags{}},
		{"run --config /etc/notifier/notifier.toml", &runFlags{config: "/etc/notifier/notifier.toml"}}, // deploy/kubernetes, soak, perf
		{"run -config x.toml", &runFlags{config: "x.toml"}},
		{"run -config=x.toml", &runFlags{config: "x.toml"}},
		{"run --config=x.toml", &runFlags{config: "x.toml"}},
		{"run --config a.toml --config b.toml", &runFlags{config: "b.toml"}},
		{"run --config -dash.toml", &runFlags{config: "-dash.toml"}},
		{"run --config @args.txt", &runFlags{config: "@args.txt"}},
		{"run --config=", &runFlags{}},
		{"run -config=a=b.toml", &runFlags{config: "a=b.toml"}},
		// once
		{"once", &onceFlags{}},
		{"once --dry-run", &onceFlags{dryRun: true}},
		{"once --dry-run --render", &onceFlags{dryRun: true, render: true}},
		{"once --config notifier.toml --dry-run --render", &onceFlags{config: cfg, dryRun: true, render: true}},
		{"once -render -dry-run -config notifier.toml", &onceFlags{config: cfg, dryRun: true, render: true}},
		{"once --render", &onceFlags{render: true}}, // refused by once itself, in its words
		{"once --dry-run=true --render=1", &onceFlags{dryRun: true, render: true}},
		{"once -dry-run=t -render=TRUE", &onceFlags{dryRun: true, render: true}},
		{"once --dry-run --dry-run=false", &onceFlags{}},
		{"once --dry-run=0 --render=F", &onceFlags{}},
		// check-config
		{"check-config", &checkFlags{}},
		{"check-config --config notifier.toml", &checkFlags{config: cfg}},
		{"check-config --config notifier.toml --strict", &checkFlags{config: cfg, strict: true}},
		{"check-config --offline", &checkFlags{offline: true}},
		{"check-config --offline --config notifier.toml", &checkFlags{config: cfg, offline: true}},
		{"check-config -offline -strict -config notifier.toml", &checkFlags{config: cfg, offline: true, strict: true}},
		// routes
		{"routes --task-name EXTEND --status SUCCESS", &routesFlags{taskName: "EXTEND", status: "SUCCESS"}},
		{"routes --config notifier.toml --task-name masterStandbySwapJob --status FAILED",
			&routesFlags{config: cfg, taskName: "masterStandbySwapJob", status: "FAILED"}},
		{"routes --task-name masterStandbySwapJob --status FAILED --at 2026-12-04T17:30:00Z",
			&routesFlags{taskName: "masterStandbySwapJob", status: "FAILED", at: "2026-12-04T17:30:00Z"}},
		{"routes --task-name EXTEND --status SUCCESS --project " + id, &routesFlags{taskName: "EXTEND", status: "SUCCESS", project: id}},
		{"routes -task-name=EXTEND -status=SUCCESS -project=" + id + " -at=2026-12-04T17:30:00Z",
			&routesFlags{taskName: "EXTEND", status: "SUCCESS", project: id, at: "2026-12-04T17:30:00Z"}},
		{"routes --task-name EXTEND", &routesFlags{taskName: "EXTEND"}},     // refused by routes itself, in its words
		{"routes --task-name --status", &routesFlags{taskName: "--status"}}, // a value is taken whatever it looks like
		// test-notification
		{"test-notification", &testDefaults},
		{"test-notification --config notifier.toml --receiver oncall", testWith(func(f *testFlags) { f.config, f.receivers = cfg, names{"oncall"} })},
		{"test-notification --receiver oncall-live", testWith(func(f *testFlags) { f.receivers = names{"oncall-live"} })},
		{"test-notification --receiver oncall --receiver pager --receiver oncall", testWith(func(f *testFlags) { f.receivers = names{"oncall", "pager"} })},
		{"test-notification -receiver nats -timeout 5s", testWith(func(f *testFlags) { f.receivers, f.timeout = names{"nats"}, 5*time.Second })},
		{"test-notification --timeout=1h30m --timeout 2m", testWith(func(f *testFlags) { f.timeout = 2 * time.Minute })},
		{"test-notification --timeout 0", testWith(func(f *testFlags) { f.timeout = 0 })},
		{"test-notification --timeout -1s", testWith(func(f *testFlags) { f.timeout = -time.Second })},
		// probe
		{"probe", &probeFlags{}},
		{"probe --config notifier.toml", &probeFlags{config: cfg}},
		{"probe --config notifier.toml --project " + id, &probeFlags{config: cfg, project: id}},
		{"probe --project " + id + " --json", &probeFlags{project: id, json: true}},
		{"probe -json=false -project " + id, &probeFlags{project: id}},
		// demo
		{"demo", &demoDefaults},
		{"demo --speed 4 --json", demoWith(func(f *demoFlags) { f.Speed, f.JSON = 4, true })},
		{"demo --nats-port 4222 --http 127.0.0.1:9464 --jetstream --duration 75s --speed=0.5 --log-level debug",
			demoWith(func(f *demoFlags) {
				f.NATSPort, f.HTTPListen, f.JetStream, f.Duration, f.Speed, f.logLevel = 4222, "127.0.0.1:9464", true, 75*time.Second, 0.5, "debug"
			})},
		{"demo -nats-port 0x10 -http= -speed 1e3", demoWith(func(f *demoFlags) { f.NATSPort, f.HTTPListen, f.Speed = 16, "", 1000 })},
		{"demo --duration -5s --speed 0", demoWith(func(f *demoFlags) { f.Duration, f.Speed = -5*time.Second, 0 })}, // refused by demo itself
		// healthcheck
		{"healthcheck", &healthDef}, // the image's HEALTHCHECK
		{"healthcheck --config /etc/notifier/notifier.toml --web.username probe --web.password-file /etc/notifier-web/probe-password",
			healthWith(func(o *healthOptions) {
				o.config, o.user, o.passwordFile = "/etc/notifier/notifier.toml", "probe", "/etc/notifier-web/probe-password"
			})},
		{"healthcheck --ready --config /etc/notifier/notifier.toml", healthWith(func(o *healthOptions) { o.ready, o.config = true, "/etc/notifier/notifier.toml" })},
		{"healthcheck --url http://127.0.0.1:9464/readyz --timeout 1s", healthWith(func(o *healthOptions) { o.url, o.timeout = "http://127.0.0.1:9464/readyz", time.Second })},
		{"healthcheck -web.username=u -web.password-file=/p -ready=true", healthWith(func(o *healthOptions) { o.user, o.passwordFile, o.ready = "u", "/p", true })},
		// version
		{"version", versionFlags{}},
		{"--version", versionFlags{}},
		{"-v", versionFlags{}},
		{"--version extra", versionFlags{}},
	} {
		t.Run(tt.args, func(t *testing.T) {
			act, code, stdout, stderr := parseLine(t, commands, strings.Fields(tt.args)...)
			if code != exitOK || stdout != "" || stderr != "" {
				t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if !reflect.DeepEqual(act, tt.want) {
				t.Errorf("parsed\n%#v\nwant\n%#v", act, tt.want)
			}
		})
	}
}

// TestInvocationErrors: what the command line refuses, it refuses as it always did
// (Go's flag package's words, and exit 2); help is on stdout with exit 0.
func TestInvocationErrors(t *testing.T) {
	for _, tt := range []struct {
		args   string
		code   int
		stdout string // its start
		stderr string // whole
	}{
		{"", exitUsage, "", usage(commands)},
		{"frobnicate", exitUsage, "", "notifier: unknown command \"frobnicate\"\n\n" + usage(commands)},
		{"-help", exitUsage, "", "notifier: unknown command \"-help\"\n\n" + usage(commands)},
		{"--config x run", exitUsage, "", "notifier: unknown command \"--config\"\n\n" + usage(commands)},
		{"help", exitOK, usage(commands), ""},
		{"--help", exitOK, usage(commands), ""},
		{"-h", exitOK, usage(commands), ""},
		{"help nope", exitOK, usage(commands), ""},
		{"help routes", exitOK, "usage: notifier routes [--config FILE]", ""},
		{"help routes extra", exitOK, "usage: notifier routes [--config FILE]", ""},
		{"--help once", exitOK, "usage: notifier once [--config FILE]", ""},
		{"once -h", exitOK, "usage: notifier once", ""},
		{"once --h", exitOK, "usage: notifier once", ""},
		{"once -help", exitOK, "usage: notifier once", ""},
		{"once --help=false", exitOK, "usage: notifier once", ""},
		{"once --dry-run --help --nope", exitOK, "usage: notifier once", ""},
		{"once --nope --help", exitUsage, "", "flag provided but not defined: -nope\nrun 'notifier once --help' for usage\n"},
		{"run --nope=3", exitUsage, "", "flag provided but not defined: -nope\nrun 'notifier run --help' for usage\n"},
		{"once --no-dry-run", exitUsage, "", "flag provided but not defined: -no-dry-run\nrun 'notifier once --help' for usage\n"},
		{"run ---config x", exitUsage, "", "bad flag syntax: ---config\nrun 'notifier run --help' for usage\n"},
		{"run -=x", exitUsage, "", "bad flag syntax: -=x\nrun 'notifier run --help' for usage\n"},
		{"run --config", exitUsage, "", "flag needs an argument: -config\nrun 'notifier run --help' for usage\n"},
		{"once --dry-run=maybe", exitUsage, "", "invalid boolean value \"maybe\" for -dry-run: parse error\nrun 'notifier once --help' for usage\n"},
		{"demo --speed abc", exitUsage, "", "invalid value \"abc\" for flag -speed: parse error\nrun 'notifier demo --help' for usage\n"},
		{"demo --speed 1e400", exitUsage, "", "invalid value \"1e400\" for flag -speed: value out of range\nrun 'notifier demo --help' for usage\n"},
		{"demo --nats-port 1.5", exitUsage, "", "invalid value \"1.5\" for flag -nats-port: parse error\nrun 'notifier demo --help' for usage\n"},
		{"demo --nats-port 99999999999999999999", exitUsage, "", "invalid value \"99999999999999999999\" for flag -nats-port: value out of range\nrun 'notifier demo --help' for usage\n"},
		{"test-notification --timeout abc", exitUsage, "", "invalid value \"abc\" for flag -timeout: parse error\nrun 'notifier test-notification --help' for usage\n"},
		{"check-config extra", exitUsage, "", "notifier check-config: unexpected argument \"extra\" (flags only; see --help)\n"},
		{"check-config extra --offline", exitUsage, "", "notifier check-config: unexpected argument \"extra\" (flags only; see --help)\n"},
		{"check-config extra --help", exitUsage, "", "notifier check-config: unexpected argument \"extra\" (flags only; see --help)\n"},
		{"check-config --offline -- --strict", exitUsage, "", "notifier check-config: unexpected argument \"--strict\" (flags only; see --help)\n"},
		{"check-config - --strict", exitUsage, "", "notifier check-config: unexpected argument \"-\" (flags only; see --help)\n"},
		{"version extra", exitUsage, "", "notifier version: unexpected argument \"extra\" (flags only; see --help)\n"},
		{"routes --task-name --status SUCCESS", exitUsage, "", "notifier routes: unexpected argument \"SUCCESS\" (flags only; see --help)\n"},
		{"demo now", exitUsage, "", "notifier demo: unexpected argument \"now\" (flags only; see --help)\n"},
	} {
		t.Run(tt.args, func(t *testing.T) {
			act, code, stdout, stderr := parseLine(t, commands, strings.Fields(tt.args)...)
			if act != nil || code != tt.code || !strings.HasPrefix(stdout, tt.stdout) || (tt.stdout == "") != (stdout == "") || stderr != tt.stderr {
				t.Errorf("action %v, exit %d (want %d)\nstdout:\n%s\nstderr:\n%s\nwant stderr:\n%s", act, code, tt.code, stdout, stderr, tt.stderr)
			}
		})
	}
}

// TestFlagHelp: a command's flags are listed as Go's flag package listed them, sorted,
// each with what it takes and its default.
func TestFlagHelp(t *testing.T) {
	_, _, stdout, _ := parseLine(t, commands, "demo", "--help")
	want := "\nflags:\n" +
		"  -duration duration\n    \tstop after this long, e.g. 75s (default: when the script has finished)\n" +
		"  -http string\n    \tlisten address of /metrics, /healthz and /readyz (\"\": a free loopback port)"
	if l := demoListen(config.Default().HTTP.Listen); l != "" {
		want += " (default \"" + l + "\")"
	}
	want += "\n  -jetstream\n    \tenable JetStream on the embedded server and publish through it\n" +
		"  -json\n    \tprint each event as CloudEvent JSON on stdout (notes go to stderr)\n" +
		"  -log-level string\n    \tlevel of the notifier's own log on stderr (debug, info, warn, error) (default \"warn\")\n" +
		"  -nats-port int\n    \tport of the embedded NATS server on 127.0.0.1 (0: a free port)\n" +
		"  -speed float\n    \tplay the script this many times faster than real time (default 1)\n" +
		"  -webhook\n    \tadd a [[webhook]] receiver sending every event to a local service that prints each request (headers and body)\n\n"
	if !strings.Contains(stdout, want) {
		t.Errorf("demo --help:\n%s\nwant its flags as\n%s", stdout, want)
	}
	_, _, stdout, _ = parseLine(t, commands, "test-notification", "--help")
	for _, want := range []string{"  -receiver value\n", "  -timeout duration\n", "(default 30s)\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("test-notification --help lacks %q:\n%s", want, stdout)
		}
	}
}
