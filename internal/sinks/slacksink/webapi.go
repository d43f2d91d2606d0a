package slacksink

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/slack-go/slack"

	"notifier/internal/retry"
)

// apiError is an answer of Slack's Web API with ok:false: the method and Slack's error
// code, which is all it says (never the token, never the URL).
type apiError struct{ method, code string }

func (e *apiError) Error() string { return "slack " + e.method + ": " + e.code }

// Codes of Slack's Web API errors by what they mean for the receiver.
var (
	// The receiver cannot post anything until someone fixes the token or the channel.
	receiverCodes = map[string]string{
		"invalid_auth":      "the bot token is not valid",
		"not_authed":        "no bot token was sent",
		"token_revoked":     "the bot token was revoked",
		"token_expired":     "the bot token expired",
		"account_inactive":  "the bot's account or workspace is deactivated",
		"channel_not_found": "the channel does not exist or the bot cannot see it",
		"not_in_channel":    "the bot is not a member of the channel: invite it (/invite @bot)",
		"is_archived":       "the channel is archived",
		"missing_scope":     "the bot token lacks the chat:write scope",
	}
	// This message cannot be posted, others may.
	messageCodes = map[string]bool{"invalid_blocks": true, "msg_too_long": true, "invalid_attachments": true, "no_text": true}
	// The card is gone: post a new one.
	goneCodes = map[string]bool{"message_not_found": true, "cant_update_message": true, "edit_window_closed": true}
	// Worth trying again later.
	transientCodes = map[string]bool{"ratelimited": true, "internal_error": true, "fatal_error": true,
		"service_unavailable": true, "request_timeout": true}
)

// classify turns an error of slack-go into one the Dispatcher understands: a 429 carries
// its Retry-After (*retry.RetryAfterError); an ok:false answer is an *apiError, wrapped
// with retry.PermanentRest when no event can reach this receiver (a bad token, a channel
// the bot is not in), with retry.Permanent when only this message cannot be posted, and
// left retryable when Slack says to wait (ratelimited) or failed itself; an HTTP 4xx is
// permanent for the receiver and a 5xx retryable, as is a failed transport. No error
// quotes the API URL (url.Error does) or the token.
func classify(method string, err error) error {
	var (
		rl *slack.RateLimitedError
		se slack.SlackErrorResponse
		sc slack.StatusCodeError
		ue *url.Error
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &rl):
		return &retry.RetryAfterError{After: rl.RetryAfter,
			Err: fmt.Errorf("slack %s: HTTP 429 rate limited, retry after %s", method, rl.RetryAfter)}
	case errors.As(err, &se):
		e := &apiError{method: method, code: se.Err}
		switch {
		case receiverCodes[se.Err] != "":
			return retry.PermanentRest(e)
		case transientCodes[se.Err], goneCodes[se.Err]:
			return e
		}
		// An unknown code is about this request: retrying it would block the queue.
		return retry.Permanent(e)
	case errors.As(err, &sc):
		e := fmt.Errorf("slack %s: HTTP %d", method, sc.Code)
		if sc.Code >= 500 || sc.Code == http.StatusTooManyRequests {
			return e
		}
		// A 4xx other than 429: api_url is wrong (404) or a proxy refuses us.
		return retry.PermanentRest(e)
	case errors.As(err, &ue):
		return fmt.Errorf("slack %s: %w", method, ue.Err) // url.Error quotes the URL
	}
	return fmt.Errorf("slack %s: %w", method, err)
}

// code returns the Slack error code of err, or "".
func codeOf(err error) string {
	var e *apiError
	if errors.As(err, &e) {
		return e.code
	}
	return ""
}

// bearer moves the token slack-go puts in a form body into the Authorization header, as
// Slack recommends: a body may be logged by a proxy, and the header is what a server that
// checks tokens expects first.
type bearer struct{ next http.RoundTripper }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return b.next.RoundTrip(r)
	}
	raw, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil {
		return nil, err
	}
	vals, perr := url.ParseQuery(string(raw))
	if perr != nil || !vals.Has("token") {
		r2 := r.Clone(r.Context())
		r2.Body = io.NopCloser(strings.NewReader(string(raw)))
		return b.next.RoundTrip(r2)
	}
	tok := vals.Get("token")
	vals.Del("token")
	body := vals.Encode()
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+tok)
	r2.Body = io.NopCloser(strings.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(body)), nil }
	return b.next.RoundTrip(r2)
}
