package dcssim

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// Several accounts: each access key (Options.AK, or one added with AddAccount) signs with
// its own secret key, and a project added with AddProjectFor belongs to one account: a
// request for it signed by another account's key is refused like a project the credential
// may not use (401 APIGW.0301). IAM's KeystoneListAuthProjects (GET /v3/auth/projects)
// lists the projects of the calling account that have a name.

// iamProjectsPath is IAM's KeystoneListAuthProjects.
const iamProjectsPath = "/v3/auth/projects"

// AddAccount makes another access key known, signing with sk.
func (s *Sim) AddAccount(ak, sk string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.accounts[ak] = sk
}

// AddProjectFor adds projectID to the account of ak, named name in IAM (a region such as
// "cn-north-4", or a sub-project "cn-north-4_team"); an empty name keeps it out of IAM's
// list. A project that exists moves to that account and name, its tasks kept.
func (s *Sim) AddProjectFor(ak, projectID, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.project(projectID)
	p.owner, p.name = ak, name
}

// RemoveProject deletes a project and its tasks: IAM no longer lists it and its task list
// is refused.
func (s *Sim) RemoveProject(projectID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.projects, projectID)
}

// Arrivals returns when (by Now, read as the request arrives) each authenticated request
// for the tasks path signed by ak arrived, sorted; only with Options.RecordArrivals.
func (s *Sim) Arrivals(ak string) []time.Time {
	s.mu.Lock()
	at := slices.Clone(s.arrivals[ak])
	s.mu.Unlock()
	slices.SortFunc(at, time.Time.Compare)
	return at
}

func (s *Sim) arrived(ak string, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.record {
		s.arrivals[ak] = append(s.arrivals[ak], at)
	}
}

// secretKey returns the secret key of an access key.
func (s *Sim) secretKey(ak string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ak == s.ak && s.ak != "" {
		return s.sk, true
	}
	sk, ok := s.accounts[ak]
	return sk, ok
}

// owns reports whether a request signed by ak may read p. s.mu must be held.
func (s *Sim) owns(ak string, p *project) bool {
	return p.owner == "" || ak == "" || p.owner == ak
}

// iamProject is one entry of KeystoneListAuthProjects, as IAM writes it.
type iamProject struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description"`
	DomainID    string            `json:"domain_id"`
	ParentID    string            `json:"parent_id"`
	IsDomain    bool              `json:"is_domain"`
	Enabled     bool              `json:"enabled"`
	Links       map[string]string `json:"links"`
}

// serveIAM answers KeystoneListAuthProjects with the named projects of the calling
// account, sorted by name; the same signature check as the tasks path.
func (s *Sim) serveIAM(w http.ResponseWriter, r *http.Request, reqID string) {
	s.mu.Lock()
	s.stats.Requests++
	s.mu.Unlock()
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
	domain := "d" + strings.Repeat("0", 31)
	if ak != "" {
		domain = "domain-of-" + ak
	}
	self := "https://" + r.Host + iamProjectsPath
	out := struct {
		Links    map[string]string `json:"links"`
		Projects []iamProject      `json:"projects"`
	}{Links: map[string]string{"self": self}, Projects: []iamProject{}}
	s.mu.Lock()
	for id, p := range s.projects {
		if p.name == "" || !s.owns(ak, p) || (ak == "" && p.owner != "") {
			continue
		}
		out.Projects = append(out.Projects, iamProject{ID: id, Name: p.name, DomainID: domain, ParentID: domain,
			Enabled: true, Links: map[string]string{"self": "https://" + r.Host + "/v3/projects/" + id}})
	}
	s.mu.Unlock()
	slices.SortFunc(out.Projects, func(a, b iamProject) int { return strings.Compare(a.Name+a.ID, b.Name+b.ID) })
	s.replyJSON(w, http.StatusOK, out)
}
