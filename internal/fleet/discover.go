package fleet

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/metrics"
)

// Discoverer is one [[dcs.discover]] entry with its IAM client.
type Discoverer struct {
	Key   string // dcs.discover[i], for errors and logs
	Entry config.Discover
	Keys  config.CredentialKeys // where its credential is read from
	Creds dcs.Credentials
	iam   dcs.ProjectLister

	mu    sync.Mutex
	known []string // the project ids it found last (a start, a reload, a refresh), sorted; nil while none
}

// Discoverers builds the IAM client of every [[dcs.discover]] entry, in order. The error
// names the entry's key.
func (f *Fleet) Discoverers() ([]*Discoverer, error) {
	var out []*Discoverer
	for i, e := range f.o.DCS.Discover {
		key := fmt.Sprintf("dcs.discover[%d]", i)
		keys := f.o.DCS.DiscoverKeys(i)
		creds, err := f.Credentials(keys)
		if err != nil {
			return nil, err
		}
		c, err := NewIAMClient(f.o.DCS, e, creds, f.o.Transport)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out = append(out, &Discoverer{Key: key, Entry: e, Keys: keys, Creds: creds, iam: c})
	}
	return out, nil
}

// NewIAMClient is the one way the IAM client of a discovery entry is built.
func NewIAMClient(d config.DCS, e config.Discover, c dcs.Credentials, tr http.RoundTripper) (*dcs.IAMClient, error) {
	return dcs.NewIAMClient(dcs.IAMOptions{Endpoint: IAMEndpoint(e), Credentials: c,
		Timeout: d.RequestTimeout.D(), Transport: tr})
}

// IAMEndpoint is where the entry's projects are listed.
func IAMEndpoint(e config.Discover) string { return dcs.IAMEndpoint(e.Regions, e.IAMEndpoint) }

// ListTimeout bounds one listing of an entry: two requests' worth, as IAM may page.
func ListTimeout(d config.DCS) time.Duration { return 2 * d.RequestTimeout.D() }

// Listing is what one listing of an entry's projects found.
type Listing struct {
	Listed  int              // every project IAM listed for the credential
	Found   []dcs.Discovered // those to watch (dcs.Sift), before Claims
	Skipped []dcs.Skipped    // the others, each with why
	RTT     time.Duration    // of the listing
	Err     error
}

// List asks IAM for the entry's projects, within timeout, and sorts out those to watch.
func (d *Discoverer) List(ctx context.Context, timeout time.Duration) Listing {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	begin := time.Now()
	ps, err := d.iam.ListProjects(ctx)
	l := Listing{RTT: time.Since(begin), Err: err}
	if err == nil {
		l.Listed = len(ps)
		l.Found, l.Skipped = dcs.Sift(ps, d.Entry.Regions)
	}
	return l
}

// ListAll lists every entry at once, so that a slow IAM endpoint delays a start or a
// reload by one timeout, not by one per entry. The results are in the entries' order.
func ListAll(ctx context.Context, ds []*Discoverer, timeout time.Duration) []Listing {
	out := make([]Listing, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() { out[i] = d.List(ctx, timeout) })
	}
	wg.Wait()
	return out
}

// Project is the configuration of a project d found: named after its IAM name, behind
// the entry's prefix, at the entry's DCS endpoint.
func (d *Discoverer) Project(p dcs.Discovered) config.Project {
	name := p.Name
	if d.Entry.Name != "" {
		name = d.Entry.Name + "/" + p.Name
	}
	return config.Project{Name: name, Region: p.Region, ProjectID: p.ID, Endpoint: d.Entry.Endpoint}
}

// Record keeps what a listing of d that succeeded found, which a refresh compares with,
// and counts it in notifier_discovered_projects (m nil: not counted).
func (d *Discoverer) Record(l Listing, m *metrics.Metrics) {
	if m != nil {
		m.Discovered.WithLabelValues(d.Key).Set(float64(len(l.Found)))
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.known = ids(l.Found)
}

// Known are the project ids d found last, sorted; nil while no listing succeeded.
func (d *Discoverer) Known() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.known
}

func ids(ps []dcs.Discovered) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	slices.Sort(out)
	return out
}

// Why discovery leaves out a project it would watch otherwise: another has it.
const (
	SkipExplicit = "in dcs.projects, which wins"
	skipFirst    = "found by %s first, which wins"
)

// Claims is the one rule of which part of the configuration watches a project, followed
// by run (at a start, a reload and every refresh) and by probe: each project is watched
// once, by the first that has it — dcs.projects, then the [[dcs.discover]] entries in
// order.
type Claims struct {
	owner map[string]string // project id → dcs.projects, or the entry's key
}

// NewClaims gives every configured project to dcs.projects.
func NewClaims(explicit []config.Project) *Claims {
	c := &Claims{owner: map[string]string{}}
	for _, p := range explicit {
		c.owner[p.ProjectID] = "dcs.projects"
	}
	return c
}

// Claim gives project id to by (an entry's key) unless another has it; it returns why
// not, "" when given.
func (c *Claims) Claim(id, by string) string {
	switch owner, ok := c.owner[id]; {
	case !ok:
		c.owner[id] = by
		return ""
	case owner == "dcs.projects":
		return SkipExplicit
	default:
		return fmt.Sprintf(skipFirst, owner)
	}
}

// Take claims for d the projects of its listing l. It returns those d watches, as
// configured projects, in l's order, and those it does not: the listing's skipped ones,
// then those another has, each with why.
func (c *Claims) Take(d *Discoverer, l Listing) (watch []config.Project, skipped []dcs.Skipped) {
	skipped = slices.Clone(l.Skipped)
	for _, p := range l.Found {
		if why := c.Claim(p.ID, d.Key); why != "" {
			skipped = append(skipped, dcs.Skipped{ID: p.ID, Name: p.Name, Reason: why})
			continue
		}
		watch = append(watch, d.Project(p))
	}
	return watch, skipped
}
