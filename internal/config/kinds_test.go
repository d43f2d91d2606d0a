package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// Every kind's registry entry is complete, its kind and key are its own, and its key is
// where Config holds its entries: a kind added with a wrong key or a missing function
// fails here, not in a user's configuration.
func TestEveryKindIsComplete(t *testing.T) {
	accepted := map[string]bool{}
	fieldKeys("", reflect.TypeFor[Config](), accepted)
	var c Config
	kinds, keys := map[string]bool{}, map[string]bool{}
	for _, k := range c.kinds() {
		info := k.Info()
		if m := k.Missing(); len(m) > 0 {
			t.Errorf("kind %q lacks %s", info.Kind, strings.Join(m, ", "))
		}
		if kinds[string(info.Kind)] || keys[info.Key] {
			t.Errorf("kind %q or key %q listed twice", info.Kind, info.Key)
		}
		kinds[string(info.Kind)], keys[info.Key] = true, true
		// The entry's keys are where Config holds them: name (common to every kind of an
		// array of tables) under Key[], or the switch of a kind of one table under Key.
		want := info.Key + "[].name"
		if info.Name != "" {
			want = info.Key + "." + info.Switch
		}
		if !accepted[want] {
			t.Errorf("kind %q: Config accepts no %s: its Key %q is not where its entries are", info.Kind, want, info.Key)
		}
		if len(info.Env) == 0 {
			t.Errorf("kind %q lists no environment variable for notifier help", info.Kind)
		}
		header := "[[" + info.Key + "]]\n"
		if info.Name != "" {
			header = "[" + info.Key + "]\n"
		}
		if _, err := Load([]byte(incidentBase + header + info.Example)); err != nil {
			t.Errorf("kind %q: its Example does not load: %v", info.Kind, err)
		}
	}
	if got := len(Kinds()); got != len(c.kinds()) {
		t.Errorf("Kinds() has %d kinds, the list %d", got, len(c.kinds()))
	}
}

// The settings every kind shares are one struct embedded in each kind's configuration:
// go-toml reads them as the entry's own keys, refuses an unknown one, and String prints
// them so that they load again.
func TestCommonSettingsAreEachEntrysOwnKeys(t *testing.T) {
	const filter = `
name = "%s"
min_severity = "warning"
task_names = ["masterStandbySwapJob"]
statuses = ["FAILED"]
projects = ["0123456789ABCDEF0123456789ABCDEF"]
max_pending = 7
`
	doc := incidentBase +
		"[[slack.webhooks]]\nurl_env = \"HOOK\"" + strings.Replace(filter, "%s", "hook", 1) +
		"[[slack.channels]]\nbot_token_env = \"TOKEN\"\nchannel = \"C0123456789\"" + strings.Replace(filter, "%s", "live", 1) +
		"[[pagerduty]]\nrouting_key_env = \"PD\"" + strings.Replace(filter, "%s", "pd", 1) +
		"[[alertmanager]]\nurl = \"http://am:9093\"" + strings.Replace(filter, "%s", "am", 1)
	c, err := Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	check := func(c *Config) {
		t.Helper()
		var names []string
		for _, r := range c.Receivers()[1:] { // after nats
			names = append(names, r.Name)
			if r.MinSeverity != "warning" || !slices.Equal(r.TaskNames, []string{"masterStandbySwapJob"}) ||
				!slices.Equal(r.Statuses, []string{"FAILED"}) || !slices.Equal(r.Projects, []string{"0123456789abcdef0123456789abcdef"}) ||
				r.MaxPending != 7 {
				t.Errorf("%s (%s): %+v", r.Name, r.Key, r.Common)
			}
		}
		if want := []string{"hook", "live", "pd", "am"}; !slices.Equal(names, want) {
			t.Errorf("receivers %v, want %v", names, want)
		}
	}
	check(c)
	again, err := Load([]byte(c.String()))
	if err != nil {
		t.Fatalf("Load(String()): %v\n%s", err, c)
	}
	check(again)
	var doc2 map[string]any
	if err := toml.Unmarshal([]byte(c.String()), &doc2); err != nil {
		t.Fatal(err)
	}
	if pd := doc2["pagerduty"].([]any)[0].(map[string]any); pd["task_names"] == nil || pd["Common"] != nil {
		t.Errorf("String does not print the common settings as the entry's keys: %v", pd)
	}
	_, err = Load([]byte(incidentBase + "[[pagerduty]]\nname = \"pd\"\nrouting_key_env = \"PD\"\ntask_name = [\"x\"]\n"))
	if err == nil || !strings.Contains(err.Error(), `unknown key "pagerduty[0].task_name"`) {
		t.Errorf("an unknown key beside the common ones: %v", err)
	}
}

// A configuration without receivers is described from the list of kinds, in the words
// test-notification has always used; a kind added later joins the list.
func TestNoReceivers(t *testing.T) {
	got := NoReceivers()
	kinds := Kinds()
	last := kinds[len(kinds)-1]
	if want := "nats.url is empty and there are no slack.webhooks, slack.channels, [[pagerduty]]"; !strings.HasPrefix(got, want) ||
		!strings.HasSuffix(got, " or [["+last.Key+"]]") || strings.Count(got, " or ") != 1 {
		t.Errorf("NoReceivers() = %q", got)
	}
}
