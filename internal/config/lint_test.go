package config

import (
	"strings"
	"testing"
)

const lintBase = `
[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
`

func TestLint(t *testing.T) {
	tests := []struct {
		name  string
		extra string
		want  []string // each warning, "key: message" contains it, in order
	}{
		{name: "defaults", want: nil},
		{name: "auto with its share", extra: "[poll]\ninterval = \"auto\"\nauto_budget_share = 0.5\n"},
		{
			name:  "a share without auto",
			extra: "[poll]\ninterval = \"10s\"\nauto_budget_share = 0.5\n",
			want:  []string{`poll.auto_budget_share: is set while poll.interval is 10s, not "auto": it has no effect`},
		},
		{
			name:  "good filters",
			extra: "[[slack.webhooks]]\nname = \"a\"\nurl_env = \"A\"\nmin_severity = \"warning\"\ntask_names = [\"masterStandbySwapJob\", \"someNewTask\"]\nstatuses = [\"FAILED\", \"SUCCESS\"]\n",
		},
		{
			name:  "a maintenance window's filter",
			extra: "[[mute]]\nname = \"w\"\nstart = \"01:00\"\nend = \"02:00\"\ntask_names = [\"masterStandbySwap\"]\nstatuses = [\"failed\"]\n",
			want: []string{
				`mute[0].task_names[0]: "masterStandbySwap" is not a task name the task center uses, so it never matches; did you mean "masterStandbySwapJob"?`,
				`mute[0].statuses[0]: "failed" never matches: the task center's statuses are upper case (did you mean "FAILED"?)`,
			},
		},
		{
			name:  "lower case status",
			extra: "[[slack.webhooks]]\nname = \"a\"\nurl_env = \"A\"\nstatuses = [\"FAILED\", \"failed\"]\n",
			want:  []string{`slack.webhooks[0].statuses[1]: "failed" never matches: the task center's statuses are upper case (did you mean "FAILED"?)`},
		},
		{
			name:  "task name close to a known one",
			extra: "[[slack.webhooks]]\nname = \"a\"\nurl_env = \"A\"\ntask_names = [\"EXTEND\", \"masterStandbySwap\", \"extend\", \"BindEIP\"]\n",
			want: []string{
				`slack.webhooks[0].task_names[1]: "masterStandbySwap" is not a task name the task center uses, so it never matches; did you mean "masterStandbySwapJob"?`,
				`slack.webhooks[0].task_names[2]: "extend" is not a task name the task center uses, so it never matches; did you mean "EXTEND"?`,
				`slack.webhooks[0].task_names[3]: "BindEIP" is not a task name the task center uses, so it never matches; did you mean "BindEip"?`,
			},
		},
		{
			name:  "terminal statuses without FAILED",
			extra: "[poll]\nterminal_statuses = [\"SUCCESS\", \"FAIL\"]\n",
			want:  []string{"poll.terminal_statuses: does not include FAILED"},
		},
		{
			name:  "terminal statuses without either",
			extra: "[poll]\nterminal_statuses = [\"DONE\"]\n",
			want:  []string{"poll.terminal_statuses: does not include FAILED", "poll.terminal_statuses: does not include SUCCESS"},
		},
		{
			name:  "terminal statuses in lower case are fine",
			extra: "[poll]\nterminal_statuses = [\"success\", \"failed\"]\n",
		},
		{
			name:  "severity no listed status reaches",
			extra: "[[slack.webhooks]]\nname = \"a\"\nurl_env = \"A\"\nmin_severity = \"critical\"\nstatuses = [\"SUCCESS\", \"RUNNING\"]\n",
			want:  []string{"slack.webhooks[0]: min_severity critical with statuses [SUCCESS RUNNING]: no such event is ever critical"},
		},
		{
			name:  "warning reached by the switchover only",
			extra: "[[slack.webhooks]]\nname = \"a\"\nurl_env = \"A\"\nmin_severity = \"warning\"\nstatuses = [\"SUCCESS\"]\ntask_names = [\"EXTEND\"]\n",
			want:  []string{"slack.webhooks[0]: min_severity warning with statuses [SUCCESS]: no such event is ever warning"},
		},
		{
			name:  "warning reached by the switchover",
			extra: "[[slack.webhooks]]\nname = \"a\"\nurl_env = \"A\"\nmin_severity = \"warning\"\nstatuses = [\"SUCCESS\"]\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load([]byte(lintBase + tt.extra))
			if err != nil {
				t.Fatal(err)
			}
			got := c.Lint()
			if len(got) != len(tt.want) {
				t.Fatalf("%d warnings, want %d: %v", len(got), len(tt.want), got)
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i].String(), w) {
					t.Errorf("warning %d is %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
