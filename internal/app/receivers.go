package app

import (
	"slices"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/event"
	"notifier/internal/natsconn"
	"notifier/internal/secret"
	"notifier/internal/sinks"
	"notifier/internal/sinks/natssink"
	"notifier/internal/sinks/slacksink"
)

// receiver is a configured sink and the bound on its backlog (its max_pending).
type receiver struct {
	sink       sinks.Sink
	kind       string // "nats", "slack", "slack-channel", "pagerduty" or "alertmanager", for the status page
	maxPending int
	// fp is what the sink was opened from (its entry, its secrets, the settings of other
	// tables it reads: fingerprint): a reload keeps the sink, its worker and its backlog
	// while it is the same.
	fp string
}

// openReceivers connects every configured sink, in a stable order: NATS, then each Slack
// webhook, then each Slack channel. A new kind of receiver is one more block here. The NATS
// sink publishes on nc, the App's connection (dialNATS). On an error, what was opened is
// closed again. The receivers of one Slack channel share its pace in paces (by channel),
// whenever each was opened: new ones are added to it.
func openReceivers(cfg *config.Config, log zerolog.Logger, getenv func(string) string, paces map[string]slacksink.Pacer, nc *natsconn.Conn) ([]receiver, error) {
	return openSelected(cfg, log, getenv, nil, paces, nc)
}

// openSelected is openReceivers for the receivers whose name is in only, or every one when
// only is nil (test-notification opens the ones named, so another's missing secret does
// not matter; a reload opens the ones other than NATS). Errors name each receiver's key as
// configured. nc is the connection the NATS receiver publishes on (nil when it is not
// opened).
func openSelected(cfg *config.Config, log zerolog.Logger, getenv func(string) string, only []string, paces map[string]slacksink.Pacer, nc *natsconn.Conn) (_ []receiver, err error) {
	wanted := func(name string) bool { return only == nil || slices.Contains(only, name) }
	shared := sharedInputs(cfg)
	var out []receiver
	defer func() {
		if err != nil {
			closeReceivers(out)
			out = nil
		}
	}()
	if nc != nil && wanted(config.NATSReceiver) {
		ns, err := natssink.New(natssink.Options{
			Conn: nc, SubjectPrefix: cfg.NATS.SubjectPrefix, JetStream: cfg.NATS.JetStream,
			Stream: cfg.NATS.Stream, PublishTimeout: cfg.NATS.PublishTimeout.D(),
			Replicas: streamReplicas(cfg), Log: natsLog(log),
		})
		if err != nil {
			return nil, setupErr("nats.url: %w", err)
		}
		out = append(out, receiver{sink: ns, kind: "nats", maxPending: cfg.NATS.MaxPending, fp: config.NATSReceiver})
	}
	for i, w := range cfg.Slack.Webhooks {
		if !wanted(w.Name) {
			continue
		}
		url, err := secret.Read(w.URLEnv, w.URLFile, getenv)
		if err != nil {
			key := "url_file"
			if w.URLEnv != "" {
				key = "url_env"
			}
			return nil, setupErr("slack.webhooks[%d].%s: %w", i, key, err)
		}
		s, err := slacksink.New(slacksink.Options{Index: i, Webhook: w, URL: url,
			Statuses: event.NewStatuses(cfg.Poll.TerminalStatuses), Links: cfg.Slack.Links,
			Log: log, During: duringFor(cfg, w.Name)})
		if err != nil {
			return nil, &SetupError{err} // it names slack.webhooks[i] itself
		}
		out = append(out, receiver{sink: s, kind: "slack", maxPending: w.MaxPending, fp: fingerprint("slack", w, url.Reveal(), shared)})
	}
	// Receivers of one channel share its pace: Slack's limit is per channel.
	for i, ch := range cfg.Slack.Channels {
		if !wanted(ch.Name) {
			continue
		}
		tok, err := ch.ReadToken(i, getenv)
		if err != nil {
			return nil, &SetupError{err} // it names slack.channels[i] itself
		}
		if paces[ch.Channel] == nil {
			paces[ch.Channel] = slacksink.NewPacer()
		}
		s, err := slacksink.NewChannel(slacksink.ChannelOptions{Index: i, Channel: ch, Token: tok,
			Pace: paces[ch.Channel], Keep: cardKeep(cfg), Statuses: event.NewStatuses(cfg.Poll.TerminalStatuses),
			Links: cfg.Slack.Links, Log: log, During: duringFor(cfg, ch.Name)})
		if err != nil {
			return nil, &SetupError{err}
		}
		out = append(out, receiver{sink: s, kind: config.KindSlackChannel, maxPending: ch.MaxPending,
			fp: fingerprint(config.KindSlackChannel, ch, tok.Reveal(), shared)})
	}
	incidents, err := openIncident(cfg, log, getenv, wanted, shared)
	out = append(out, incidents...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// cardKeep is how long a Slack channel remembers a task's card after its last event: as
// long as the poller may still report on the task (poll.max_follow, then poll.lookback)
// and a day more, and at least slacksink.DefaultKeep.
func cardKeep(cfg *config.Config) time.Duration {
	return max(slacksink.DefaultKeep, cfg.Poll.MaxFollow.D()+cfg.Poll.Lookback.D()+24*time.Hour)
}

// closeReceivers closes the sinks that hold a connection.
func closeReceivers(rs []receiver) {
	for _, r := range rs {
		if c, ok := r.sink.(interface{ Close() }); ok {
			c.Close()
		}
	}
}

// streamReplicas is how many replicas a stream the notifier creates gets: as many as the
// state buckets in nats-kv mode, where losing a NATS node must lose nothing; else one.
func streamReplicas(c *config.Config) int {
	if c.State.Backend == "nats-kv" {
		return c.State.Replicas
	}
	return 1
}
