package slacksink

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"golang.org/x/time/rate"

	"notifier/internal/event"
	"notifier/internal/httpx"
	"notifier/internal/linktmpl"
	"notifier/internal/msgtmpl"
	"notifier/internal/retry"
	"notifier/internal/secret"
	"notifier/internal/sinks"
)

// Pacer spaces the new messages of one channel: Wait returns when the next may go, or
// with ctx's error. *rate.Limiter is one.
type Pacer interface {
	Wait(ctx context.Context) error
}

// NewPacer returns the pace Slack documents for posting to one channel: one new message
// a second (a short burst is tolerated; we do not use it). Card updates are not paced.
func NewPacer() Pacer { return rate.NewLimiter(rate.Every(time.Second), 1) }

// DefaultKeep is how long a channel receiver remembers a task's card after its last
// change when ChannelOptions.Keep is zero.
const DefaultKeep = 9 * 24 * time.Hour

// ChannelOptions configure one slack.channels receiver.
type ChannelOptions struct {
	Key     string        // where it is configured (slack.channels[1]), for error messages
	Channel ChannelConfig // validated, with its defaults; its Name names the sink
	Token   secret.Secret // the bot token, read by the caller (ChannelConfig.ReadToken)
	Client  *http.Client  // nil: a client with a 10s timeout; redirects are never followed
	Log     zerolog.Logger
	Now     func() time.Time // nil: time.Now
	Pace    Pacer            // nil: NewPacer(); share one between receivers of one channel
	// Keep is how long a card is remembered after the task's last event: a later event
	// of the task posts a new card. 0: DefaultKeep.
	Keep     time.Duration
	Statuses event.Statuses // nil: event.DefaultStatuses
	Links    []linktmpl.Link
	// During names the maintenance window ([[mute]]) in which an event's task started, if
	// one muted this receiver for it; the card then says so. nil: never.
	During func(e *event.Event) string
	// Template is the receiver's message template; nil: the built-in text.
	Template *msgtmpl.Renderer
}

// Channel keeps one live card per task in a Slack channel, with a bot token and the Web
// API (chat.postMessage, chat.update). It implements sinks.Remembering: a card's ts is
// kept in the memory of the task's project, saved with its state, so a restart, a
// SIGKILL or a fail-over updates the same card. It keeps nothing per task in its own
// fields, so the Dispatchers of several shards may share it.
type Channel struct {
	name, channel string
	api           *slack.Client
	threads       bool
	log           zerolog.Logger
	now           func() time.Time
	pace          Pacer
	keep          time.Duration
	st            event.Statuses
	links         []Link
	during        func(e *event.Event) string
	tmpl          *msgtmpl.Renderer

	mu   sync.Mutex
	told map[string]bool // error codes already logged with their explanation
}

// NewChannel builds the receiver from a validated entry and checks the token read for it.
// Its errors name the key and never contain the token.
func NewChannel(o ChannelOptions) (*Channel, error) {
	tok := o.Token.Reveal()
	if tok == "" || strings.ContainsAny(tok, " \t\r\n") {
		return nil, fmt.Errorf("%s: the bot token is empty or contains white space", o.Key)
	}
	apiURL := o.Channel.APIURL
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/" // slack-go appends the method name
	}
	links, err := NewLinks(o.Links)
	if err != nil {
		return nil, err
	}
	client := httpx.NewClient(o.Client)
	next := client.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	client.Transport = bearer{next: next}
	c := &Channel{
		name: o.Channel.Name, channel: o.Channel.Channel, threads: o.Channel.ThreadReplies,
		api: slack.New(tok, slack.OptionAPIURL(apiURL), slack.OptionHTTPClient(client)),
		now: o.Now, pace: o.Pace, keep: o.Keep, st: o.Statuses, links: links, during: o.During, tmpl: o.Template,
		log: o.Log.With().Str("receiver", o.Channel.Name).Logger(), told: map[string]bool{},
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.pace == nil {
		c.pace = NewPacer()
	}
	if c.keep <= 0 {
		c.keep = DefaultKeep
	}
	if c.st == nil {
		c.st = event.DefaultStatuses()
	}
	return c, nil
}

// Name returns the receiver's name, slack.channels[].name.
func (c *Channel) Name() string { return c.name }

// String returns Name, so that printing the receiver never prints its client.
func (c *Channel) String() string { return c.name }

// GoString returns Name, for %#v.
func (c *Channel) GoString() string { return c.name }

// Send delivers evs with no memory: each task event posts a new card (test-notification).
func (c *Channel) Send(ctx context.Context, evs []event.Event) (int, error) {
	return c.SendWith(ctx, evs, nil)
}

// SendWith delivers evs, which were routed to this receiver when they were committed. A
// task's first event posts its card, remembered at once; a later one updates the card
// and, with thread_replies, replies in its thread. Other events (a stuck task, a blind
// spot, a test) are messages of their own; a stuck task's goes to its card's thread when
// there is one. More than ten events go out as one digest, and the cards of their tasks
// are brought up to date. It returns how many events from the start are done.
func (c *Channel) SendWith(ctx context.Context, evs []event.Event, mem sinks.Memory) (int, error) {
	if mem == nil {
		mem = sinks.Forgetful{}
	}
	if len(evs) > digestOver {
		if err := c.digest(ctx, evs, mem); err != nil {
			return 0, c.told1(err)
		}
		return len(evs), nil
	}
	for i := range evs {
		if err := c.deliver(ctx, &evs[i], mem); err != nil {
			return i, c.told1(err)
		}
	}
	return len(evs), nil
}

// isTask reports whether e is about a task's status, which its card shows.
func isTask(e *event.Event) bool {
	return (e.Type == event.TypeCreated || e.Type == event.TypeStatusChanged) && e.Subject != "" && e.Data.ProjectID != ""
}

// recall returns the card remembered for e's task; a card of another channel is none.
func (c *Channel) recall(mem sinks.Memory, e *event.Event) card {
	v, _ := mem.Recall(e.Data.ProjectID, e.Subject)
	k, ok := decodeCard(v)
	if !ok || k.To != "" && k.To != c.channel {
		return card{}
	}
	return k
}

// remember keeps k for e's task. A failed save is kept by the ledger and saved with the
// next change, so it is only said.
func (c *Channel) remember(ctx context.Context, mem sinks.Memory, e *event.Event, k *card) {
	if err := mem.Remember(ctx, e.Data.ProjectID, map[string]string{e.Subject: k.encode()}); err != nil {
		c.log.Warn().Err(err).Str("project", e.Data.ProjectID).Str("task_id", e.Subject).
			Msg("could not save the task's card; a crash before the next save may post it again")
	}
}

func (c *Channel) deliver(ctx context.Context, e *event.Event, mem sinks.Memory) error {
	if !isTask(e) {
		if e.Type == event.TypeStuck && c.threads && e.Subject != "" {
			if k := c.recall(mem, e); k.TS != "" {
				err := c.reply(ctx, e, &k)
				if codeOf(err) != "thread_not_found" {
					return err
				}
				// The card was deleted: the alert goes to the channel rather than nowhere.
				c.log.Info().Str("task_id", e.Subject).Msg("the task's card is gone; the stuck alert is posted on its own")
			}
		}
		_, _, err := c.post(ctx, c.render(e))
		return err
	}
	k := c.recall(mem, e)
	if k.Event == e.ID {
		return nil // shown already: a retry after the event's delivery was not recorded
	}
	k.add(e)
	if k.TS != "" {
		err := c.update(ctx, e, &k)
		switch {
		case err == nil:
			if c.threads {
				if err := c.reply(ctx, e, &k); err != nil {
					if !messageOnly(err) {
						return err
					}
					c.log.Warn().Err(err).Str("task_id", e.Subject).Msg("the reply in the card's thread was refused; the card is up to date")
				}
			}
			c.remember(ctx, mem, e, &k)
			return nil
		case goneCodes[codeOf(err)]:
			c.log.Info().Str("code", codeOf(err)).Str("task_id", e.Subject).Msg("the task's card is gone; posting a new one")
		default:
			return err
		}
	}
	ch, ts, err := c.post(ctx, c.renderCard(e, &k))
	if err != nil {
		return err
	}
	k.TS, k.Channel, k.To = ts, first(ch, c.channel), c.channel
	c.remember(ctx, mem, e, &k) // at once: a crash from here on repeats an update, not the post
	return nil
}

// options are the chat.postMessage and chat.update arguments of m.
func options(m slack.WebhookMessage) []slack.MsgOption {
	return []slack.MsgOption{
		slack.MsgOptionText(m.Text, false), // escaped already
		slack.MsgOptionAttachments(m.Attachments...),
		slack.MsgOptionParse(false),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionDisableMediaUnfurl(),
	}
}

// post posts a new message to the channel, at the channel's pace, and returns the
// channel id and ts Slack answered with.
func (c *Channel) post(ctx context.Context, m slack.WebhookMessage, extra ...slack.MsgOption) (string, string, error) {
	if err := c.pace.Wait(ctx); err != nil {
		return "", "", err
	}
	ch, ts, err := c.api.PostMessageContext(ctx, c.channel, append(options(m), extra...)...)
	if err != nil {
		if ctx.Err() != nil {
			return "", "", ctx.Err()
		}
		return "", "", classify("chat.postMessage", err)
	}
	return ch, ts, nil
}

// update replaces the card with e's.
func (c *Channel) update(ctx context.Context, e *event.Event, k *card) error {
	m := c.renderCard(e, k)
	_, _, _, err := c.api.UpdateMessageContext(ctx, first(k.Channel, c.channel), k.TS, options(m)...)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return classify("chat.update", err)
}

// reply posts e in the card's thread, also to the channel when e is critical.
func (c *Channel) reply(ctx context.Context, e *event.Event, k *card) error {
	extra := []slack.MsgOption{slack.MsgOptionTS(k.TS)}
	if e.Data.Severity == event.Critical {
		extra = append(extra, slack.MsgOptionBroadcast())
	}
	_, _, err := c.post(ctx, replyOf(e, c.render(e)), extra...)
	return err
}

// told1 logs once, with what to do, an error that keeps every event from this receiver.
func (c *Channel) told1(err error) error {
	code := codeOf(err)
	if why := receiverCodes[code]; why != "" {
		c.mu.Lock()
		first := !c.told[code]
		c.told[code] = true
		c.mu.Unlock()
		if first {
			c.log.Error().Str("code", code).Str("channel", c.channel).
				Msgf("Slack refuses this receiver: %s; its events are dropped until this is fixed", why)
		}
	}
	return err
}

// messageOnly reports whether err refuses one message only (invalid_blocks), not the
// receiver: others may still go.
func messageOnly(err error) bool {
	code := codeOf(err)
	return retry.IsPermanent(err) && code != "" && receiverCodes[code] == ""
}

// renderCard is the card of e's task with its history, and the maintenance window the
// task started in, if any.
func (c *Channel) renderCard(e *event.Event, k *card) slack.WebhookMessage {
	m := RenderCard(e, c.now(), c.st, c.links, k.history())
	withTemplate(&m, c.tmpl, e)
	if c.during != nil {
		withWindow(&m, c.during(e))
	}
	return m
}

// render is e's message outside a card (a stuck task, a blind spot, a test), with the
// receiver's template.
func (c *Channel) render(e *event.Event) slack.WebhookMessage {
	m := RenderLinks(e, c.now(), c.st, c.links)
	withTemplate(&m, c.tmpl, e)
	return m
}
