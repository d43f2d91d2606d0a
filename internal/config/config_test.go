package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"notifier/internal/sinks/slacksink"
)

// badFixtures maps every testdata/*.bad.toml to a substring of its error.
var badFixtures = map[string]string{
	"active_interval":        `poll.active_interval: must not exceed poll.interval (5m > 30s)`,
	"auto_budget_share":      `poll.auto_budget_share: must be more than 0 and at most 1`,
	"ak_env":                 `dcs.ak_env: must be set`,
	"ak_both":                `dcs.ak_env: set only one of dcs.ak_env and dcs.ak_file`,
	"duplicate_project":      `dcs.projects[2].project_id: duplicate of dcs.projects[0]`,
	"duration_integer":       `line 5: poll.interval: expected a duration string such as "30s", got integer`,
	"duration_syntax":        `line 5, column 12: poll.lookback: invalid duration "1 day"`,
	"endpoint_query":         `dcs.projects[0].endpoint: must not have a query or a fragment`,
	"endpoint_scheme":        `dcs.projects[0].endpoint: scheme must be one of http, https, got "ftp"`,
	"http_listen":            `http.listen: must be host:port`,
	"initial":                `poll.initial: must be one of baseline, notify, got "replay"`,
	"inline_type":            `line 3, column 14: dcs.projects[1].region: expected string, got integer`,
	"log_format":             `log.format: must be one of json, console, got "text"`,
	"log_level":              `log.level: must be one of trace, debug, info, warn, error, got "verbose"`,
	"lookback_gap":           `poll.lookback: poll.lookback + poll.safety_margin (15m) must be at least twice max(poll.interval, poll.max_backoff) = 20m`,
	"max_follow":             `poll.max_follow: must be at least poll.lookback + poll.safety_margin (24h10m), got 12h`,
	"nats_max_pending":       `nats.max_pending: must be at least 1, got 0`,
	"nats_auth":              `nats: at most one of creds_file, nkey_seed_file, token_env (or token_file) and user_env (or user_file) may be set, got creds_file, token_env`,
	"nats_password":          `nats.password_env: requires nats.user_env`,
	"nats_token_both":        `nats.token_env: set only one of nats.token_env and nats.token_file`,
	"nats_password_file":     `nats.password_file: requires nats.user_env or nats.user_file`,
	"nats_stream":            `nats.stream: must be set when nats.jetstream is true`,
	"nats_subject":           `nats.subject_prefix: token 1 "" must match [A-Za-z0-9_-]+`,
	"nats_stream_max_age":    `nats.stream_max_age: must be at least 10m, got 5m`,
	"nats_stream_max_bytes":  `nats.stream_max_bytes: must be 0 (no limit) or positive, got -1`,
	"nats_stream_replicas":   `nats.stream_replicas: must be between 1 and 5 (or 0: state.replicas in nats-kv mode, else 1), got 7`,
	"nats_tls":               `nats: tls_cert_file and tls_key_file must be set together`,
	"nats_url":               `nats.url: entry 1: scheme must be one of nats, tls, ws, wss, got "http"`,
	"no_projects":            `dcs.projects: at least one project is required`,
	"non_hex_project_id":     `dcs.projects[0].project_id: must be 32 hex characters, got "0123456789abcdef0123456789abcdeg"`,
	"page_size":              `dcs.page_size: must be between 1 and 1000, got 2000`,
	"gap_after":              `poll.gap_after: must be at least 10s`,
	"stuck_factor":           `stuck.factor: must be at least 1`,
	"stuck_after":            `stuck.after.masterStandbySwapJob: must be positive, got 0s`,
	"project_name_duplicate": `dcs.projects[1].name: duplicate of dcs.projects[0].name "prod-eu"`,
	"receiver_duplicate":     `slack.webhooks[1].name: duplicate of slack.webhooks[0].name "oncall"`,
	"receiver_missing":       `slack.webhooks[0].name: required`,
	"receiver_malformed":     `slack.webhooks[0].name: "On Call" must be 1 to 32 lower case letters`,
	"receiver_reserved":      `slack.webhooks[0].name: "nats" is reserved for the NATS sink`,
	"region_format":          `dcs.projects[0].region: must match [a-z0-9-]+, got "CN_North"`,
	"short_project_id":       `dcs.projects[0].project_id: must be 32 hex characters, got 5`,
	"shutdown":               `shutdown.timeout: must be positive, got 0s`,
	"state_kv_core":          `state.backend: "nats-kv" needs nats.url and nats.jetstream = true`,
	"shards_file":            `cluster.shards: needs state.backend = "nats-kv"`,
	"start_time_param":       `dcs.start_time_param: must be one of auto, start_time, begin_time, got "since"`,
	"state_path":             `state.path: must be set`,
	"syntax":                 `line 5, column 11: unexpected character`,
	"terminal_statuses":      `poll.terminal_statuses[1]: must not be empty`,
	"type_mismatch":          `line 2, column 13: dcs.page_size: expected integer, got string`,
	"unknown_inline_key":     `line 3: unknown key "dcs.projects[1].projectid"`,
	"unknown_key":            `line 6: unknown key "poll.intervall"`,
	"unknown_project_key":    `line 5: unknown key "dcs.projects[1].regionn"`,
	"unknown_region":         `dcs.projects[1].region: unknown region "xx-1" (set endpoint to use a region the SDK does not know)`,
	"unknown_table":          `line 4: unknown key "metrics"`,
	"webhook_max_pending":    `slack.webhooks[1].max_pending: must be at least 1, got 0`,
	"webhook_both":           `slack.webhooks[0]: exactly one of url_env and url_file must be set`,
	"webhook_none":           `slack.webhooks[0]: exactly one of url_env and url_file must be set`,
	"webhook_project":        `slack.webhooks[0].projects[1]: unknown project "ffffffffffffffffffffffffffffffff" (not in dcs.projects)`,
	"webhook_severity":       `slack.webhooks[1].min_severity: must be one of info, warning, critical, got "loud"`,
	"webhook_event_type":     `slack.webhooks[0].event_types[1]: unknown event type "stuk" (valid: task, stuck, gap, test); did you mean "stuck"?`,
	"webhook_region":         `slack.webhooks[0].regions[1]: unknown region "xx-1"`,
	"webhook_project_name":   `slack.webhooks[0].projects[1]: unknown project "prod-nc": neither a project id nor the name of one in dcs.projects (names: prod-cn); did you mean "prod-cn"?`,
	"webhook_instance_glob":  `slack.webhooks[0].instances[0]: "redis-[prod" is not a valid glob`,
	"webhook_task_glob":      `slack.webhooks[0].task_names[1]: "master[Standby" is not a valid glob`,
}

func TestBadFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.bad.toml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(badFixtures) {
		t.Errorf("%d bad fixtures on disk, %d in the table", len(files), len(badFixtures))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".bad.toml")
		t.Run(name, func(t *testing.T) {
			want, ok := badFixtures[name]
			if !ok {
				t.Fatalf("%s has no expected error in badFixtures", file)
			}
			c, err := LoadFile(file)
			if err == nil {
				t.Fatalf("LoadFile(%s) = %+v, want error containing %q", file, c, want)
			}
			if !strings.Contains(err.Error(), want) {
				t.Errorf("LoadFile(%s) error:\n%v\nwant it to contain:\n%s", file, err, want)
			}
			if !strings.HasPrefix(err.Error(), file+": ") {
				t.Errorf("error %q does not start with the file name", err)
			}
		})
	}
}

func TestGoodFixtures(t *testing.T) {
	files, err := filepath.Glob("testdata/*.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"minimal", "full", "contract"} {
		if _, err := os.Stat("testdata/" + name + ".good.toml"); err != nil {
			t.Errorf("required fixture: %v", err)
		}
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			c, err := LoadFile(file)
			if err != nil {
				t.Fatalf("LoadFile: %v", err)
			}
			// What check-config prints must load back to the same config.
			again, err := Load([]byte(c.String()))
			if err != nil {
				t.Fatalf("Load(String()): %v\n%s", err, c)
			}
			if !reflect.DeepEqual(normalizeEmpty(*c), normalizeEmpty(*again)) {
				t.Errorf("round trip changed the config:\nbefore %+v\nafter  %+v", *c, *again)
			}
		})
	}
}

// normalizeEmpty makes nil and empty slices compare equal.
func normalizeEmpty(c Config) Config {
	for i := range c.Slack.Webhooks {
		w := &c.Slack.Webhooks[i]
		for _, s := range []*[]string{&w.EventTypes, &w.TaskNames, &w.Statuses, &w.Projects, &w.Regions, &w.Instances} {
			if len(*s) == 0 {
				*s = nil
			}
		}
	}
	if len(c.Slack.Webhooks) == 0 {
		c.Slack.Webhooks = nil
	}
	for i := range c.Slack.Channels {
		w := &c.Slack.Channels[i]
		for _, s := range []*[]string{&w.EventTypes, &w.TaskNames, &w.Statuses, &w.Projects, &w.Regions, &w.Instances} {
			if len(*s) == 0 {
				*s = nil
			}
		}
	}
	for i := range c.Slack.Links {
		if len(c.Slack.Links[i].TaskNames) == 0 {
			c.Slack.Links[i].TaskNames = nil
		}
	}
	if len(c.Slack.Links) == 0 {
		c.Slack.Links = nil
	}
	c.Mute = append([]Mute(nil), c.Mute...)
	for i := range c.Mute {
		m := &c.Mute[i]
		for _, s := range []*[]string{&m.Receivers, &m.Weekdays, &m.TaskNames, &m.Statuses, &m.Projects} {
			if len(*s) == 0 {
				*s = nil
			}
		}
	}
	if len(c.Mute) == 0 {
		c.Mute = nil
	}
	c.Slack.Channels = append([]slacksink.ChannelConfig(nil), c.Slack.Channels...)
	for i := range c.Slack.Channels {
		ch := &c.Slack.Channels[i]
		for _, s := range []*[]string{&ch.TaskNames, &ch.Statuses, &ch.Projects} {
			if len(*s) == 0 {
				*s = nil
			}
		}
	}
	if len(c.Slack.Channels) == 0 {
		c.Slack.Channels = nil
	}
	return c
}

func TestMinimalGetsDefaults(t *testing.T) {
	c, err := LoadFile("testdata/minimal.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.DCS.Projects = []Project{{Region: "cn-north-4", ProjectID: "0123456789abcdef0123456789abcdef"}}
	if !reflect.DeepEqual(*c, want) {
		t.Errorf("minimal config:\n got %+v\nwant %+v", *c, want)
	}
	// Spelled out once, so that a changed default is a deliberate change.
	checks := []struct {
		name string
		got  any
		want any
	}{
		{"dcs.ak_env", c.DCS.AKEnv, "CLOUD_SDK_AK"},
		{"dcs.sk_env", c.DCS.SKEnv, "CLOUD_SDK_SK"},
		{"dcs.security_token_env", c.DCS.SecurityTokenEnv, "CLOUD_SDK_SECURITY_TOKEN"},
		{"dcs.page_size", c.DCS.PageSize, 1000},
		{"dcs.request_timeout", c.DCS.RequestTimeout.D(), 15 * time.Second},
		{"dcs.start_time_param", c.DCS.StartTimeParam, "auto"},
		{"dcs.max_body_bytes", c.DCS.MaxBodyBytes, int64(67108864)},
		{"dcs.insecure_skip_verify", c.DCS.InsecureSkipVerify, false},
		{"poll.interval", c.Poll.Interval.D(), 30 * time.Second},
		{"poll.active_interval", c.Poll.ActiveInterval.D(), 5 * time.Second},
		{"poll.lookback", c.Poll.Lookback.D(), 24 * time.Hour},
		{"poll.safety_margin", c.Poll.SafetyMargin.D(), 10 * time.Minute},
		{"poll.max_backoff", c.Poll.MaxBackoff.D(), 5 * time.Minute},
		{"poll.max_follow", c.Poll.MaxFollow.D(), 7 * 24 * time.Hour},
		{"poll.initial", c.Poll.Initial, "baseline"},
		{"poll.terminal_statuses", c.Poll.TerminalStatuses, []string{"SUCCESS", "FAILED", "FAIL", "CANCELLED", "DELETED"}},
		{"state.path", c.State.Path, "./notifier-state"},
		{"nats.url", c.NATS.URL, "nats://127.0.0.1:4222"},
		{"nats.subject_prefix", c.NATS.SubjectPrefix, "dcs.tasks"},
		{"nats.jetstream", c.NATS.JetStream, false},
		{"nats.stream", c.NATS.Stream, "DCS_TASKS"},
		{"nats.publish_timeout", c.NATS.PublishTimeout.D(), 10 * time.Second},
		{"nats.max_pending", c.NATS.MaxPending, 10000},
		{"nats.stream_max_age", c.NATS.StreamMaxAge.D(), 30 * 24 * time.Hour},
		{"nats.stream_max_bytes", c.NATS.StreamMaxBytes, int64(0)},
		{"nats.stream_replicas", c.NATS.StreamReplicas, 0},
		{"slack.webhooks", len(c.Slack.Webhooks), 0},
		{"http.listen", c.HTTP.Listen, "127.0.0.1:9464"},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "json"},
		{"shutdown.timeout", c.Shutdown.Timeout.D(), 10 * time.Second},
	}
	for _, tc := range checks {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s = %v, want %v", tc.name, tc.got, tc.want)
			}
		})
	}
}

func TestDefaultReturnsFreshSlices(t *testing.T) {
	a := Default()
	a.Poll.TerminalStatuses[0] = "changed"
	if b := Default(); b.Poll.TerminalStatuses[0] != "SUCCESS" {
		t.Errorf("Default shares its slices: %v", b.Poll.TerminalStatuses)
	}
}

func TestFullFixture(t *testing.T) {
	c, err := LoadFile("testdata/full.good.toml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c.DCS.Projects[0].ProjectID; got != "0123456789abcdef0123456789abcdef" {
		t.Errorf("project id is not lowercased: %q", got)
	}
	if got := c.Slack.Webhooks[1].MinSeverity; got != "critical" {
		t.Errorf("slack.webhooks[1].min_severity = %q", got)
	}
	if got := c.Poll.ActiveInterval.D(); got != 2*time.Second {
		t.Errorf("poll.active_interval = %v", got)
	}
	if !c.DCS.InsecureSkipVerify || !c.NATS.JetStream {
		t.Errorf("booleans not decoded: %+v %+v", c.DCS, c.NATS)
	}
	if n := c.NATS; n.StreamMaxAge.D() != 90*24*time.Hour || n.StreamMaxBytes != 10737418240 || n.StreamReplicas != 3 {
		t.Errorf("stream limits = %s %d %d, want 90d 10737418240 3", n.StreamMaxAge, n.StreamMaxBytes, n.StreamReplicas)
	}
}
