package main

import (
	"io"
	"slices"
	"time"

	"github.com/alecthomas/kingpin/v2"

	"notifier/internal/config"
	"notifier/internal/demo"
)

// commands are notifier's commands, in the order help lists them: each with its help, and
// its flags bound to the struct it then runs with (runFlags, onceFlags...). A nested
// command (template render, silence add) is one entry whose sub lists its subcommands,
// each declared as these are (nested_test.go declares one).
var commands = []*command{
	{
		name: "run", synopsis: "[--config FILE]",
		summary: "poll and publish until SIGTERM/SIGINT; SIGHUP re-reads the configuration",
		about: "Polls every configured project and delivers each task transition to the receivers it was\n" +
			"routed to when it was committed. SIGHUP (or POST /-/reload on http.listen, with\n" +
			"http.enable_lifecycle = true) re-reads FILE and restarts only what it changes; an invalid\n" +
			"file is logged and ignored, a file that cannot start leaves the previous one running.\n" +
			"The first SIGTERM/SIGINT stops it cleanly (pending events get shutdown.timeout), a second at once.",
		env:     slices.Concat(configEnv, secretEnv()),
		exits:   []string{"0  stopped by a signal", "1  a failure while running", "2  the configuration or the environment is wrong"},
		example: "notifier run --config /etc/notifier/notifier.toml",
		declare: func(c *kingpin.CmdClause) action {
			f := new(runFlags)
			configFlag(c, &f.config)
			return f
		},
	},
	{
		name: "once", synopsis: "[--config FILE] [--dry-run [--render]]",
		summary: "one cycle for every project; --dry-run prints the events instead of sending them",
		about: "Polls every project once, commits the events and delivers them (waiting up to\n" +
			"shutdown.timeout). With --dry-run it commits and sends nothing and prints the CloudEvents;\n" +
			"with --render as well it prints, per receiver, what would be sent to it: the NATS subject and\n" +
			"CloudEvent, or the Slack JSON, for only the events routed to that receiver. Both take the\n" +
			"state lock, so neither runs beside a run on the same state.",
		env:     slices.Concat(configEnv, secretEnv()),
		exits:   []string{"0  done", "1  a poll or a delivery failed", "2  the configuration or the environment is wrong"},
		example: "notifier once --config notifier.toml --dry-run --render",
		declare: func(c *kingpin.CmdClause) action {
			f := new(onceFlags)
			configFlag(c, &f.config)
			c.Flag("dry-run", "print the events instead of committing and sending them").BoolVar(&f.dryRun)
			c.Flag("render", "with --dry-run: print per receiver what would be sent to it (NATS subject and CloudEvent, Slack JSON)").BoolVar(&f.render)
			return f
		},
	},
	{
		name: "check-config", synopsis: "[--config FILE] [--offline] [--strict]",
		summary: "validate the configuration and the environment, print the configuration",
		about: "Validates FILE and prints it as the notifier reads it (no secrets). Unless --offline, it\n" +
			"also reads what the file names outside itself, as run would: every *_env variable (set and\n" +
			"non-empty), every *_file, the NATS credential and TLS files, http.web_config_file with the\n" +
			"certificate and key it names (as the listener reads it: exporter-toolkit's web.Validate), and\n" +
			"checks that each webhook URL is an absolute http(s) URL; a problem names the key and the\n" +
			"variable or file, never a value.\n" +
			"Warnings (on stderr) are filters that can never match, such as a status in lower case or a\n" +
			"task name close to a known one (\"did you mean\"), a glob no known task name matches, a filter\n" +
			"event_types asks of no event, a project name only [[dcs.discover]] may give, and\n" +
			"terminal_statuses without FAILED or SUCCESS.\n" +
			receiverKinds(),
		env:     slices.Concat(configEnv, secretEnv(), []string{"(--offline reads none of these but NOTIFIER_CONFIG)"}),
		exits:   []string{"0  valid (warnings, if any, on stderr)", "2  invalid, a secret or file missing, or warnings with --strict"},
		example: "notifier check-config --config notifier.toml --strict",
		declare: func(c *kingpin.CmdClause) action {
			f := new(checkFlags)
			configFlag(c, &f.config)
			c.Flag("offline", "do not read the environment variables and files the configuration names").BoolVar(&f.offline)
			c.Flag("strict", "exit 2 when there are warnings").BoolVar(&f.strict)
			return f
		},
	},
	{
		name: "routes", synopsis: "[--config FILE] [--event-type T] --task-name NAME --status STATUS [--project ID|NAME] [--region R] [--instance I] [--at TIME]",
		summary: "show which receivers an event would go to, and why the others would not",
		about: "Builds the event a task NAME in STATUS would give (its severity as the notifier rates it),\n" +
			"routes it as a commit would, and prints one line per receiver: \"oncall: receives\" or\n" +
			"\"team: skipped, min_severity warning > info\", naming the filter that refuses it. --event-type\n" +
			"stuck builds a stuck task's event, gap a blind spot's and test a test notification's (these two\n" +
			"take no task). Without --project the event is in the first project of dcs.projects (in\n" +
			"--region, if given), named in the first line. Maintenance windows ([[mute]]) are listed,\n" +
			"with those open at --at (default now), and a receiver one mutes shows\n" +
			"\"oncall: muted by weekly-maintenance until 03:00 Asia/Shanghai\". Silences (notifier silence) are\n" +
			"asked of the running notifier (http.listen, 2s at most), else read from state.path (file\n" +
			"backend), and listed; a receiver one holds shows \"oncall: silenced by ID (comment) until WHEN\".",
		env:     configEnv,
		exits:   []string{"0  shown", "2  the configuration is wrong, a flag is missing, or --project is not configured nor discovered"},
		example: "notifier routes --config notifier.toml --task-name masterStandbySwapJob --status FAILED",
		declare: func(c *kingpin.CmdClause) action {
			f := new(routesFlags)
			configFlag(c, &f.config)
			// Required in words only: a missing one is refused by runRoutes, in its own words.
			c.Flag("task-name", "the task name, e.g. masterStandbySwapJob (required for a task or stuck event)").StringVar(&f.taskName)
			c.Flag("status", "the task status, e.g. FAILED (required for a task event; a stuck one's defaults to RUNNING)").StringVar(&f.status)
			c.Flag("project", "the project's id or name, of dcs.projects or one [[dcs.discover]] may find (default: the first)").StringVar(&f.project)
			c.Flag("at", "the moment maintenance windows are decided at, RFC 3339 (default: now)").StringVar(&f.at)
			c.Flag("event-type", "task (default), stuck, gap or test: the kind of event, as event_types names it").StringVar(&f.eventType)
			c.Flag("region", "the project's region (default: the project's; without --project, picks the first project in it)").StringVar(&f.region)
			c.Flag("instance", "the instance the task names: its id (a UUID) or its name").StringVar(&f.instance)
			return f
		},
	},
	{
		name: "test-notification", synopsis: "[--config FILE] [--receiver NAME]... [--timeout D]",
		summary: "send one test event to every receiver (or those named), bypassing filters",
		about: "Sends one synthetic event, marked as a test in every rendering ([TEST] in the Slack headline),\n" +
			"to every configured receiver, NATS included, or only to those named with --receiver (NATS is\n" +
			"\"nats\"); filters do not apply. Its CloudEvent type is com.huaweicloud.dcs.notifier.test, its\n" +
			"NATS subject {subject_prefix}._notifier.test (with JetStream it is stored in the stream, with\n" +
			"a Nats-Msg-Id of its own). It prints one line per receiver, \"oncall: ok\" or\n" +
			"\"team: failed: HTTP 404 channel_not_found\". It does not touch the state, so it works beside\n" +
			"a running notifier.",
		env: slices.Concat(configEnv, receiverEnv()),
		exits: []string{"0  every receiver took the event", "1  at least one receiver failed",
			"2  the configuration is wrong, a secret is missing, or --receiver names no receiver"},
		example: "notifier test-notification --config notifier.toml --receiver oncall",
		declare: func(c *kingpin.CmdClause) action {
			f := new(testFlags)
			configFlag(c, &f.config)
			c.Flag("receiver", "send only to this receiver (repeat for several; NATS is \"nats\"; default: every one)").SetValue(&f.receivers)
			c.Flag("timeout", "give up on the receivers that have not answered after this long").Default("30s").DurationVar(&f.timeout)
			return f
		},
	},
	templateCommand,
	silenceCommand,
	{
		name: "probe", synopsis: "[--config FILE] [--project ID] [--json]",
		summary: "measure what the DCS API of each project does, and print the config lines to use",
		about: "With the configured credentials, for every project of dcs.projects and every one the [[dcs.discover]]\n" +
			"entries find (listed as serve lists them, each skipped project with why), or the one --project names:\n" +
			"reachability, TLS, the credential (a 401/403 names the key and the permission likely missing) and\n" +
			"the round trip; the listing's order, whether limit and offset are honoured, what task_count counts,\n" +
			"which of start_time and begin_time filters and on created_at or updated_at; the timestamp shapes,\n" +
			"the task names and statuses of the last 30 days (new ones flagged) and any throttling answer\n" +
			"(each retried after Retry-After, or 3s). It ends with the configuration lines to use. It only\n" +
			"reads the API (about a dozen requests a project); it never touches the state, so it runs beside\n" +
			"a running notifier.",
		env: slices.Concat(configEnv, dcsEnv),
		exits: []string{"0  every project probed is usable as configured", "1  a project is not: unreachable, refused, or a problem listed; or a discovery entry cannot list its projects",
			"2  the configuration is wrong, a credential is missing, or --project is not configured nor discovered"},
		example: "notifier probe --config notifier.toml --project 0123456789abcdef0123456789abcdef",
		declare: func(c *kingpin.CmdClause) action {
			f := new(probeFlags)
			configFlag(c, &f.config)
			c.Flag("project", "probe only this project id, of dcs.projects or one a [[dcs.discover]] entry finds (default: every one)").StringVar(&f.project)
			c.Flag("json", "print the report as one JSON object instead of text").BoolVar(&f.json)
			return f
		},
	},
	{
		name: "demo", synopsis: "[flags]",
		summary: "the whole pipeline against a simulated task center and an embedded NATS server",
		about: "Runs, in this process, a simulated DCS task center on loopback, an embedded NATS server and\n" +
			"the real notifier pipeline pointed at them, and prints every event published to NATS while\n" +
			"about a minute of task changes plays (a spec change, a public IP bound, a master/standby\n" +
			"switchover that FAILS, a password change, a replica added through an unknown status).\n" +
			"No cloud account and no NATS installation are needed. Ctrl-C stops it.",
		env:     []string{"SLACK_WEBHOOK_URL         post the alerts to this Slack webhook as well"},
		exits:   []string{"0  the script finished, --duration passed or a signal arrived", "1  a failure", "2  a wrong flag"},
		example: "notifier demo --speed 4 --json | jq .data.task.name",
		declare: func(c *kingpin.CmdClause) action {
			f := new(demoFlags)
			c.Flag("nats-port", "port of the embedded NATS server on 127.0.0.1 (0: a free port)").SetValue((*goInt)(&f.NATSPort))
			http := c.Flag("http", "listen address of /metrics, /healthz and /readyz (\"\": a free loopback port)")
			if l := demoListen(config.Default().HTTP.Listen); l != "" {
				http.Default(l)
			}
			http.StringVar(&f.HTTPListen)
			c.Flag("jetstream", "enable JetStream on the embedded server and publish through it").BoolVar(&f.JetStream)
			c.Flag("json", "print each event as CloudEvent JSON on stdout (notes go to stderr)").BoolVar(&f.JSON)
			c.Flag("webhook", "add a [[webhook]] receiver sending every event to a local service that prints each request (headers and body)").BoolVar(&f.Webhook)
			c.Flag("duration", "stop after this long, e.g. 75s (default: when the script has finished)").DurationVar(&f.Duration)
			c.Flag("speed", "play the script this many times faster than real time").Default("1").FloatVar(&f.Speed)
			c.Flag("log-level", "level of the notifier's own log on stderr (debug, info, warn, error)").Default("warn").StringVar(&f.logLevel)
			return f
		},
	},
	{
		name: "healthcheck", synopsis: "[--config FILE] [--ready] [--web.username U [--web.password-file F]] [--url URL] [--timeout D]",
		summary: "exit 0 when a running notifier's /healthz answers 200 (for images without a shell)",
		about: "Asks the /healthz endpoint (liveness: the process serves and its polling and delivery loops\n" +
			"are alive; --ready: /readyz) of the notifier running with the same configuration, and exits 0\n" +
			"when it answers 200; otherwise it prints the answer on stderr and exits 1. The address is\n" +
			"http.listen (on loopback when it is every interface's, e.g. 0.0.0.0:9464); with no\n" +
			"configuration file at all (as under `docker run … demo`), the build's default. When\n" +
			"http.web_config_file serves TLS, it trusts the certificate the listener is configured with\n" +
			"(cert_file, so a self-signed one works) and the system's roots, and on loopback does not check\n" +
			"the host name. With basic_auth_users, pass --web.username (or $" + userEnv + "), and\n" +
			"the password in $" + passwordEnv + " or a file (--web.password-file).",
		env: slices.Concat(configEnv, []string{userEnv + "     the basic auth user when --web.username is not given",
			passwordEnv + "     the basic auth password, unless --web.password-file"}),
		exits:   []string{"0  alive (ready with --ready)", "1  not, no answer, or refused (401)", "2  a wrong flag, or the configuration cannot be read"},
		example: "notifier healthcheck --config /etc/notifier/config.toml --web.username probe --web.password-file /run/secrets/probe",
		declare: func(c *kingpin.CmdClause) action {
			o := new(healthOptions)
			c.Flag("config", "the TOML configuration file (default: $NOTIFIER_CONFIG, then ./notifier.toml; none found: the defaults)").StringVar(&o.config)
			c.Flag("url", "ask this absolute http(s) URL instead of the one http.listen gives").StringVar(&o.url)
			c.Flag("ready", "ask /readyz (readiness) instead of /healthz (liveness)").BoolVar(&o.ready)
			c.Flag("web.username", "basic auth user, for a web config with basic_auth_users (default $"+userEnv+"); the password is $"+passwordEnv).StringVar(&o.user)
			c.Flag("web.password-file", "read the basic auth password from this file instead of $"+passwordEnv).StringVar(&o.passwordFile)
			c.Flag("timeout", "how long to wait for the answer").Default("5s").DurationVar(&o.timeout)
			return o
		},
	},
	{
		name: "version", synopsis: "",
		summary: "print the version, the commit and the Go version",
		about:   "Prints the version (-ldflags \"-X main.version=v1.2.3\", or the module version), the commit\nit was built from and the Go version, from the build information.",
		exits:   []string{"0  always"},
		example: "notifier version",
		declare: func(*kingpin.CmdClause) action { return versionFlags{} },
	},
}

// The flags of each command, as it reads them; run runs it with them.
type (
	runFlags     struct{ config string }
	versionFlags struct{}
	onceFlags    struct {
		config         string
		dryRun, render bool
	}
	checkFlags struct {
		config          string
		offline, strict bool
	}
	routesFlags struct{ config, taskName, status, project, at, eventType, region, instance string }
	testFlags   struct {
		config    string
		receivers names
		timeout   time.Duration
	}
	probeFlags struct {
		config, project string
		json            bool
	}
	demoFlags struct {
		demo.Options
		logLevel string
	}
)

func (f *runFlags) run(stdout, stderr io.Writer) int      { return runDaemon(f, stdout, stderr) }
func (f *onceFlags) run(stdout, stderr io.Writer) int     { return runOnce(f, stdout, stderr) }
func (f *checkFlags) run(stdout, stderr io.Writer) int    { return runCheck(f, stdout, stderr) }
func (f *routesFlags) run(stdout, stderr io.Writer) int   { return runRoutes(f, stdout, stderr) }
func (f *testFlags) run(stdout, stderr io.Writer) int     { return runTestNotification(f, stdout, stderr) }
func (f *probeFlags) run(stdout, stderr io.Writer) int    { return runProbe(f, stdout, stderr) }
func (f *demoFlags) run(stdout, stderr io.Writer) int     { return runDemo(f, stdout, stderr) }
func (o *healthOptions) run(stdout, stderr io.Writer) int { return runHealthcheck(o, stdout, stderr) }
func (versionFlags) run(stdout, stderr io.Writer) int     { return runVersion(stdout, stderr) }

// configFlag adds --config to c, the file configPath falls back from.
func configFlag(c *kingpin.CmdClause, into *string) {
	c.Flag("config", "the TOML configuration file (default: $NOTIFIER_CONFIG, then ./notifier.toml)").StringVar(into)
}
