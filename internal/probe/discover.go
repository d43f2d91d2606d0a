package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
	"notifier/internal/fleet"
)

// SkipExplicit is why discovery leaves out a project of dcs.projects.
const SkipExplicit = fleet.SkipExplicit

// DiscoveryReport is what one [[dcs.discover]] entry lists, read as run reads it
// (internal/fleet): the same IAM call at the same endpoint, the same filters, explicit
// projects winning.
type DiscoveryReport struct {
	Key         string   `json:"key"` // dcs.discover[0]
	Name        string   `json:"name,omitempty"`
	Regions     []string `json:"regions"`
	IAMEndpoint string   `json:"iam_endpoint"`
	Usable      bool     `json:"usable"`

	Reachable  bool    `json:"reachable"`
	Credential string  `json:"credential"` // "accepted", or why it was refused and what to check
	RTTMillis  float64 `json:"rtt_ms"`

	Listed  int           `json:"projects_listed"`  // every project IAM listed for the credential
	Watched []string      `json:"projects_watched"` // the ids run would watch for this entry
	Skipped []dcs.Skipped `json:"projects_skipped"` // the others, each with why

	Problems []string `json:"problems"` // why run could not watch this entry's projects
	Warnings []string `json:"warnings"`
}

// target is one project to probe, explicit or discovered, with its credential's keys.
type target struct {
	cfg          config.Project
	keys         config.CredentialKeys
	key          string // dcs.projects[1], or dcs.discover[0]: where its errors point
	discoveredBy string
}

// discover lists the projects of every [[dcs.discover]] entry and returns the reports and
// the projects run would add, in its order, by its rule (fleet.Claims): an explicit
// project wins, then the first entry.
func discover(ctx context.Context, o Options, fl *fleet.Fleet) ([]*DiscoveryReport, []target, error) {
	cfg := o.Config
	ds, err := fl.Discoverers()
	if err != nil {
		return nil, nil, &ConfigError{err}
	}
	claims := fleet.NewClaims(cfg.DCS.Projects)
	var reps []*DiscoveryReport
	var out []target
	for _, d := range ds {
		r := &DiscoveryReport{Key: d.Key, Name: d.Entry.Name, Regions: d.Entry.Regions, IAMEndpoint: fleet.IAMEndpoint(d.Entry),
			Credential: Unknown, Watched: []string{}, Skipped: []dcs.Skipped{}, Problems: []string{}, Warnings: []string{}}
		l := d.List(ctx, fleet.ListTimeout(cfg.DCS))
		r.RTTMillis = float64(l.RTT.Microseconds()) / 1000
		if ctx.Err() != nil {
			return nil, nil, ctx.Err()
		}
		if l.Err != nil {
			r.explain(l.Err, d.Keys, cfg.DCS.RequestTimeout.D())
			reps = append(reps, r)
			continue
		}
		r.Reachable, r.Credential, r.Usable, r.Listed = true, "accepted", true, l.Listed
		watch, skipped := claims.Take(d, l)
		r.Skipped = append(r.Skipped, skipped...)
		for _, p := range watch {
			r.Watched = append(r.Watched, p.ProjectID)
			out = append(out, target{cfg: p, keys: d.Keys, key: d.Key, discoveredBy: d.Key})
		}
		if l.Listed > 0 && len(l.Found) == 0 {
			r.Warnings = append(r.Warnings, "none of the listed projects would be watched: see why each is skipped")
		}
		reps = append(reps, r)
	}
	return reps, out, nil
}

// explain fills what a failed listing says: unreachable, refused (which key, what to
// check) or another answer. Each makes the entry unusable: run would watch none of its
// projects.
func (r *DiscoveryReport) explain(err error, keys config.CredentialKeys, timeout time.Duration) {
	var te *dcs.TransportError
	var ae *dcs.APIError
	switch {
	case errors.As(err, &te):
		r.Problems = append(r.Problems, "IAM unreachable: "+explainTransport(te, timeout))
	case errors.As(err, &ae) && ae.Auth():
		r.Reachable = true
		r.Credential = explainIAMAuth(ae, keys, r.IAMEndpoint)
		r.Problems = append(r.Problems, "credential refused by IAM: "+r.Credential)
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		r.Reachable = true
		r.Problems = append(r.Problems, fmt.Sprintf("%v: %s does not serve IAM's GET /v3/auth/projects (check iam_endpoint)", err, r.IAMEndpoint))
	default:
		r.Reachable = ae != nil || errors.Is(err, dcs.ErrDecode)
		r.Problems = append(r.Problems, "cannot list the projects of this credential (IAM KeystoneListAuthProjects): "+err.Error())
	}
}

// explainIAMAuth says why IAM refused to list the credential's projects. IAM's API
// reference says listing one's own projects (GET /v3/auth/projects) needs no permission,
// so a 403 points at an access restriction rather than a missing policy.
func explainIAMAuth(ae *dcs.APIError, k config.CredentialKeys, endpoint string) string {
	ak, sk, token := keySources(k)
	head := authHead(ae)
	if ae.Status == http.StatusForbidden {
		return head + fmt.Sprintf(": the signature is valid but IAM at %s refused to list the projects of the access key in %s. "+
			"Listing one's own projects (KeystoneListAuthProjects) needs no IAM permission, so a policy is likely not what is missing: "+
			"check the account's ACL for API access (allowed IP ranges, CIDR blocks, VPC endpoints) against this host's address, "+
			"that the IAM user is enabled, and that iam_endpoint is IAM's", endpoint, ak)
	}
	if why, ok := keyProblem(ae, k); ok {
		return head + ": " + why
	}
	return head + ": " + fmt.Sprintf("check the access key in %s, the secret key in %s, the security token (temporary credentials) in %s "+
		"and this host's clock", ak, sk, token)
}

// writeText prints the entry's block: the listing, then the skipped projects by reason,
// a few names each.
func (r *DiscoveryReport) writeText(w io.Writer) {
	label := "regions " + strings.Join(r.Regions, ", ")
	if r.Name != "" {
		label = r.Name + ", " + label
	}
	verdict := "usable"
	if !r.Usable {
		verdict = "NOT usable"
	}
	fmt.Fprintf(w, "discovery %s (%s) at %s: %s\n", r.Key, label, r.IAMEndpoint, verdict)
	row := func(k, v string) { fmt.Fprintf(w, "  %-14s %s\n", k, v) }
	row("reachable", yesNo(r.Reachable)+fmt.Sprintf(", %.1f ms", r.RTTMillis))
	row("credential", r.Credential)
	if r.Usable {
		row("projects", fmt.Sprintf("%d listed, %d to probe and watch, %d skipped", r.Listed, len(r.Watched), len(r.Skipped)))
		byReason := map[string][]string{}
		for _, s := range r.Skipped {
			name := s.Name
			if name == "" {
				name = `""`
			}
			byReason[s.Reason] = append(byReason[s.Reason], name+" "+s.ID)
		}
		for _, why := range slices.Sorted(maps.Keys(byReason)) {
			ps := byReason[why]
			shown := ps[:min(len(ps), 3)]
			more := ""
			if len(ps) > len(shown) {
				more = fmt.Sprintf(", and %d more", len(ps)-len(shown))
			}
			row("  skipped", fmt.Sprintf("%d %s: %s%s", len(ps), why, strings.Join(shown, ", "), more))
		}
	}
	for _, s := range r.Problems {
		fmt.Fprintf(w, "  problem: %s\n", s)
	}
	for _, s := range r.Warnings {
		fmt.Fprintf(w, "  warning: %s\n", s)
	}
}
