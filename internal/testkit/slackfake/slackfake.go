// Package slackfake is a fake of Slack's Web API for tests: chat.postMessage and
// chat.update, as slack-go calls them (form bodies) and as a JSON client would. It checks
// what Slack checks (the bot token, the channel, the message, the blocks' limits),
// answers as Slack does (200 with ok:false and an error code, 429 with Retry-After), and
// keeps the messages of each channel with their thread replies, so a test can read what a
// person would see. Faults are queued per method.
package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
)

// Message is a message as the channel shows it.
type Message struct {
	Channel     string
	TS          string
	ThreadTS    string // a reply: the ts of the message it replies to
	Broadcast   bool   // a reply also shown in the channel
	Text        string
	Attachments []Attachment
	Updates     int // how many times chat.update replaced it
}

// Attachment is the part of a message attachment tests look at; Raw is all of it.
type Attachment struct {
	Color  string          `json:"color"`
	Blocks json.RawMessage `json:"blocks"`
	Raw    json.RawMessage `json:"-"`
}

// Fault is the answer the next call of a method gets instead of its normal one.
type Fault struct {
	Status     int    // an HTTP status other than 200 (429, 500); 0 for 200
	RetryAfter string // the Retry-After header of a 429
	Error      string // with Status 0: ok:false with this error code
}

// Call is one request the server received.
type Call struct {
	Method string // chat.postMessage
	Bearer bool   // the token came in the Authorization header, not the body
	JSON   bool   // the body was JSON
}

// Server is a fake Slack Web API; its API URL (slack.channels[].api_url) is URL()+"/api/".
type Server struct {
	srv   *httptest.Server
	token string

	mu       sync.Mutex
	seq      int
	channels map[string][]*Message // channel → top-level messages, oldest first
	replies  map[string][]*Message // ts of a top-level message → its replies
	faults   map[string][]Fault
	calls    []Call
	gone     map[string]bool // channels that do not exist
}

// New starts a fake whose bot token is token; it stops with the test.
func New(t testing.TB, token string) *Server {
	s := &Server{token: token, channels: map[string][]*Message{}, replies: map[string][]*Message{},
		faults: map[string][]Fault{}, gone: map[string]bool{}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// APIURL is the base URL of the API, as slack.channels[].api_url takes it.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// Close stops the server: calls fail as a network failure would.
func (s *Server) Close() { s.srv.Close() }

// Fail queues faults for the next calls of method ("chat.postMessage", "chat.update").
func (s *Server) Fail(method string, fs ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults[method] = append(s.faults[method], fs...)
}

// NoChannel makes channel unknown: every call to it answers channel_not_found.
func (s *Server) NoChannel(channel string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gone[channel] = true
}

// Delete removes a message, as a person deleting the card would.
func (s *Server) Delete(channel, ts string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[channel] = slices.DeleteFunc(s.channels[channel], func(m *Message) bool { return m.TS == ts })
}

// Top returns copies of the top-level messages of channel, oldest first.
func (s *Server) Top(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copies(s.channels[channel])
}

// Replies returns copies of the replies in the thread of the message ts.
func (s *Server) Replies(ts string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return copies(s.replies[ts])
}

// Calls returns the requests received so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

func copies(ms []*Message) []Message {
	out := make([]Message, len(ms))
	for i, m := range ms {
		out[i] = *m
	}
	return out
}

// answer writes Slack's JSON answer: ok true with fields, or ok false with an error code.
func answer(w http.ResponseWriter, fields map[string]any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_ = json.NewEncoder(w).Encode(fields)
}

func refuse(w http.ResponseWriter, code string) {
	answer(w, map[string]any{"ok": false, "error": code})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	method, ok := strings.CutPrefix(r.URL.Path, "/api/")
	if !ok || (method != "chat.postMessage" && method != "chat.update") {
		http.NotFound(w, r) // a wrong api_url
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	args, isJSON, err := readArgs(r)
	if err != nil {
		refuse(w, "invalid_form_data")
		return
	}
	call := Call{Method: method, JSON: isJSON}
	tok := args.Get("token")
	if h := r.Header.Get("Authorization"); h != "" {
		bt, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			refuse(w, "invalid_auth")
			return
		}
		if tok != "" && tok != bt {
			refuse(w, "invalid_auth") // two different tokens
			return
		}
		tok, call.Bearer = bt, true
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, call)
	if fs := s.faults[method]; len(fs) > 0 {
		f := fs[0]
		s.faults[method] = fs[1:]
		switch {
		case f.Status == http.StatusTooManyRequests:
			if f.RetryAfter != "" {
				w.Header().Set("Retry-After", f.RetryAfter)
			}
			w.WriteHeader(f.Status)
			return
		case f.Status != 0:
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(f.Status)
			_, _ = io.WriteString(w, "<html><body>Slack is having trouble</body></html>")
			return
		}
		refuse(w, f.Error)
		return
	}
	switch {
	case tok == "":
		refuse(w, "not_authed")
		return
	case tok != s.token:
		refuse(w, "invalid_auth")
		return
	}
	ch := args.Get("channel")
	if ch == "" || s.gone[ch] {
		refuse(w, "channel_not_found")
		return
	}
	m, code := parseMessage(args)
	if code != "" {
		refuse(w, code)
		return
	}
	m.Channel = ch
	if method == "chat.update" {
		s.update(w, m, args.Get("ts"))
		return
	}
	s.post(w, m, args.Get("thread_ts"), args.Get("reply_broadcast") == "true")
}

func (s *Server) post(w http.ResponseWriter, m *Message, threadTS string, broadcast bool) {
	if threadTS != "" {
		if s.find(m.Channel, threadTS) == nil {
			refuse(w, "thread_not_found")
			return
		}
		m.ThreadTS, m.Broadcast = threadTS, broadcast
	}
	s.seq++
	m.TS = fmt.Sprintf("1700000000.%06d", s.seq)
	if threadTS != "" {
		s.replies[threadTS] = append(s.replies[threadTS], m)
	} else {
		s.channels[m.Channel] = append(s.channels[m.Channel], m)
	}
	answer(w, map[string]any{"ok": true, "channel": m.Channel, "ts": m.TS,
		"message": map[string]any{"type": "message", "text": m.Text, "ts": m.TS}})
}

func (s *Server) update(w http.ResponseWriter, m *Message, ts string) {
	if ts == "" {
		refuse(w, "invalid_arguments")
		return
	}
	old := s.find(m.Channel, ts)
	if old == nil {
		refuse(w, "message_not_found")
		return
	}
	old.Text, old.Attachments = m.Text, m.Attachments
	old.Updates++
	answer(w, map[string]any{"ok": true, "channel": m.Channel, "ts": ts, "text": m.Text})
}

func (s *Server) find(channel, ts string) *Message {
	for _, m := range s.channels[channel] {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

// readArgs reads a form body, or a JSON object whose values become strings as Slack
// reads them (attachments and blocks as JSON text).
func readArgs(r *http.Request) (url.Values, bool, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, false, err
	}
	if ct != "application/json" {
		v, err := url.ParseQuery(string(body))
		return v, false, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, true, err
	}
	v := url.Values{}
	for k, raw := range obj {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			v.Set(k, s)
			continue
		}
		v.Set(k, string(raw))
	}
	return v, true, nil
}

// Slack's limits, as its documentation states them.
const (
	maxText   = 40000
	maxBlocks = 50
	maxBlock  = 3000 // characters of a section's text
	maxField  = 2000
)

// parseMessage reads and checks a message's text, attachments and blocks; code is
// Slack's error code when it would refuse them.
func parseMessage(args url.Values) (*Message, string) {
	m := &Message{Text: args.Get("text")}
	if raw := args.Get("attachments"); raw != "" {
		var as []json.RawMessage
		if json.Unmarshal([]byte(raw), &as) != nil {
			return nil, "invalid_attachments"
		}
		for _, a := range as {
			var att Attachment
			if json.Unmarshal(a, &att) != nil {
				return nil, "invalid_attachments"
			}
			att.Raw = a
			if len(att.Blocks) > 0 && !validBlocks(att.Blocks) {
				return nil, "invalid_blocks"
			}
			m.Attachments = append(m.Attachments, att)
		}
	}
	if raw := args.Get("blocks"); raw != "" && !validBlocks(json.RawMessage(raw)) {
		return nil, "invalid_blocks"
	}
	switch {
	case len([]rune(m.Text)) > maxText:
		return nil, "msg_too_long"
	case strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0 && args.Get("blocks") == "":
		return nil, "no_text"
	}
	return m, ""
}

// validBlocks checks what Slack checks of the blocks we send: at most 50, each with a
// type, and section texts and fields within their limits.
func validBlocks(raw json.RawMessage) bool {
	var blocks []struct {
		Type string `json:"type"`
		Text *struct {
			Text string `json:"text"`
		} `json:"text"`
		Fields []struct {
			Text string `json:"text"`
		} `json:"fields"`
	}
	if json.Unmarshal(raw, &blocks) != nil || len(blocks) > maxBlocks {
		return false
	}
	for _, b := range blocks {
		if b.Type == "" {
			return false
		}
		if b.Text != nil && len([]rune(b.Text.Text)) > maxBlock {
			return false
		}
		if len(b.Fields) > 10 {
			return false
		}
		for _, f := range b.Fields {
			if len([]rune(f.Text)) > maxField {
				return false
			}
		}
	}
	return true
}
