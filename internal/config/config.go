// Package config loads and validates the notifier's TOML configuration.
//
// The file is decoded strictly (an unknown key is an error) into a Config
// that already holds every default, so a key that is absent keeps its default
// and a key set to an empty string, such as nats.url = "", stays empty.
// Every error names the key it is about, with array indices, for example
// dcs.projects[1].project_id.
package config

import (
	"time"

	"notifier/internal/confkit"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/sinks/dingtalk"
	"notifier/internal/sinks/feishu"
	"notifier/internal/sinks/natssink"
	"notifier/internal/sinks/pagerduty"
	"notifier/internal/sinks/slacksink"
	"notifier/internal/sinks/smn"
	"notifier/internal/sinks/teams"
	"notifier/internal/sinks/webhook"
	"notifier/internal/sinks/wecom"
)

// Config is the whole configuration of the notifier.
type Config struct {
	DCS      DCS             `toml:"dcs"`
	Poll     Poll            `toml:"poll"`
	State    State           `toml:"state"`
	NATS     natssink.Config `toml:"nats"`
	Slack    Slack           `toml:"slack"`
	HTTP     HTTP            `toml:"http"`
	Log      Log             `toml:"log"`
	Shutdown Shutdown        `toml:"shutdown"`
	Cluster  Cluster         `toml:"cluster"`
	Stuck    Stuck           `toml:"stuck"`
	Mute     []Mute          `toml:"mute"` // maintenance windows (mute.go)
	// On-call receivers; arrays of tables, so a shared setting such as failed_ttl is a
	// key of each entry.
	PagerDuty    []pagerduty.Config    `toml:"pagerduty,omitempty"`
	Alertmanager []alertmanager.Config `toml:"alertmanager,omitempty"`
	Webhook      []webhook.Config      `toml:"webhook,omitempty"`
	Teams        []teams.Config        `toml:"teams,omitempty"`
	Feishu       []feishu.Config       `toml:"feishu,omitempty"`
	DingTalk     []dingtalk.Config     `toml:"dingtalk,omitempty"`
	WeCom        []wecom.Config        `toml:"wecom,omitempty"`
	SMN          []smn.Config          `toml:"smn,omitempty"` // Huawei Cloud SMN topics
}

// kinds is the one list of the kinds of receiver, each bound to where c holds its
// entries, in the order receivers are listed (Receivers). Everything that handles
// receivers (defaults, validation, the environment check, opening, rendering, help)
// iterates it: a new kind is its package (internal/sinks/<kind>, with its Config and
// Spec), its field in Config and its line here.
func (c *Config) kinds() []receiver.Binding {
	return []receiver.Binding{
		receiver.Table(natssink.Spec, &c.NATS),
		receiver.List(slacksink.WebhookSpec, &c.Slack.Webhooks),
		receiver.List(slacksink.ChannelSpec, &c.Slack.Channels),
		receiver.List(pagerduty.Spec, &c.PagerDuty),
		receiver.List(alertmanager.Spec, &c.Alertmanager),
		receiver.List(webhook.Spec, &c.Webhook),
		receiver.List(teams.Spec, &c.Teams),
		receiver.List(feishu.Spec, &c.Feishu),
		receiver.List(dingtalk.Spec, &c.DingTalk),
		receiver.List(wecom.Spec, &c.WeCom),
		receiver.List(smn.Spec, &c.SMN),
	}
}

// DCS configures the client of the Huawei Cloud DCS task-center API.
// Credentials are never in the file: AKEnv, SKEnv and SecurityTokenEnv name
// the environment variables that hold them, or the *File fields the files
// (see ReadSecret). Setting a file replaces the default variable.
type DCS struct {
	AKEnv              string   `toml:"ak_env"`
	AKFile             string   `toml:"ak_file"`
	SKEnv              string   `toml:"sk_env"`
	SKFile             string   `toml:"sk_file"`
	SecurityTokenEnv   string   `toml:"security_token_env"` // empty: no security token
	SecurityTokenFile  string   `toml:"security_token_file"`
	PageSize           int      `toml:"page_size"`
	RequestTimeout     Duration `toml:"request_timeout"`
	StartTimeParam     string   `toml:"start_time_param"` // "auto", "start_time" or "begin_time"
	MaxBodyBytes       int64    `toml:"max_body_bytes"`
	InsecureSkipVerify bool     `toml:"insecure_skip_verify"`
	// MaxRequestsPerSecond is the request budget of one access key, shared by every
	// project polled with it (and its discovery), see fleet.go.
	MaxRequestsPerSecond float64    `toml:"max_requests_per_second"`
	Projects             []Project  `toml:"projects"`
	Discover             []Discover `toml:"discover,omitempty"`
}

// Project is one Huawei Cloud project whose DCS tasks are polled.
type Project struct {
	Name      string `toml:"name"` // optional: how people call it ("prod-eu"), in alerts
	Region    string `toml:"region"`
	ProjectID string `toml:"project_id"`            // 32 hex characters, lowercased by Load
	Endpoint  string `toml:"endpoint" redact:"url"` // empty: the SDK's endpoint for Region
	// The project's own credentials, replacing the [dcs] ones when ak and sk are set
	// (CredentialKeys says which are used).
	AKEnv             string `toml:"ak_env"`
	AKFile            string `toml:"ak_file"`
	SKEnv             string `toml:"sk_env"`
	SKFile            string `toml:"sk_file"`
	SecurityTokenEnv  string `toml:"security_token_env"`
	SecurityTokenFile string `toml:"security_token_file"`
}

// Poll configures how often and how far back tasks are listed.
type Poll struct {
	Interval         PollInterval `toml:"interval"` // a duration, or "auto" (interval.go)
	AutoBudgetShare  float64      `toml:"auto_budget_share"`
	ActiveInterval   Duration     `toml:"active_interval"` // used while a task is still running
	FastInterval     Duration     `toml:"fast_interval"`   // near a running task's expected end; 0 disables
	Lookback         Duration     `toml:"lookback"`
	SafetyMargin     Duration     `toml:"safety_margin"`
	MaxBackoff       Duration     `toml:"max_backoff"`
	MaxFollow        Duration     `toml:"max_follow"` // a task still running this long after its creation is dropped
	GapAfter         Duration     `toml:"gap_after"`  // a project not read successfully for this long is reported
	Initial          string       `toml:"initial"`    // "baseline" or "notify"
	TerminalStatuses []string     `toml:"terminal_statuses"`
}

// Stuck says when a task that is still running is reported stuck.
type Stuck struct {
	DefaultAfter Duration            `toml:"default_after"` // a name with too few finished samples; 0: no default
	Factor       float64             `toml:"factor"`        // stuck past factor × p95 of finished durations
	MinSamples   int                 `toml:"min_samples"`   // finished tasks of a name before learned durations count
	MinAfter     Duration            `toml:"min_after"`     // a learned threshold is never shorter
	After        map[string]Duration `toml:"after"`         // per task name; wins over learned ones
}

// State configures where the poller keeps what it has already seen.
type State struct {
	Backend  string   `toml:"backend"`   // "file" or "nats-kv"
	Path     string   `toml:"path"`      // file: a directory
	Bucket   string   `toml:"bucket"`    // nats-kv: the state bucket; leases go to {bucket}_leases
	Replicas int      `toml:"replicas"`  // nats-kv: replicas of both buckets (3 on a 3-node cluster)
	LeaseTTL Duration `toml:"lease_ttl"` // nats-kv: a dead leader is replaced within about 2 × this
}

// Cluster configures how replicas share the projects in the nats-kv state backend.
type Cluster struct {
	Shards int `toml:"shards"` // each shard is its own lease and set of projects
}

// Slack holds the Slack receivers and what their messages share. No webhooks and no
// channels: no Slack receiver.
type Slack struct {
	Webhooks []slacksink.WebhookConfig `toml:"webhooks"`
	Channels []slacksink.ChannelConfig `toml:"channels"` // bot token mode: one live card per task
	Links    []Link                    `toml:"links"`    // buttons on every message about a task
}

// HTTP configures the metrics and health listener. An empty Listen disables it.
type HTTP struct {
	Listen string `toml:"listen"`
	// EnableLifecycle turns on POST /-/reload (404 while false, the default); SIGHUP
	// reloads either way.
	EnableLifecycle bool `toml:"enable_lifecycle"`
	// WebConfigFile names a web configuration file in the format of Prometheus'
	// exporter-toolkit (--web.config.file): tls_server_config, basic_auth_users (bcrypt
	// hashes), http_server_config. "" serves plain HTTP without authentication.
	WebConfigFile string `toml:"web_config_file"`
}

// Log configures the logger.
type Log struct {
	Level  string `toml:"level"`  // trace, debug, info, warn or error
	Format string `toml:"format"` // json or console
}

// Shutdown bounds how long the notifier may take to stop.
type Shutdown struct {
	Timeout Duration `toml:"timeout"`
}

// defaultLevel is log.level's default, which Load also gives an empty value (zerolog
// reads "" as no level at all).
const defaultLevel = "info"

// The defaults of poll.max_backoff and poll.max_follow when they fit the window
// (lookback + safety_margin); Load makes an absent one follow it (Poll.followDefaults).
const (
	defaultMaxBackoff = Duration(5 * time.Minute)
	defaultMaxFollow  = Duration(7 * 24 * time.Hour)
)

// defaultListen is http.listen's default: loopback. The container image stamps
// "0.0.0.0:9464" (-ldflags "-X notifier/internal/config.defaultListen=0.0.0.0:9464"),
// since loopback inside a container is unreachable from outside it (probes, scrapes).
var defaultListen = "127.0.0.1:9464"

// DefaultMaxPending is the default of every receiver's max_pending: how many undelivered
// events one receiver may hold.
const DefaultMaxPending = receiver.DefaultMaxPending

// Default returns a Config holding every default and no projects, so it does
// not validate until at least one project is added.
func Default() Config {
	return Config{
		DCS: DCS{
			AKEnv:                "CLOUD_SDK_AK",
			SKEnv:                "CLOUD_SDK_SK",
			SecurityTokenEnv:     "CLOUD_SDK_SECURITY_TOKEN",
			PageSize:             1000,
			RequestTimeout:       Duration(15 * time.Second),
			StartTimeParam:       "auto",
			MaxBodyBytes:         64 << 20,
			MaxRequestsPerSecond: 10, // the gateway's limit per account is not published
		},
		Poll: Poll{
			Interval:        Every(30 * time.Second),
			AutoBudgetShare: DefaultAutoBudgetShare,
			ActiveInterval:  Duration(5 * time.Second),
			FastInterval:    Duration(time.Second),
			Lookback:        Duration(24 * time.Hour),
			SafetyMargin:    Duration(10 * time.Minute),
			MaxBackoff:      defaultMaxBackoff,
			MaxFollow:       defaultMaxFollow,
			GapAfter:        Duration(5 * time.Minute),
			Initial:         "baseline",
			// A fresh slice on every call: the decoder may write into it.
			TerminalStatuses: event.DefaultTerminal(),
		},
		State: State{Backend: "file", Path: "./notifier-state", Bucket: "dcs_notifier", Replicas: 1,
			LeaseTTL: Duration(10 * time.Second)},
		Cluster: Cluster{Shards: 1},
		Stuck: Stuck{DefaultAfter: Duration(2 * time.Hour), Factor: 3, MinSamples: 5, MinAfter: Duration(5 * time.Minute),
			After: map[string]Duration{}},
		NATS:     natssink.DefaultConfig(),
		HTTP:     HTTP{Listen: defaultListen},
		Log:      Log{Level: defaultLevel, Format: "json"},
		Shutdown: Shutdown{Timeout: Duration(10 * time.Second)},
	}
}

// Duration is a time.Duration written in TOML as a string such as "30s".
type Duration = confkit.Duration

// ClientStartParam is the window's query parameter a DCS client sends unless a request
// names another: start_time_param, or start_time under "auto" (the poller names the one
// it learned in each request).
func (d *DCS) ClientStartParam() string {
	if d.StartTimeParam == "auto" {
		return "start_time"
	}
	return d.StartTimeParam
}
