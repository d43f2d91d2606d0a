// Package chatfake holds httptest fakes of the group-chat robots' webhooks — Feishu's
// custom bot, DingTalk's custom robot, WeCom's group robot — that check what the real ones
// check: the token in the URL, the JSON schema of each message type, the signature as the
// vendor documents it (recomputed here with the standard library), the timestamp's
// freshness (one hour), the keyword when one is set, and the rate limit (so many
// messages a minute); and that answer as the real ones do, with their error codes, at
// HTTP 200. Tests only.
package chatfake

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Request is one message a fake took or refused.
type Request struct {
	Query url.Values // the request's query parameters
	Body  map[string]any
	Raw   []byte
	Code  int // the code it answered; 0: taken
}

// Answer is an answer a test forces on the next request, before any check: a status and
// a body.
type Answer struct {
	Status int
	Body   string
}

// core is what every fake has: its server, its clock, the requests it saw, its rate
// limit and the answers a test forces.
type core struct {
	*httptest.Server
	mu     sync.Mutex
	now    func() time.Time
	limit  int // messages a minute
	burst  int // messages a second; 0: no such limit
	sent   []time.Time
	reqs   []Request
	forced []Answer
}

func (c *core) init(h http.HandlerFunc, limit int) {
	c.now, c.limit = time.Now, limit
	c.Server = httptest.NewServer(h)
}

// SetNow sets the fake's clock (timestamps' freshness, the rate limit's minute).
func (c *core) SetNow(now func() time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = now
}

// Force makes the next requests get these answers, in order.
func (c *core) Force(a ...Answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forced = append(c.forced, a...)
}

// Requests returns what the fake saw, in order.
func (c *core) Requests() []Request {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Request(nil), c.reqs...)
}

// Taken returns the bodies of the messages the fake took.
func (c *core) Taken() []map[string]any {
	var out []map[string]any
	for _, r := range c.Requests() {
		if r.Code == 0 {
			out = append(out, r.Body)
		}
	}
	return out
}

// Refused returns the codes of the requests the fake refused, in order.
func (c *core) Refused() []int {
	var out []int
	for _, r := range c.Requests() {
		if r.Code != 0 {
			out = append(out, r.Code)
		}
	}
	return out
}

// read reads a request: a forced answer, or its body decoded. ok is false when an
// answer was written.
func (c *core) read(w http.ResponseWriter, r *http.Request) (req Request, ok bool) {
	raw, _ := io.ReadAll(r.Body)
	req = Request{Query: r.URL.Query(), Raw: raw}
	c.mu.Lock()
	if len(c.forced) > 0 {
		a := c.forced[0]
		c.forced = c.forced[1:]
		c.mu.Unlock()
		req.Code = -1
		c.record(req)
		w.WriteHeader(a.Status)
		_, _ = io.WriteString(w, a.Body)
		return req, false
	}
	c.mu.Unlock()
	if r.Method != http.MethodPost {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return req, false
	}
	_ = json.Unmarshal(raw, &req.Body)
	return req, true
}

// limited counts a message against the rate limit: true when it is over it.
func (c *core) limited() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	i := 0
	for i < len(c.sent) && !c.sent[i].After(now.Add(-time.Minute)) {
		i++
	}
	c.sent = c.sent[i:]
	if len(c.sent) >= c.limit {
		return true
	}
	if c.burst > 0 {
		n := 0
		for _, t := range c.sent {
			if t.After(now.Add(-time.Second)) {
				n++
			}
		}
		if n >= c.burst {
			return true
		}
	}
	c.sent = append(c.sent, now)
	return false
}

func (c *core) clock() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *core) record(r Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reqs = append(c.reqs, r)
}

// answer records req with code and writes body as JSON, at HTTP 200 as the robots do.
func (c *core) answer(w http.ResponseWriter, req Request, code int, body map[string]any) {
	req.Code = code
	c.record(req)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// Helpers reading a decoded body.

func obj(v any) (map[string]any, bool) { m, ok := v.(map[string]any); return m, ok }

func str(v any) (string, bool) {
	s, ok := v.(string)
	return s, ok && strings.TrimSpace(s) != ""
}

func list(v any) ([]any, bool) { l, ok := v.([]any); return l, ok }

// fresh reports whether ts is within an hour of now, as Feishu and DingTalk want.
func fresh(ts, now time.Time) bool {
	d := now.Sub(ts)
	return d < time.Hour && d > -time.Hour
}

// contains reports whether raw holds one of the keywords (none: any body does).
func contains(raw []byte, keywords []string) bool {
	if len(keywords) == 0 {
		return true
	}
	for _, k := range keywords {
		if strings.Contains(string(raw), k) {
			return true
		}
	}
	return false
}
