package config

import (
	"fmt"
	"strings"

	"notifier/internal/secret"
)

// DefaultSlackAPIURL is slack.channels[].api_url's default: Slack's Web API.
const DefaultSlackAPIURL = "https://slack.com/api/"

// Channel is one Slack channel where a bot keeps one live card per task (slack.channels):
// the card is posted at the task's first event and updated in place after. Its bot token
// is a secret, so the file only names where to read it (see ReadSecret).
type Channel struct {
	Name          string `toml:"name"` // the receiver's identity, as for webhooks
	BotTokenEnv   string `toml:"bot_token_env"`
	BotTokenFile  string `toml:"bot_token_file"`
	Channel       string `toml:"channel"`        // a channel id such as C0123456789
	APIURL        string `toml:"api_url"`        // empty: DefaultSlackAPIURL; a proxy or a test server
	ThreadReplies bool   `toml:"thread_replies"` // each later event also replies in the card's thread
	// The filter and the backlog bound, as for slack.webhooks.
	MinSeverity string   `toml:"min_severity"`
	TaskNames   []string `toml:"task_names"`
	Statuses    []string `toml:"statuses"`
	Projects    []string `toml:"projects"`
	MaxPending  int      `toml:"max_pending"`
}

// channelKey is where slack.channels[i] is configured.
func channelKey(i int) string { return fmt.Sprintf("slack.channels[%d]", i) }

// channelReceivers lists the slack.channels receivers, in the order of the file.
func (c *Config) channelReceivers() []Receiver {
	var out []Receiver
	for i, ch := range c.Slack.Channels {
		out = append(out, Receiver{
			Name: ch.Name, Kind: KindSlackChannel, Key: channelKey(i),
			MinSeverity: ch.MinSeverity, TaskNames: ch.TaskNames, Statuses: ch.Statuses, Projects: ch.Projects,
			MaxPending: ch.MaxPending,
		})
	}
	return out
}

// KindSlackChannel is the Receiver.Kind of slack.channels: a bot's live cards.
const KindSlackChannel = "slack-channel"

// channelDefaults fills what Load leaves empty in slack.channels; written tells the keys
// the file sets.
func (s *Slack) channelDefaults(written map[string]bool) {
	for i := range s.Channels {
		ch := &s.Channels[i]
		if ch.MinSeverity == "" {
			ch.MinSeverity = defaultSeverity
		}
		if ch.APIURL == "" {
			ch.APIURL = DefaultSlackAPIURL
		}
		if !written[channelKey(i)+".max_pending"] {
			ch.MaxPending = DefaultMaxPending
		}
		for j := range ch.Projects {
			ch.Projects[j] = strings.ToLower(ch.Projects[j])
		}
	}
}

func (s *Slack) validateChannels(p *problems, known map[string]bool) {
	for i, ch := range s.Channels {
		key := channelKey(i)
		if (ch.BotTokenEnv == "") == (ch.BotTokenFile == "") {
			p.add(key, "exactly one of bot_token_env and bot_token_file must be set")
		}
		envName(p, key+".bot_token_env", ch.BotTokenEnv, false)
		switch c := strings.TrimSpace(ch.Channel); {
		case c == "":
			p.add(key+".channel", "required: the id of the channel, such as \"C0123456789\"")
		case c != ch.Channel || strings.ContainsAny(c, " \t\n,"):
			p.add(key+".channel", "%q must be one channel id, such as \"C0123456789\", without spaces", ch.Channel)
		}
		if ch.APIURL != "" {
			if msg := checkEndpoint(ch.APIURL); msg != "" {
				p.add(key+".api_url", "%s", msg)
			}
		}
		if ch.MinSeverity != "" {
			oneOf(p, key+".min_severity", ch.MinSeverity, "info", "warning", "critical")
		}
		maxPending(p, key+".max_pending", ch.MaxPending)
		nonEmpty(p, key+".task_names", ch.TaskNames)
		nonEmpty(p, key+".statuses", ch.Statuses)
		for j, id := range ch.Projects {
			if !isKnownProject(known, id) {
				p.add(fmt.Sprintf("%s.projects[%d]", key, j), "unknown project %q (not in dcs.projects)", id)
			}
		}
	}
}

// ReadToken reads the channel's bot token as the sink will. Its error names the key and
// where the token was to come from, never the token.
func (ch *Channel) ReadToken(i int, getenv func(string) string) (secret.Secret, error) {
	tok, err := secret.Read(ch.BotTokenEnv, ch.BotTokenFile, getenv)
	if err != nil {
		key := channelKey(i) + ".bot_token_env"
		if ch.BotTokenFile != "" {
			key = channelKey(i) + ".bot_token_file"
		}
		return "", fmt.Errorf("%s: %w (receiver %q)", key, err, ch.Name)
	}
	return tok, nil
}
