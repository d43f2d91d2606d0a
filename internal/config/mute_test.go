package config

import (
	"strings"
	"testing"
)

const muteBase = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
[[slack.webhooks]]
name = "oncall"
url_env = "A"
[[slack.webhooks]]
name = "team"
url_env = "B"
`

func TestMuteValidation(t *testing.T) {
	tests := []struct {
		name string
		mute string // the [[mute]] tables
		want string // a substring of the error; "" for a valid file
	}{
		{"weekly", `[[mute]]
name = "weekly-maintenance"
receivers = ["oncall"]
weekdays = ["saturday"]
start = "01:00"
end = "03:00"
location = "Asia/Shanghai"`, ""},
		{"every day across midnight, every receiver", `[[mute]]
name = "nightly"
start = "23:00"
end = "01:00"`, ""},
		{"until the end of the day", `[[mute]]
name = "n"
start = "22:00"
end = "24:00"`, ""},
		{"absolute", `[[mute]]
name = "upgrade"
from = "2026-12-05T01:00:00Z"
until = "2026-12-05T09:00:00+08:00"
min_severity = "warning"
task_names = ["masterStandbySwapJob"]
statuses = ["FAILED"]
projects = ["0123456789ABCDEF0123456789ABCDEF"]`, "mute[0].until: must be after from"},
		{"absolute ok", `[[mute]]
name = "upgrade"
from = "2026-12-05T01:00:00Z"
until = "2026-12-05T03:00:00Z"`, ""},
		{"name missing", `[[mute]]
start = "01:00"
end = "02:00"`, "mute[0].name: required"},
		{"name malformed", `[[mute]]
name = "Weekly Maintenance"
start = "01:00"
end = "02:00"`, `mute[0].name: "Weekly Maintenance" must be 1 to 64 lower case letters`},
		{"name duplicate", `[[mute]]
name = "w"
start = "01:00"
end = "02:00"
[[mute]]
name = "w"
start = "01:00"
end = "02:00"`, `mute[1].name: duplicate of mute[0].name "w"`},
		{"receiver nats", `[[mute]]
name = "w"
receivers = ["oncall", "nats"]
start = "01:00"
end = "02:00"`, "mute[0].receivers[1]: NATS is never muted"},
		{"receiver unknown", `[[mute]]
name = "w"
receivers = ["pd-dcs"]
start = "01:00"
end = "02:00"`, `mute[0].receivers[0]: unknown receiver "pd-dcs" (configured: oncall, team)`},
		{"weekday", `[[mute]]
name = "w"
weekdays = ["saturday", "Sunday"]
start = "01:00"
end = "02:00"`, `mute[0].weekdays[1]: must be a lower-case English day name`},
		{"start", `[[mute]]
name = "w"
start = "1:00"
end = "02:00"`, `mute[0].start: must be a time of day "HH:MM"`},
		{"start 24:00", `[[mute]]
name = "w"
start = "24:00"
end = "02:00"`, `mute[0].start: must be a time of day`},
		{"end", `[[mute]]
name = "w"
start = "01:00"
end = "25:00"`, `mute[0].end: must be a time of day`},
		{"no length", `[[mute]]
name = "w"
start = "01:00"
end = "01:00"`, `mute[0].end: must differ from start`},
		{"location", `[[mute]]
name = "w"
start = "01:00"
end = "02:00"
location = "Mars/Olympus"`, `mute[0].location: must be an IANA time zone name`},
		{"neither form", `[[mute]]
name = "w"`, `mute[0]: set start and end (a weekly window) or from and until`},
		{"both forms", `[[mute]]
name = "w"
start = "01:00"
end = "02:00"
from = "2026-12-05T01:00:00Z"
until = "2026-12-05T03:00:00Z"`, `mute[0].start: set either start and end (weekly) or from and until (absolute), not both`},
		{"weekdays with absolute", `[[mute]]
name = "w"
weekdays = ["monday"]
from = "2026-12-05T01:00:00Z"
until = "2026-12-05T03:00:00Z"`, `mute[0].weekdays: applies to a weekly window`},
		{"until missing", `[[mute]]
name = "w"
from = "2026-12-05T01:00:00Z"`, `mute[0].until: must be set`},
		{"from not RFC 3339", `[[mute]]
name = "w"
from = "2026-12-05 01:00"
until = "2026-12-05T03:00:00Z"`, `mute[0].from: must be an RFC 3339 time`},
		{"filters", `[[mute]]
name = "w"
start = "01:00"
end = "02:00"
min_severity = "loud"
projects = ["fedcba9876543210fedcba9876543210"]`, `mute[0].min_severity: must be one of info, warning, critical, got "loud"`},
		{"unknown project", `[[mute]]
name = "w"
start = "01:00"
end = "02:00"
projects = ["fedcba9876543210fedcba9876543210"]`, `mute[0].projects[0]: unknown project "fedcba9876543210fedcba9876543210"`},
		{"unknown key", `[[mute]]
name = "w"
begin = "01:00"`, `unknown key "mute[0].begin"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load([]byte(muteBase + tt.mute))
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
