package dcssim

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	contentTypeJSON = "application/json;charset=UTF-8"
	codeBadParam    = "111400063" // DCS: invalid parameter
	codeNoAPI       = "APIGW.0101"
	codeBadAuth     = "APIGW.0301"
	msgNoAPI        = "The API does not exist or has not been published in the environment"
	msgBadAuth      = "Incorrect IAM authentication information: "
)

// dcsError is the error body of the DCS service itself.
type dcsError struct {
	ErrorCode   string  `json:"error_code"`
	ErrorMsg    string  `json:"error_msg"`
	ErrorExtMsg *string `json:"error_ext_msg"` // always null, as documented
}

// gatewayError is the error body of the API gateway in front of DCS, which adds the request id.
type gatewayError struct {
	ErrorCode string `json:"error_code"`
	ErrorMsg  string `json:"error_msg"`
	RequestID string `json:"request_id"`
}

// listResponse is the body of a successful ListCenterTask. task_count is a number, as in the
// vendor's example, although the page's table says String.
type listResponse struct {
	TaskCount int    `json:"task_count"`
	Tasks     []Task `json:"tasks"`
}

// listQuery is a validated query string.
type listQuery struct {
	offset, limit int
	start, end    time.Time // zero when absent
}

// ServeHTTP answers GET /v2/{project_id}/tasks like ListCenterTask; every other path gets the
// gateway's 404. The order of checks follows the gateway: route, method, authentication,
// then the service's own parameter validation. A queued fault is consumed by each request that
// reaches the tasks path, before any check.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	at := s.now() // the arrival, before any work of the simulator's own
	reqID := fmt.Sprintf("%016x%016x", rand.Uint64(), rand.Uint64())
	w.Header().Set("X-Request-Id", reqID)

	if r.URL.Path == iamProjectsPath {
		s.serveIAM(w, r, reqID)
		return
	}
	if m := smnPath.FindStringSubmatch(r.URL.Path); m != nil {
		s.serveSMN(w, r, m, reqID)
		return
	}
	projectID, ok := parsePath(r.URL.Path)
	s.mu.Lock()
	s.stats.Requests++
	var f *Fault
	if ok {
		s.requests[projectID]++
		f = s.popFault(projectID)
	}
	s.mu.Unlock()

	if !ok {
		s.replyJSON(w, http.StatusNotFound, gatewayError{codeNoAPI, msgNoAPI, reqID})
		return
	}
	if f != nil && s.applyFault(w, r, *f, reqID) {
		return
	}
	rw := w
	if f != nil && f.Truncate {
		rw = &truncator{ResponseWriter: w}
	}
	s.serveTasks(rw, r, projectID, reqID, at)
}

// serveTasks answers a request for the tasks path once faults are dealt with.
func (s *Sim) serveTasks(w http.ResponseWriter, r *http.Request, projectID, reqID string, at time.Time) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		s.replyJSON(w, http.StatusMethodNotAllowed, gatewayError{codeNoAPI, msgNoAPI, reqID})
		return
	}
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
	q, bad := s.parseQuery(r.URL.Query())
	if bad != "" {
		s.replyJSON(w, http.StatusBadRequest, dcsError{ErrorCode: codeBadParam, ErrorMsg: "Invalid parameter: " + bad})
		return
	}
	pg, ok := s.list(ak, projectID, q)
	if !ok {
		msg := msgBadAuth + "the project " + projectID + " does not match the credential"
		s.replyJSON(w, http.StatusUnauthorized, gatewayError{codeBadAuth, msg, reqID})
		return
	}
	body, err := s.encodePage(pg)
	if err != nil {
		s.replyJSON(w, http.StatusOK, pg.resp) // replyJSON answers the encoding error
		return
	}
	s.reply(w, http.StatusOK, contentTypeJSON, body)
}

// parsePath returns the project id of a /v2/{project_id}/tasks path.
func parsePath(path string) (string, bool) {
	parts := strings.Split(path, "/")
	if len(parts) != 4 || parts[0] != "" || parts[1] != "v2" || parts[2] == "" || parts[3] != "tasks" {
		return "", false
	}
	return parts[2], true
}

// parseQuery validates the query string; on failure it returns the name of the bad parameter.
// Parameters the API does not know are ignored, including the window name not configured.
func (s *Sim) parseQuery(v url.Values) (listQuery, string) {
	q := listQuery{limit: 10}
	if _, ok := v["offset"]; ok {
		n, err := strconv.Atoi(v.Get("offset"))
		if err != nil || n < 0 {
			return q, "offset"
		}
		q.offset = n
	}
	if _, ok := v["limit"]; ok {
		n, err := strconv.Atoi(v.Get("limit"))
		if err != nil || n < 1 || n > 1000 {
			return q, "limit"
		}
		q.limit = n
	}
	if s.pageCap > 0 {
		q.limit = min(q.limit, s.pageCap)
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{s.startParam, &q.start}, {"end_time", &q.end}} {
		if _, ok := v[p.name]; !ok || s.v.ignoreWindow {
			continue
		}
		t, err := time.ParseInLocation(WindowLayout, v.Get(p.name), time.UTC)
		if err != nil {
			return q, p.name
		}
		*p.dst = t
	}
	return q, ""
}

// listing is a page to send: the response, and the tasks' encodings known when it was read.
type listing struct {
	resp listResponse
	enc  [][]byte // by task of resp.Tasks; nil: not encoded yet
	p    *project
	gen  uint64 // p.gen when it was read
}

// list pages the project's tasks; it reports false for an unknown project, or one of
// another account than the access key ak.
func (s *Sim) list(ak, projectID string, q listQuery) (listing, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.projects[projectID]
	if !ok || !s.owns(ak, p) {
		return listing{}, false
	}
	pg := listing{resp: listResponse{Tasks: []Task{}}, p: p, gen: p.gen}
	for t := range s.v.order(p) {
		if !s.v.inWindow(t, q) {
			continue
		}
		if pg.resp.TaskCount >= q.offset && len(pg.resp.Tasks) < q.limit {
			// Stored tasks are replaced, never written, so the copy can be encoded unlocked.
			t.layout = s.v.timeFormat
			pg.resp.Tasks = append(pg.resp.Tasks, t)
			pg.enc = append(pg.enc, p.enc[t.ID])
		}
		pg.resp.TaskCount++
	}
	if s.v.countIsPageSize {
		pg.resp.TaskCount = len(pg.resp.Tasks)
	}
	return pg, true
}

// encodePage returns the body of pg: exactly json.Marshal(pg.resp), built from each task's
// encoding (json.Marshal of a Task is what Marshal writes for it inside the response).
// Tasks not encoded yet are encoded here, outside the lock, and kept unless the project
// changed meanwhile. A task's encoding depends only on the task and the Sim's options,
// which never change.
func (s *Sim) encodePage(pg listing) ([]byte, error) {
	var fresh map[string][]byte
	size := 40
	for i, t := range pg.resp.Tasks {
		if pg.enc[i] == nil {
			b, err := json.Marshal(t)
			if err != nil {
				return nil, err
			}
			pg.enc[i] = b
			if fresh == nil {
				fresh = make(map[string][]byte)
			}
			fresh[t.ID] = b
		}
		size += len(pg.enc[i]) + 1
	}
	body := make([]byte, 0, size)
	body = append(body, `{"task_count":`...)
	body = strconv.AppendInt(body, int64(pg.resp.TaskCount), 10)
	body = append(body, `,"tasks":[`...)
	for i, b := range pg.enc {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, b...)
	}
	body = append(body, "]}"...)
	if fresh != nil {
		s.mu.Lock()
		if pg.p.gen == pg.gen {
			maps.Copy(pg.p.enc, fresh)
		}
		s.mu.Unlock()
	}
	return body, nil
}

// replyJSON encodes v and sends it with status.
func (s *Sim) replyJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body, _ = json.Marshal(dcsError{ErrorCode: "111500001", ErrorMsg: "Internal error: " + err.Error()})
	}
	s.reply(w, status, contentTypeJSON, body)
}

// reply sends body with status and counts the status.
func (s *Sim) reply(w http.ResponseWriter, status int, contentType string, body []byte) {
	s.mu.Lock()
	s.stats.ByStatus[status]++
	s.mu.Unlock()
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
