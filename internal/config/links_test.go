package config

import (
	"strings"
	"testing"
)

const linksBase = `[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"
`

func TestLinks(t *testing.T) {
	for _, c := range []struct{ links, err string }{
		{`[[slack.links]]
text = "Runbook"
url = "https://wiki.example.com/dcs/{{.TaskName}}"
task_names = ["masterStandbySwapJob"]
[[slack.links]]
text = "Console"
url = "https://console.example.com/dcs/?region={{.Region}}#/instance/{{.InstanceID}}"`, ""},
		{`[[slack.links]]
text = "Console"
url = "https://console.example.com/{{.Instance}}"`, `slack.links[0].url: uses a field that does not exist`},
		{`[[slack.links]]
text = "Console"
url = "https://console.example.com/{{.InstanceID"`, `slack.links[0].url: not a valid template`},
		{`[[slack.links]]
text = "Console"
url = "{{.Region}}.example.com"`, `slack.links[0].url: does not give an absolute http(s) URL`},
		{`[[slack.links]]
text = "Console"
url = "javascript:alert(1)//{{.TaskID}}"`, `slack.links[0].url: does not give an absolute http(s) URL`},
		{`[[slack.links]]
text = ""
url = "https://x.example.com"`, `slack.links[0].text: must not be empty`},
		{`[[slack.links]]
text = "<!channel>"
url = "https://x.example.com"`, `slack.links[0].text: must not contain <`},
		{`[[slack.links]]
text = "` + strings.Repeat("a", 76) + `"
url = "https://x.example.com"`, `slack.links[0].text: must be at most 75 characters`},
		{`[[slack.links]]
text = "Runbook"
url = ""`, `slack.links[0].url: must not be empty`},
		{`[[slack.links]]
text = "Runbook"
url = "https://x.example.com"
task_names = [""]`, `slack.links[0].task_names[0]: must not be empty`},
	} {
		_, err := Load([]byte(linksBase + c.links))
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s\nunexpected error: %v", c.links, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s\nerror %v, want %q", c.links, err, c.err)
		}
	}
}
