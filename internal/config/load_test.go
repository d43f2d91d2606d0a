package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const project = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
`

func TestLoadKeepsExplicitEmpty(t *testing.T) {
	tests := []struct {
		name string
		toml string
		get  func(*Config) string
	}{
		{"nats url disables nats", "[nats]\nurl = \"\"\n", func(c *Config) string { return c.NATS.URL }},
		{"http listen disables http", "[http]\nlisten = \"\"\n", func(c *Config) string { return c.HTTP.Listen }},
		{"no security token", "[dcs]\nsecurity_token_env = \"\"\n", func(c *Config) string { return c.DCS.SecurityTokenEnv }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load([]byte(tc.toml + project))
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.get(c); got != "" {
				t.Errorf("got %q, want empty", got)
			}
		})
	}
}

func TestLoadFillsEmptyWithDefault(t *testing.T) {
	c, err := Load([]byte(project + "[log]\nlevel = \"\"\n[[slack.webhooks]]\nname = \"team\"\nurl_env = \"SLACK\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Log.Level != "info" {
		t.Errorf("log.level = %q, want info", c.Log.Level)
	}
	if got := c.Slack.Webhooks[0].MinSeverity; got != "info" {
		t.Errorf("slack.webhooks[0].min_severity = %q, want info", got)
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	doc := `
[dcs]
page_size = 0
[[dcs.projects]]
region = "xx-1"
project_id = "abc"
[poll]
initial = "replay"
[[slack.webhooks]]
name = "hook1"
min_severity = "loud"
`
	_, err := Load([]byte(doc))
	if err == nil {
		t.Fatal("Load succeeded")
	}
	want := []string{
		"dcs.page_size: must be between 1 and 1000, got 0",
		`dcs.projects[0].region: unknown region "xx-1"`,
		"dcs.projects[0].project_id: must be 32 hex characters, got 3",
		`poll.initial: must be one of baseline, notify, got "replay"`,
		"slack.webhooks[0]: exactly one of url_env and url_file must be set",
		`slack.webhooks[0].min_severity: must be one of info, warning, critical, got "loud"`,
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Fatalf("got %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], w)
		}
	}
}

func TestLoadTypeErrors(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want string
	}{
		{"array table", "[[dcs.projects]]\nregion = 5\n", "line 2, column 10: dcs.projects[0].region: expected string, got integer"},
		{"table", "dcs = 5\n", "line 1, column 7: dcs: expected table, got integer"},
		{"table for value", "[dcs.page_size]\n", "line 1, column 2: dcs.page_size: expected a value, got table"},
		{"table for a duration", "[poll.interval]\n", `line 1: poll.interval: expected a duration string such as "30s", got table`},
		{"array element", "poll.terminal_statuses = [\"a\", 2]\n", "poll.terminal_statuses[1]: expected string, got integer"},
		{"inline duration", "poll = {interval = 5}\n", `line 1: poll.interval: expected a duration string such as "30s", got integer`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.toml + project))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoadUnknownKeys(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want []string
	}{
		{"top level", "verbose = true\n" + project, []string{`line 1: unknown key "verbose"`}},
		{"after array table", project + "verbose = true\n", []string{`line 5: unknown key "dcs.projects[0].verbose"`}},
		{"table", project + "[poll]\nintervall = \"1m\"\n", []string{`line 6: unknown key "poll.intervall"`}},
		{"dotted", "poll.intervall = \"1m\"\n" + project, []string{`line 1: unknown key "poll.intervall"`}},
		{"array table index", project + project + "regionn = \"x\"\n",
			[]string{`line 9: unknown key "dcs.projects[1].regionn"`}},
		{"inline array index", `slack.webhooks = [{name = "a", url_env = "A"}, {name = "b", url_env = "B", urlenv = "C"}]` + "\n" + project,
			[]string{`line 1: unknown key "slack.webhooks[1].urlenv"`}},
		{"several", project + "[nats]\nurll = \"x\"\n[log]\nlvl = \"debug\"\n",
			[]string{`line 6: unknown key "nats.urll"`, `line 8: unknown key "log.lvl"`}},
		{"quoted", project + "[log]\n\"a.b\" = 1\n", []string{`line 6: unknown key "log.\"a.b\""`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]byte(tc.toml))
			if err == nil {
				t.Fatal("Load succeeded")
			}
			if got := strings.Split(err.Error(), "\n"); !equal(got, tc.want) {
				t.Errorf("got\n%v\nwant\n%s", err, strings.Join(tc.want, "\n"))
			}
		})
	}
}

func equal(a, b []string) bool {
	return strings.Join(a, "\n") == strings.Join(b, "\n")
}

func TestLoadFileErrors(t *testing.T) {
	_, err := LoadFile("testdata/does-not-exist.toml")
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "does-not-exist.toml") {
		t.Errorf("missing file: %v", err)
	}
	_, err = LoadFile("testdata/webhook_severity.bad.toml")
	if err == nil || strings.Count(err.Error(), "testdata/webhook_severity.bad.toml: ") != 1 {
		t.Errorf("error does not name the file once: %v", err)
	}
}

func TestDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		text string
	}{
		{"30s", 30 * time.Second, "30s"},
		{"5m", 5 * time.Minute, "5m"},
		{"1h30m", 90 * time.Minute, "1h30m"},
		{"24h", 24 * time.Hour, "24h"},
		{"100ms", 100 * time.Millisecond, "100ms"},
		{"0s", 0, "0s"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var d Duration
			if err := d.UnmarshalText([]byte(tc.in)); err != nil {
				t.Fatal(err)
			}
			if d.D() != tc.want {
				t.Errorf("D() = %v, want %v", d.D(), tc.want)
			}
			if text, _ := d.MarshalText(); string(text) != tc.text {
				t.Errorf("MarshalText = %q, want %q", text, tc.text)
			}
		})
	}
	var d Duration
	if err := d.UnmarshalText([]byte("")); err == nil {
		t.Error("empty duration accepted")
	}
}

func TestStringHidesURLPasswords(t *testing.T) {
	c, err := Load([]byte(project + "[nats]\nurl = \"nats://user:hunter2@127.0.0.1:4222\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	s := c.String()
	if strings.Contains(s, "hunter2") {
		t.Errorf("String leaks the password:\n%s", s)
	}
	if c.NATS.URL != "nats://user:hunter2@127.0.0.1:4222" {
		t.Errorf("String changed the config: %q", c.NATS.URL)
	}
}

func TestValidateNil(t *testing.T) {
	var c *Config
	if err := c.Validate(); err == nil {
		t.Error("nil config validated")
	}
	if got := c.String(); got != "<nil>" {
		t.Errorf("String() = %q", got)
	}
}

func TestDurationKeys(t *testing.T) {
	want := map[string]bool{
		"dcs.request_timeout": true, "poll.interval": true, "poll.active_interval": true, "poll.fast_interval": true,
		"poll.lookback": true, "poll.safety_margin": true, "poll.max_backoff": true, "poll.max_follow": true,
		"nats.publish_timeout": true, "nats.stream_max_age": true, "shutdown.timeout": true, "state.lease_ttl": true,
		"poll.gap_after": true, "stuck.default_after": true, "stuck.min_after": true,
		"dcs.discover.refresh":         true,
		"alertmanager.resend_interval": true, "alertmanager.failed_ttl": true,
		"smn.timeout": true,
	}
	got := durationKeys()
	// A receiver kind's duration keys are its own (a webhook's timeout): any under a
	// kind's key is taken, those above are required.
	for k := range got {
		for _, kind := range Kinds() {
			if strings.HasPrefix(k, kind.Key+".") && !want[k] {
				delete(got, k)
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("durationKeys() = %v, want %v", got, want)
	}
}

// FuzzLoad checks that Load never panics and that whatever it accepts
// validates again, and survives a trip through String.
func FuzzLoad(f *testing.F) {
	files, err := filepath.Glob("testdata/*.toml")
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(""))
	f.Add([]byte("[[dcs.projects]]\n[[dcs.projects]]\nx = [[1], {a = 2}]\n"))
	f.Add([]byte("dcs.projects = [{region = \"cn-north-4\", project_id = \"0123456789abcdef0123456789abcdef\", endpoint = \"http://[::1]:80\"}]\n"))
	f.Add([]byte("poll = {interval = 5}\n[[slack.webhooks]]\nname = \"a\"\nurl_env = \"A\"\nprojects = [\"\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Load(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted a config that does not validate: %v", err)
		}
		if _, err := Load([]byte(c.String())); err != nil {
			t.Fatalf("String of a loaded config does not load: %v\n%s", err, c)
		}
	})
}
