package main

import "slices"

// receiverEnv are the lines of the help's "environment" that the receivers' secrets add:
// the configuration keys that name an environment variable, per receiver kind. It is the
// one part of the help that knows the kinds of receiver, so that the list can come from
// the kinds themselves.
func receiverEnv() []string {
	return []string{
		"slack.webhooks[].url_env  each Slack webhook's URL, as its url_env names it",
		"slack.channels[].bot_token_env  each Slack channel's bot token, as its bot_token_env names it",
		"nats.token_env, nats.user_env, nats.password_env  NATS credentials, when set",
	}
}

// secretEnv are every variable the configuration names for a secret: the DCS credentials
// and the receivers'.
func secretEnv() []string { return slices.Concat(dcsEnv, receiverEnv()) }
