package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kingpin/v2"
)

// silenceCommand is a nested command as the next issues add them (notifier silence
// add|expire): one declaration, here in a test, is all it takes.
var silenceCommand = &command{
	name: "silence", synopsis: "<command> [flags]",
	summary: "add, expire or query silences",
	about:   "Adds or expires a silence of the running notifier.",
	exits:   []string{"0  done", "2  a wrong command line"},
	example: "notifier silence add --for 2h --comment 'planned failover'",
	sub: []*command{
		{
			name: "add", synopsis: "--for D [--comment TEXT] [--task-name NAME]...",
			summary: "add a silence", about: "Adds a silence.", exits: []string{"0  added"},
			declare: func(c *kingpin.CmdClause) action {
				f := new(silenceAdd)
				c.Flag("for", "how long it lasts").DurationVar(&f.duration)
				c.Flag("comment", "why").StringVar(&f.comment)
				c.Flag("task-name", "a task name it silences (repeat for several)").SetValue(&f.taskNames)
				return f
			},
		},
		{
			name: "expire", synopsis: "[--url URL] ID",
			summary: "expire a silence", about: "Expires a silence.", exits: []string{"0  expired"},
			declare: func(c *kingpin.CmdClause) action {
				f := new(silenceExpire)
				c.Flag("url", "the notifier's URL").StringVar(&f.url)
				c.Arg("id", "the silence's id").Required().StringVar(&f.id)
				return f
			},
		},
		{
			name: "query", synopsis: "[MATCHER]...",
			summary: "list the silences that match", about: "Lists silences.", exits: []string{"0  listed"},
			declare: func(c *kingpin.CmdClause) action {
				f := new(silenceQuery)
				c.Flag("expired", "expired ones too").BoolVar(&f.expired)
				c.Arg("matcher", "name=value").StringsVar(&f.matchers)
				return f
			},
		},
	},
}

type silenceAdd struct {
	duration  time.Duration
	comment   string
	taskNames names
}

func (f *silenceAdd) run(stdout, _ io.Writer) int {
	fmt.Fprintf(stdout, "silenced %v for %s\n", f.taskNames, f.duration)
	return exitOK
}

type silenceExpire struct{ url, id string }

func (f *silenceExpire) run(io.Writer, io.Writer) int { return exitOK }

type silenceQuery struct {
	expired  bool
	matchers []string
}

func (f *silenceQuery) run(io.Writer, io.Writer) int { return exitOK }

// TestNestedCommand: a nested command parses, dispatches, helps and fails as the
// others do; a command with arguments takes flags before and after them.
func TestNestedCommand(t *testing.T) {
	cmds := append(slices.Clone(commands), silenceCommand)
	for _, tt := range []struct {
		args string
		want action
	}{
		{"silence add --for 2h --comment planned -task-name a --task-name=b", &silenceAdd{2 * time.Hour, "planned", names{"a", "b"}}},
		{"silence expire 0123", &silenceExpire{id: "0123"}},
		{"silence expire --url http://n:9464 0123", &silenceExpire{url: "http://n:9464", id: "0123"}},
		{"silence expire 0123 -url http://n:9464", &silenceExpire{url: "http://n:9464", id: "0123"}},
		{"silence expire -- -0123", &silenceExpire{id: "-0123"}},
		{"silence query", &silenceQuery{}},
		{"silence query a=1 --expired b=2 c=3", &silenceQuery{expired: true, matchers: []string{"a=1", "b=2", "c=3"}}},
	} {
		act, code, stdout, stderr := parseLine(t, cmds, strings.Fields(tt.args)...)
		if code != exitOK || stdout+stderr != "" || !reflect.DeepEqual(act, tt.want) {
			t.Errorf("%s: exit %d, parsed %#v, want %#v\n%s%s", tt.args, code, act, tt.want, stdout, stderr)
		}
	}
	for _, tt := range []struct {
		args           string
		code           int
		stdout, stderr string // their start
	}{
		{"silence", exitUsage, "", "usage: notifier silence <command> [flags]\n\nAdds or expires a silence of the running notifier.\n\ncommands:\n  add"},
		{"silence frob", exitUsage, "", "notifier silence: unknown command \"frob\"\n\nusage: notifier silence"},
		{"silence --help", exitOK, "usage: notifier silence <command> [flags]", ""},
		{"help silence", exitOK, "usage: notifier silence <command> [flags]", ""},
		{"help silence expire", exitOK, "usage: notifier silence expire [--url URL] ID\n\nExpires a silence.\n\narguments:\n  ID\n    \tthe silence's id\n\nflags:\n  -url string\n", ""},
		{"silence add -h", exitOK, "usage: notifier silence add --for D", ""},
		{"silence expire", exitUsage, "", "required argument 'id' not provided\nrun 'notifier silence expire --help' for usage\n"},
		{"silence add extra", exitUsage, "", "notifier silence add: unexpected argument \"extra\" (flags only; see --help)\n"},
		{"silence expire a b --url u", exitUsage, "", "notifier silence expire: unexpected argument \"b\" (see --help)\n"},
		{"silence add --nope", exitUsage, "", "flag provided but not defined: -nope\nrun 'notifier silence add --help' for usage\n"},
	} {
		act, code, stdout, stderr := parseLine(t, cmds, strings.Fields(tt.args)...)
		if act != nil || code != tt.code || !strings.HasPrefix(stdout, tt.stdout) || !strings.HasPrefix(stderr, tt.stderr) {
			t.Errorf("%s: exit %d (want %d)\nstdout:\n%s\nstderr:\n%s", tt.args, code, tt.code, stdout, stderr)
		}
	}
	if _, _, stdout, _ := parseLine(t, cmds, "help"); !strings.Contains(stdout, "\n  silence            add, expire or query silences\n") {
		t.Errorf("help does not list silence:\n%s", stdout)
	}
	var stdout bytes.Buffer
	if code := newCLI(cmds, &stdout, io.Discard).run([]string{"silence", "add", "--for", "1h", "--task-name", "EXTEND"}); code != exitOK ||
		stdout.String() != "silenced [EXTEND] for 1h0m0s\n" {
		t.Errorf("silence add ran with exit %d, output %q", code, stdout.String())
	}
}

// TestCompletion: the shells' completion scripts, and the words they ask for.
func TestCompletion(t *testing.T) {
	for flag, want := range map[string]string{
		"--completion-script-bash": "complete -F _notifier_bash_autocomplete -o default notifier",
		"--completion-script-zsh":  "#compdef notifier",
	} {
		if _, code, stdout, stderr := parseLine(t, commands, flag); code != exitOK || stderr != "" || !strings.Contains(stdout, want) {
			t.Errorf("%s: exit %d, stdout lacks %q:\n%s%s", flag, code, want, stdout, stderr)
		}
	}
	cmds := append(slices.Clone(commands), silenceCommand)
	for _, tt := range []struct {
		words []string
		want  []string
	}{
		{nil, []string{"run", "once", "check-config", "routes", "test-notification", "probe", "demo", "healthcheck", "version", "template", "silence"}},
		{[]string{"template"}, []string{"render"}},
		{[]string{"template", "render", "--"}, []string{"--config", "--receiver", "--event", "--sample"}},
		{[]string{"routes", "--"}, []string{"--config", "--task-name", "--status", "--project", "--at", "--event-type", "--region", "--instance"}},
		{[]string{"silence"}, []string{"add", "expire"}},
		{[]string{"silence", "add", "--"}, []string{"--for", "--comment", "--task-name"}},
	} {
		got := strings.Fields(completions(t, cmds, tt.words...))
		for _, w := range tt.want {
			if !slices.Contains(got, w) {
				t.Errorf("completing %q: %q lacks %s", tt.words, got, w)
			}
		}
	}
}

// completions are the words notifier --completion-bash prints, which kingpin writes on
// os.Stdout whatever the writer.
func completions(t *testing.T, cmds []*command, words ...string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	out := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		out <- string(b)
	}()
	stdout := os.Stdout
	os.Stdout = w
	act, code, _, stderr := parseLine(t, cmds, append([]string{"--completion-bash"}, words...)...)
	os.Stdout = stdout
	_ = w.Close()
	if act != nil || code != exitOK || stderr != "" {
		t.Errorf("completing %q: exit %d, %s", words, code, stderr)
	}
	return <-out
}
