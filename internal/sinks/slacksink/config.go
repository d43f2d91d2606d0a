package slacksink

import (
	"errors"
	"fmt"
	"net/url"
	"strings"

	"notifier/internal/confkit"
	"notifier/internal/receiver"
	"notifier/internal/secret"
)

// WebhookConfig is one Slack incoming webhook and the events it receives
// ([[slack.webhooks]]). Its URL is a secret, so the file only names where to read it.
type WebhookConfig struct {
	receiver.Common
	URLEnv  string `toml:"url_env"`
	URLFile string `toml:"url_file"`
}

// DefaultAPIURL is slack.channels[].api_url's default: Slack's Web API.
const DefaultAPIURL = "https://slack.com/api/"

// ChannelConfig is one Slack channel where a bot keeps one live card per task
// ([[slack.channels]]): the card is posted at the task's first event and updated in place
// after. Its bot token is a secret, so the file only names where to read it.
type ChannelConfig struct {
	receiver.Common
	BotTokenEnv   string `toml:"bot_token_env"`
	BotTokenFile  string `toml:"bot_token_file"`
	Channel       string `toml:"channel"`              // a channel id such as C0123456789
	APIURL        string `toml:"api_url" redact:"url"` // Defaults: DefaultAPIURL; a proxy or a test server
	ThreadReplies bool   `toml:"thread_replies"`       // each later event also replies in the card's thread
}

func validateWebhook(w *WebhookConfig, key string, p *confkit.Problems) {
	if (w.URLEnv == "") == (w.URLFile == "") {
		p.Add(key, "exactly one of url_env and url_file must be set")
	}
	p.EnvName(key+".url_env", w.URLEnv, false)
}

// readURL reads the webhook's URL; its error names the key it came through.
func readURL(w *WebhookConfig, key string, getenv func(string) string) (secret.Secret, error) {
	u, err := secret.Read(w.URLEnv, w.URLFile, getenv)
	if err != nil {
		k := "url_file"
		if w.URLEnv != "" {
			k = "url_env"
		}
		return "", fmt.Errorf("%s.%s: %w", key, k, err)
	}
	return u, nil
}

// checkWebhook reads the webhook's URL as Open will and checks its form. The URL is a
// secret: messages name where it came from, never what it is.
func checkWebhook(w *WebhookConfig, key string, getenv func(string) string) []error {
	from := "environment variable " + w.URLEnv
	if w.URLFile != "" {
		key, from = key+".url_file", "file "+w.URLFile
	} else {
		key += ".url_env"
	}
	raw, err := secret.Read(w.URLEnv, w.URLFile, getenv)
	switch {
	case errors.Is(err, secret.ErrUnset):
		return []error{fmt.Errorf("%s: environment variable %s is empty or unset (receiver %q)", key, w.URLEnv, w.Name)}
	case err != nil:
		return []error{fmt.Errorf("%s: %w (receiver %q)", key, err, w.Name)}
	}
	// Not quoting url.Parse's error: it holds the URL.
	u, perr := url.Parse(raw.Reveal())
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return []error{fmt.Errorf("%s: the webhook URL in %s is not an absolute http(s) URL (receiver %q)", key, from, w.Name)}
	}
	return nil
}

func channelDefaults(ch *ChannelConfig, _ func(string) bool) {
	if ch.APIURL == "" {
		ch.APIURL = DefaultAPIURL
	}
}

func validateChannel(ch *ChannelConfig, key string, p *confkit.Problems) {
	if (ch.BotTokenEnv == "") == (ch.BotTokenFile == "") {
		p.Add(key, "exactly one of bot_token_env and bot_token_file must be set")
	}
	p.EnvName(key+".bot_token_env", ch.BotTokenEnv, false)
	switch c := strings.TrimSpace(ch.Channel); {
	case c == "":
		p.Add(key+".channel", "required: the id of the channel, such as \"C0123456789\"")
	case c != ch.Channel || strings.ContainsAny(c, " \t\n,"):
		p.Add(key+".channel", "%q must be one channel id, such as \"C0123456789\", without spaces", ch.Channel)
	}
	if ch.APIURL != "" {
		p.Endpoint(key+".api_url", ch.APIURL)
	}
}

// ReadToken reads the channel's bot token, configured at key, as Open does. Its error
// names the key and where the token was to come from, never the token.
func (ch *ChannelConfig) ReadToken(key string, getenv func(string) string) (secret.Secret, error) {
	tok, err := secret.Read(ch.BotTokenEnv, ch.BotTokenFile, getenv)
	if err != nil {
		k := key + ".bot_token_env"
		if ch.BotTokenFile != "" {
			k = key + ".bot_token_file"
		}
		return "", fmt.Errorf("%s: %w (receiver %q)", k, err, ch.Name)
	}
	return tok, nil
}

func checkChannel(ch *ChannelConfig, key string, getenv func(string) string) []error {
	if _, err := ch.ReadToken(key, getenv); err != nil {
		return []error{err}
	}
	return nil
}
