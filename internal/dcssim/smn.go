package dcssim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// SMN's limits on PublishMessage, as its API page gives them: a subject of at most 512
// bytes, a message (here each protocol's text in message_structure) of at most 256 KB.
const (
	SMNMaxSubject = 512
	SMNMaxMessage = 256 << 10
)

// SMN's own error codes, as its API reference writes them in an exception response
// ({"request_id", "code", "message"}): an unknown topic is 404 SMN.0006.
const (
	smnCodeNoTopic  = "SMN.0006"
	smnMsgNoTopic   = "Topic not found."
	smnCodeBadParam = "SMN.0001"
)

// smnPath is /v2/{project_id}/notifications/topics/{topic_urn}[/publish]: PublishMessage
// (POST .../publish) and ListTopicDetails (GET the topic itself).
var smnPath = regexp.MustCompile(`^/v2/([^/]+)/notifications/topics/([^/]+)(/publish)?$`)

// SMNMessage is one message PublishMessage accepted, as the simulated SMN keeps it.
type SMNMessage struct {
	ProjectID, TopicURN, AK string
	MessageID               string
	Subject                 string
	// Structure is message_structure decoded: protocol → text ("default", "email", "sms",
	// "http", "https").
	Structure map[string]string
}

type smnState struct {
	mu        sync.Mutex
	topics    map[string]bool // by URN
	published []SMNMessage
}

// AddTopic makes the simulated SMN know the topic urn (urn:smn:{region}:{project_id}:{name}):
// publishing to it or reading it succeeds; any other topic is SMN.0006.
func (s *Sim) AddTopic(urn string) {
	s.smn.mu.Lock()
	defer s.smn.mu.Unlock()
	if s.smn.topics == nil {
		s.smn.topics = map[string]bool{}
	}
	s.smn.topics[urn] = true
}

// Published returns the messages SMN accepted, oldest first.
func (s *Sim) Published() []SMNMessage {
	s.smn.mu.Lock()
	defer s.smn.mu.Unlock()
	return append([]SMNMessage(nil), s.smn.published...)
}

type smnError struct {
	RequestID string `json:"request_id"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// serveSMN answers PublishMessage and ListTopicDetails: the gateway's checks first (the
// route, the signature, its throttling, a queued fault for the project), then SMN's own
// (the topic, the body's schema and limits).
func (s *Sim) serveSMN(w http.ResponseWriter, r *http.Request, m []string, reqID string) {
	at := s.now()
	projectID, urn, publish := m[1], m[2], m[3] != ""
	s.mu.Lock()
	s.stats.Requests++
	s.requests[projectID]++
	f := s.popFault(projectID)
	s.mu.Unlock()
	if f != nil && s.applyFault(w, r, *f, reqID) {
		return
	}
	method := http.MethodGet
	if publish {
		method = http.MethodPost
	}
	if r.Method != method {
		w.Header().Set("Allow", method)
		s.replyJSON(w, http.StatusMethodNotAllowed, gatewayError{codeNoAPI, msgNoAPI, reqID})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 2*SMNMaxMessage+64<<10))
	if err != nil {
		s.replyJSON(w, http.StatusBadRequest, smnError{reqID, smnCodeBadParam, "unreadable body"})
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body)) // the signature covers it
	ak, err := s.authenticate(r)
	if err != nil {
		s.replyJSON(w, http.StatusUnauthorized, gatewayError{codeBadAuth, msgBadAuth + err.Error(), reqID})
		return
	}
	s.arrived(ak, at)
	if s.throttled() {
		s.replyJSON(w, http.StatusTooManyRequests, defaultError(http.StatusTooManyRequests, reqID))
		return
	}
	s.smn.mu.Lock()
	known := s.smn.topics[urn]
	s.smn.mu.Unlock()
	parts := strings.Split(urn, ":")
	if !known || len(parts) != 5 || parts[3] != projectID {
		s.replyJSON(w, http.StatusNotFound, smnError{reqID, smnCodeNoTopic, smnMsgNoTopic})
		return
	}
	if !publish {
		s.replyJSON(w, http.StatusOK, map[string]any{"request_id": reqID, "topic_urn": urn, "name": parts[4],
			"display_name": parts[4], "push_policy": 0})
		return
	}
	msg, bad := parsePublish(body)
	if bad != "" {
		s.replyJSON(w, http.StatusBadRequest, smnError{reqID, smnCodeBadParam, bad})
		return
	}
	msg.ProjectID, msg.TopicURN, msg.AK = projectID, urn, ak
	msg.MessageID = fmt.Sprintf("%032x", reqID)[:32]
	s.smn.mu.Lock()
	s.smn.published = append(s.smn.published, msg)
	s.smn.mu.Unlock()
	s.replyJSON(w, http.StatusOK, map[string]string{"request_id": reqID, "message_id": msg.MessageID})
}

// parsePublish checks a PublishMessage body as SMN does for a message_structure: JSON,
// a subject within its limit, and a structure that is a JSON object of strings with a
// "default", each UTF-8 and within the message limit. It names what is wrong.
func parsePublish(body []byte) (SMNMessage, string) {
	var b struct {
		Subject          *string `json:"subject"`
		MessageStructure *string `json:"message_structure"`
		Message          *string `json:"message"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return SMNMessage{}, "body is not a PublishMessage request: " + err.Error()
	}
	var m SMNMessage
	if b.Subject != nil {
		if len(*b.Subject) > SMNMaxSubject || !utf8.ValidString(*b.Subject) {
			return m, "subject is longer than 512 bytes or not UTF-8"
		}
		m.Subject = *b.Subject
	}
	if b.MessageStructure == nil {
		return m, "message_structure is missing"
	}
	if err := json.Unmarshal([]byte(*b.MessageStructure), &m.Structure); err != nil {
		return m, "message_structure is not a JSON object of strings"
	}
	if _, ok := m.Structure["default"]; !ok {
		return m, "message_structure has no default"
	}
	for p, v := range m.Structure {
		if len(v) > SMNMaxMessage || !utf8.ValidString(v) {
			return m, "message_structure." + p + " is longer than 256 KB or not UTF-8"
		}
	}
	return m, ""
}
