package main

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"notifier/internal/silence"
)

// TestNestedCommand: a nested command parses, dispatches, helps and fails as the
// others do; a command with arguments takes flags before and after them.
func TestNestedCommand(t *testing.T) {
	cmds := commands
	conn := silenceConn{timeout: 10 * time.Second}
	withURL := silenceConn{url: "http://n:9464", timeout: 10 * time.Second}
	for _, tt := range []struct {
		args string
		want action
	}{
		{"silence add --for 2h --comment planned -task-name a --instance=redis-*", &silenceAdd{conn: conn, duration: 2 * time.Hour, comment: "planned",
			match: silenceMatch{silence.Matchers{TaskName: "a", Instance: "redis-*"}}}},
		{"silence expire 0123", &silenceExpire{conn: conn, id: "0123"}},
		{"silence expire --url http://n:9464 0123", &silenceExpire{conn: withURL, id: "0123"}},
		{"silence expire 0123 -url http://n:9464", &silenceExpire{conn: withURL, id: "0123"}},
		{"silence expire -- -0123", &silenceExpire{conn: conn, id: "-0123"}},
		{"silence list", &silenceList{conn: conn}},
		{"silence list --expired", &silenceList{conn: conn, expired: true}},
		{"silence query --status FAILED --receiver pager", &silenceQuery{conn: conn, match: silenceMatch{silence.Matchers{Status: "FAILED", Receiver: "pager"}}}},
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
		{"silence", exitUsage, "", "usage: notifier silence <command> [flags]\n\nSilences keep matching events"},
		{"silence frob", exitUsage, "", "notifier silence: unknown command \"frob\"\n\nusage: notifier silence"},
		{"silence --help", exitOK, "usage: notifier silence <command> [flags]", ""},
		{"help silence", exitOK, "usage: notifier silence <command> [flags]", ""},
		{"help silence expire", exitOK, "usage: notifier silence expire [CONNECTION FLAGS] ID\n\nEnds the silence ID now; it is kept, expired, for 7 days.\n\narguments:\n  ID\n    \tthe silence's id, as add and list print it\n\nflags:\n", ""},
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
	if _, _, stdout, _ := parseLine(t, cmds, "help"); !strings.Contains(stdout, "\n  silence            add, list, expire or query the running notifier's silences\n") {
		t.Errorf("help does not list silence:\n%s", stdout)
	}
	var stderr bytes.Buffer
	if code := newCLI(cmds, io.Discard, &stderr).run([]string{"silence", "add", "--for", "1h", "--task-name", "EXTEND"}); code != exitUsage ||
		!strings.Contains(stderr.String(), "--comment is required") {
		t.Errorf("silence add without a comment ran with exit %d, stderr %q", code, stderr.String())
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
	cmds := commands
	for _, tt := range []struct {
		words []string
		want  []string
	}{
		{nil, []string{"run", "once", "check-config", "routes", "test-notification", "probe", "demo", "healthcheck", "version", "template", "silence"}},
		{[]string{"template"}, []string{"render"}},
		{[]string{"template", "render", "--"}, []string{"--config", "--receiver", "--event", "--sample"}},
		{[]string{"routes", "--"}, []string{"--config", "--task-name", "--status", "--project", "--at", "--event-type", "--region", "--instance"}},
		{[]string{"silence"}, []string{"add", "list", "expire", "query"}},
		{[]string{"silence", "add", "--"}, []string{"--for", "--comment", "--task-name", "--instance", "--url"}},
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
