package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// command is a subcommand as its --help describes it.
type command struct {
	name     string
	synopsis string   // the flags after the name, for the usage line
	summary  string   // one line, for the command list
	about    string   // what it does, a paragraph
	env      []string // the environment variables it reads, "NAME  what for"
	exits    []string // its exit codes, "N  when"
	example  string
}

// configEnv are the environment variables every command that reads a configuration reads.
var configEnv = []string{
	"NOTIFIER_CONFIG           the configuration file when --config is not given",
}

// dcsEnv are the variables the configuration names for the DCS credentials.
var dcsEnv = []string{
	"CLOUD_SDK_AK, CLOUD_SDK_SK the DCS access key pair (or the variables dcs.ak_env and dcs.sk_env name)",
	"CLOUD_SDK_SECURITY_TOKEN  with temporary credentials (or dcs.security_token_env); optional",
}

// receiverEnv are the variables the configuration names for the receivers' secrets.
var receiverEnv = []string{
	"slack.webhooks[].url_env  each Slack webhook's URL, as its url_env names it",
	"slack.channels[].bot_token_env  each Slack channel's bot token, as its bot_token_env names it",
	"nats.token_env, nats.user_env, nats.password_env  NATS credentials, when set",
}

// secretEnv are every variable the configuration names for a secret.
var secretEnv = slices.Concat(dcsEnv, receiverEnv)

var commands = []*command{
	{
		name: "run", synopsis: "[--config FILE]",
		summary: "poll and publish until SIGTERM/SIGINT; SIGHUP re-reads the configuration",
		about: "Polls every configured project and delivers each task transition to the receivers it was\n" +
			"routed to when it was committed. SIGHUP (or POST /-/reload on http.listen, with\n" +
			"http.enable_lifecycle = true) re-reads FILE and restarts only what it changes; an invalid\n" +
			"file is logged and ignored, a file that cannot start leaves the previous one running.\n" +
			"The first SIGTERM/SIGINT stops it cleanly (pending events get shutdown.timeout), a second at once.",
		env:     slices.Concat(configEnv, secretEnv),
		exits:   []string{"0  stopped by a signal", "1  a failure while running", "2  the configuration or the environment is wrong"},
		example: "notifier run --config /etc/notifier/notifier.toml",
	},
	{
		name: "once", synopsis: "[--config FILE] [--dry-run [--render]]",
		summary: "one cycle for every project; --dry-run prints the events instead of sending them",
		about: "Polls every project once, commits the events and delivers them (waiting up to\n" +
			"shutdown.timeout). With --dry-run it commits and sends nothing and prints the CloudEvents;\n" +
			"with --render as well it prints, per receiver, what would be sent to it: the NATS subject and\n" +
			"CloudEvent, or the Slack JSON, for only the events routed to that receiver. Both take the\n" +
			"state lock, so neither runs beside a run on the same state.",
		env:     slices.Concat(configEnv, secretEnv),
		exits:   []string{"0  done", "1  a poll or a delivery failed", "2  the configuration or the environment is wrong"},
		example: "notifier once --config notifier.toml --dry-run --render",
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
			"task name close to a known one, and terminal_statuses without FAILED or SUCCESS.",
		env:     slices.Concat(configEnv, secretEnv, []string{"(--offline reads none of these but NOTIFIER_CONFIG)"}),
		exits:   []string{"0  valid (warnings, if any, on stderr)", "2  invalid, a secret or file missing, or warnings with --strict"},
		example: "notifier check-config --config notifier.toml --strict",
	},
	{
		name: "routes", synopsis: "[--config FILE] --task-name NAME --status STATUS [--project ID] [--at TIME]",
		summary: "show which receivers an event would go to, and why the others would not",
		about: "Builds the event a task NAME in STATUS would give (its severity as the notifier rates it),\n" +
			"routes it as a commit would, and prints one line per receiver: \"oncall: receives\" or\n" +
			"\"team: skipped, min_severity warning > info\". Without --project the event is in the first\n" +
			"project of dcs.projects, named in the first line. Maintenance windows ([[mute]]) are listed,\n" +
			"with those open at --at (default now), and a receiver one mutes shows\n" +
			"\"oncall: muted by weekly-maintenance until 03:00 Asia/Shanghai\". Reads nothing but the file.",
		env:     configEnv,
		exits:   []string{"0  shown", "2  the configuration is wrong, a flag is missing, or --project is not configured nor discovered"},
		example: "notifier routes --config notifier.toml --task-name masterStandbySwapJob --status FAILED",
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
		env: slices.Concat(configEnv, receiverEnv),
		exits: []string{"0  every receiver took the event", "1  at least one receiver failed",
			"2  the configuration is wrong, a secret is missing, or --receiver names no receiver"},
		example: "notifier test-notification --config notifier.toml --receiver oncall",
	},
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
	},
	{
		name: "version", synopsis: "",
		summary: "print the version, the commit and the Go version",
		about:   "Prints the version (-ldflags \"-X main.version=v1.2.3\", or the module version), the commit\nit was built from and the Go version, from the build information.",
		exits:   []string{"0  always"},
		example: "notifier version",
	},
}

// lookup returns the command called name, or nil.
func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// usage is the top-level help: every command and its summary.
func usage() string {
	var b strings.Builder
	b.WriteString("usage: notifier <command> [flags]\n\ncommands:\n")
	for _, c := range commands {
		fmt.Fprintf(&b, "  %-18s %s\n", c.name, c.summary)
	}
	b.WriteString("\n--config defaults to $NOTIFIER_CONFIG, then ./notifier.toml.\n" +
		"notifier <command> --help (or notifier help <command>) shows a command's flags, environment,\n" +
		"exit codes and an example.\n")
	return b.String()
}

// help writes the command's full help, with the flags of fs.
func (c *command) help(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", strings.TrimSpace("notifier "+c.name+" "+c.synopsis), c.about)
	if fs != nil {
		var has bool
		fs.VisitAll(func(*flag.Flag) { has = true })
		if has {
			fmt.Fprint(w, "\nflags:\n")
			out := fs.Output()
			fs.SetOutput(w)
			fs.PrintDefaults()
			fs.SetOutput(out)
		}
	}
	section(w, "environment", c.env)
	section(w, "exit codes", c.exits)
	fmt.Fprintf(w, "\nexample:\n  %s\n", c.example)
}

func section(w io.Writer, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// flags returns the flag set of command name; it reports errors on stderr.
func flags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {} // parse says what to do on an error, help on --help
	return fs
}

// parse parses args into fs. On --help it prints the command's help to stdout; on a wrong
// flag or a stray argument it says so on stderr. ok is false when the command must exit
// with code.
func parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (code int, ok bool) {
	c := lookup(fs.Name())
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		c.help(stdout, fs)
		return exitOK, false
	case err != nil: // the flag package has printed what is wrong
		fmt.Fprintf(stderr, "run 'notifier %s --help' for usage\n", c.name)
		return exitUsage, false
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "notifier %s: unexpected argument %q (flags only; see --help)\n", c.name, fs.Arg(0))
		return exitUsage, false
	}
	return exitOK, true
}

// defaultConfig is the file read when --config is not given: $NOTIFIER_CONFIG, then
// ./notifier.toml when it exists.
const defaultConfig = "notifier.toml"

// configFlag adds --config to fs.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("config", "", "the TOML configuration file (default: $NOTIFIER_CONFIG, then ./notifier.toml)")
}

// configPath returns the file to read: given, else $NOTIFIER_CONFIG, else ./notifier.toml
// when it exists.
func configPath(given string, getenv func(string) string) (string, error) {
	if given != "" {
		return given, nil
	}
	if p := getenv("NOTIFIER_CONFIG"); p != "" {
		return p, nil
	}
	if _, err := os.Stat(defaultConfig); err == nil {
		return defaultConfig, nil
	}
	return "", errors.New("no configuration: pass --config FILE, set NOTIFIER_CONFIG, or put notifier.toml in the current directory")
}
