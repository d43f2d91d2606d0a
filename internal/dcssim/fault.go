package dcssim

import (
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Fault is one misbehaviour of the API, injected with InjectFault.
type Fault struct {
	// Status is the HTTP status to answer with instead of the normal response; 0 means the
	// normal response (to combine with Truncate or Delay). A Status without Body gets the error
	// body the real service or gateway sends for it (429 is APIGW.0308, 401 APIGW.0301, ...).
	Status int
	// RetryAfter is sent as the Retry-After header if not empty.
	RetryAfter string
	// Body is sent instead of the default body, e.g. an HTML page with Status 200 (or 0).
	// A body starting with '<' is sent as text/html.
	Body string
	// Truncate sends the normal response with its full Content-Length but only half of the
	// body, then drops the connection: the client sees io.ErrUnexpectedEOF while reading.
	Truncate bool
	// Delay holds the answer back; the wait ends early, with no answer, when the client goes.
	Delay time.Duration
	// Project, when set, makes the fault wait for a request for that project; other
	// requests pass it by.
	Project string
}

// InjectFault queues f. Queued faults are consumed first in, first out, one by each request
// that reaches the tasks path, whatever its project unless f.Project says.
func (s *Sim) InjectFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// popFault takes the next queued fault, if any. s.mu must be held.
func (s *Sim) popFault(projectID string) *Fault {
	for i, f := range s.faults {
		if f.Project != "" && f.Project != projectID {
			continue
		}
		s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		s.stats.Faults++
		return &f
	}
	return nil
}

// applyFault plays f; it reports whether the request has been answered (or abandoned), and
// otherwise leaves the normal response to the caller.
func (s *Sim) applyFault(w http.ResponseWriter, r *http.Request, f Fault, reqID string) bool {
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		defer t.Stop()
		select {
		case <-r.Context().Done():
			return true
		case <-t.C:
		}
	}
	if f.RetryAfter != "" {
		w.Header().Set("Retry-After", f.RetryAfter)
	}
	if f.Status == 0 && f.Body == "" {
		return false
	}
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if f.Truncate {
		w = &truncator{ResponseWriter: w}
	}
	if f.Body != "" {
		ct := contentTypeJSON
		if strings.HasPrefix(strings.TrimSpace(f.Body), "<") {
			ct = "text/html;charset=UTF-8"
		}
		s.reply(w, status, ct, []byte(f.Body))
		return true
	}
	s.replyJSON(w, status, defaultError(status, reqID))
	return true
}

// defaultError is the body the live API sends with status: gateway errors carry an APIGW code
// and the request id, the service's own a numeric DCS code and a null error_ext_msg.
func defaultError(status int, reqID string) any {
	gw := func(code, msg string) any { return gatewayError{code, msg, reqID} }
	switch status {
	case http.StatusBadRequest:
		return dcsError{ErrorCode: codeBadParam, ErrorMsg: "Invalid parameter"}
	case http.StatusUnauthorized:
		return gw(codeBadAuth, msgBadAuth+"verify aksk signature fail")
	case http.StatusForbidden:
		return gw("APIGW.0302", "The IAM user is not authorized to access the API")
	case http.StatusNotFound:
		return gw(codeNoAPI, msgNoAPI)
	case http.StatusTooManyRequests:
		return gw("APIGW.0308", "The throttling threshold has been reached: policy user over ratelimit,limit:5,time:1 second")
	case http.StatusBadGateway, http.StatusServiceUnavailable:
		return gw("APIGW.0202", "Backend unavailable")
	case http.StatusGatewayTimeout:
		return gw("APIGW.0203", "Backend timeout")
	case http.StatusInternalServerError:
		return dcsError{ErrorCode: "111500001", ErrorMsg: "Internal service error"}
	}
	return dcsError{ErrorCode: fmt.Sprintf("111%03d000", status), ErrorMsg: http.StatusText(status)}
}

// truncator passes on only the first half of the body and drops the rest. The Content-Length
// already set for the whole body tells the server the response is cut short, so it closes the
// connection once the handler returns.
type truncator struct {
	http.ResponseWriter
}

// Write writes half of p and flushes it so the client receives that much.
func (t *truncator) Write(p []byte) (int, error) {
	n, err := t.ResponseWriter.Write(p[:len(p)/2])
	if fl, ok := t.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}

// ClearFaults drops the faults still queued: the API behaves normally again.
func (s *Sim) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}
