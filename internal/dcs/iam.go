package dcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"notifier/internal/region"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/global"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer/algorithm"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	iam "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3"
	iammodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/model"
	iamregion "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/iam/v3/region"
)

// GlobalIAMEndpoint is IAM's endpoint for the whole cloud, which answers
// KeystoneListAuthProjects for every region.
const GlobalIAMEndpoint = "https://iam.myhuaweicloud.com"

// maxIAMBody bounds the project list: an account has at most a few hundred projects.
const maxIAMBody = 4 << 20

// IAMEndpoint is where the project list is read: the override when set, else the SDK's
// IAM endpoint of the first region listed, else the global one (regions ["*"]).
func IAMEndpoint(regions []string, override string) string {
	if override != "" {
		return strings.TrimRight(override, "/")
	}
	if len(regions) > 0 && regions[0] != region.All {
		var ep string
		region.WithLock(func() {
			if r, err := iamregion.SafeValueOf(regions[0]); err == nil && r != nil && len(r.Endpoints) > 0 {
				ep = r.Endpoints[0]
			}
		})
		if ep != "" {
			return strings.TrimRight(ep, "/")
		}
	}
	return GlobalIAMEndpoint
}

// AuthProject is one project a credential can see, as IAM lists it.
type AuthProject struct {
	ID, Name string
	Enabled  bool
}

// ProjectLister lists the projects a credential can see; IAMClient is the real one.
type ProjectLister interface {
	ListProjects(ctx context.Context) ([]AuthProject, error)
}

// IAMClient lists a credential's projects with IAM's KeystoneListAuthProjects, signed as
// the SDK's IAM client signs it (global credentials, SDK-HMAC-SHA256). Like Client, it
// sends the request itself rather than through the SDK's HcClient, whose global
// credentials would first look the account (domain) id up with another IAM call and
// whose transport cannot be bounded or replaced per client.
type IAMClient struct {
	cred     *auth.GlobalCredentials
	endpoint string
	http     *http.Client
}

// IAMOptions configure an IAMClient.
type IAMOptions struct {
	Endpoint    string // see IAMEndpoint
	Credentials Credentials
	Timeout     time.Duration
	Transport   http.RoundTripper // optional
}

// NewIAMClient builds an IAM client; the credentials are validated by the SDK's SafeBuild.
func NewIAMClient(o IAMOptions) (*IAMClient, error) {
	if o.Credentials.AK == "" || o.Credentials.SK == "" {
		return nil, errors.New("missing AK or SK")
	}
	b := global.NewCredentialsBuilder().WithAk(o.Credentials.AK.Reveal()).WithSk(o.Credentials.SK.Reveal())
	if o.Credentials.SecurityToken != "" {
		b = b.WithSecurityToken(o.Credentials.SecurityToken.Reveal())
	}
	cred, err := b.SafeBuild()
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	tr := o.Transport
	if tr == nil {
		tr = sharedTransport(false)
	}
	return &IAMClient{cred: cred, endpoint: strings.TrimRight(o.Endpoint, "/"), http: &http.Client{
		Transport: tr, Timeout: o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}, nil
}

// ListProjects calls KeystoneListAuthProjects (GET /v3/auth/projects).
func (c *IAMClient) ListProjects(ctx context.Context) ([]AuthProject, error) {
	def := iam.GenReqDefForKeystoneListAuthProjects()
	b := request.NewHttpRequestBuilder().WithEndpoint(c.endpoint).WithMethod(def.Method).WithPath(def.Path).
		WithSigningAlgorithm(algorithm.HmacSHA256)
	r, err := c.cred.ProcessAuthRequest(nil, b.Build())
	if err != nil {
		return nil, fmt.Errorf("signing request: %w", err)
	}
	hr, err := r.ConvertRequest()
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	resp, err := c.http.Do(hr.WithContext(ctx))
	if err != nil {
		return nil, &TransportError{Err: scrubURL(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxIAMBody+1))
	if err != nil {
		return nil, &TransportError{Err: fmt.Errorf("reading body: %w", scrubURL(err))}
	}
	if len(body) > maxIAMBody {
		return nil, fmt.Errorf("%w: IAM project list larger than %d bytes", ErrDecode, maxIAMBody)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, newAPIError(resp, body)
	}
	var out iammodel.KeystoneListAuthProjectsResponse
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, fmt.Errorf("%w: IAM project list: %v", ErrDecode, err)
	}
	if out.Projects == nil {
		return nil, fmt.Errorf("%w: IAM project list without \"projects\"", ErrDecode)
	}
	ps := make([]AuthProject, 0, len(*out.Projects))
	for _, p := range *out.Projects {
		ps = append(ps, AuthProject{ID: p.Id, Name: p.Name, Enabled: p.Enabled})
	}
	return ps, nil
}

// Discovered is a project discovery decided to watch.
type Discovered struct {
	ID     string // lowercased
	Name   string // the IAM name: the region, or region_sub for a sub-project
	Region string
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// Watchable picks, from a credential's projects, those to watch: enabled, with a 32-hex
// id, named after a region the SDK knows a DCS endpoint for (or a sub-project of one,
// region_name), in regions (or any with ["*"]). They come sorted by name, then id.
func Watchable(ps []AuthProject, regions []string) []Discovered {
	keep, _ := Sift(ps, regions)
	return keep
}

// Why a listed project is not watched (Skipped.Reason).
const (
	SkipDisabled     = "disabled"
	SkipNotAnID      = "not a 32-hex project id"
	SkipNoRegion     = "no region in its name"
	SkipNotInRegions = "region not in regions"
	SkipNoDCS        = "no DCS endpoint known for its region"
)

// Skipped is a listed project discovery does not watch, and why.
type Skipped struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Sift is Watchable that also says why each other project is left out (in IAM's order).
func Sift(ps []AuthProject, regions []string) ([]Discovered, []Skipped) {
	all := slices.Contains(regions, region.All)
	var out []Discovered
	var skipped []Skipped
	for _, p := range ps {
		id := strings.ToLower(p.ID)
		reg, _, _ := strings.Cut(p.Name, "_")
		why := ""
		switch {
		case !p.Enabled:
			why = SkipDisabled
		case !hexID.MatchString(id):
			why = SkipNotAnID
		case reg == "":
			why = SkipNoRegion
		case !all && !slices.Contains(regions, reg):
			why = SkipNotInRegions
		case !region.Known(reg):
			why = SkipNoDCS
		}
		if why != "" {
			skipped = append(skipped, Skipped{ID: p.ID, Name: p.Name, Reason: why})
			continue
		}
		out = append(out, Discovered{ID: id, Name: p.Name, Region: reg})
	}
	slices.SortFunc(out, func(a, b Discovered) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, skipped
}
