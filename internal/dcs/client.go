package dcs

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer/algorithm"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	dcsregion "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/region"

	"notifier/internal/secret"
)

// TimeLayout is the API's format for start_time and end_time, in UTC.
const TimeLayout = "20060102150405"

// Credentials are the AK/SK (and, for temporary credentials, the security token) that sign
// requests. They are secret.Secret values, so printing them, or Options, never shows them;
// config.DCS.ReadCredentials reads them.
type Credentials struct {
	AK, SK, SecurityToken secret.Secret
}

// Options configure a Client for one project.
type Options struct {
	Region             string
	ProjectID          string
	Endpoint           string // overrides the region's endpoint when set
	Credentials        Credentials
	Timeout            time.Duration // per request, body included
	MaxBodyBytes       int64
	StartParam         string // "start_time" (documented) or "begin_time" (what the vendor's examples send)
	InsecureSkipVerify bool
	Transport          http.RoundTripper // optional; tests and the demo pass their own
}

// Query selects one page.
type Query struct {
	Offset int
	Limit  int
	Start  time.Time // zero: no window
	// Param names the window's query parameter for this request only; empty: the client's
	// (Options.StartParam). The probe sends each name in turn to learn which one filters.
	Param string
	// Reuse is a page read before, still held (not released): when the answer's body is
	// byte for byte Reuse's, List returns Reuse itself instead of decoding the same bytes
	// again. A poller passes the page its previous poll read at this offset.
	Reuse *Page
	// Digest asks for the answer's Sum in Page.Sum.
	Digest bool
	// Same is the Sum of a page read before whose tasks the caller still knows: when the
	// answer's body has this Sum, List returns a Page with Same set, Sum and nothing else,
	// without decoding the body. A poller whose last poll found nothing new passes its one
	// page's Sum. The zero Sum (the default) asks nothing.
	Same Sum
}

// Lister reads pages of a project's task list; Client is the real one.
type Lister interface {
	List(ctx context.Context, q Query) (*Page, error)
}

// Client lists one project's tasks, signing each request with the SDK's AK/SK signer.
type Client struct {
	cred       *auth.BasicCredentials
	endpoint   string
	projectID  string
	startParam string
	maxBody    int64
	http       *http.Client
}

// Endpoint returns the API endpoint for a region, or the override when it is set. An
// unknown region is an error, never a panic.
func Endpoint(region, override string) (string, error) {
	if override != "" {
		return strings.TrimRight(override, "/"), nil
	}
	r, err := dcsregion.SafeValueOf(region)
	if err != nil || r == nil || len(r.Endpoints) == 0 {
		return "", fmt.Errorf("unknown region %q (set endpoint to use a region the SDK does not know)", region)
	}
	return strings.TrimRight(r.Endpoints[0], "/"), nil
}

// NewClient builds a client. The credentials are validated by the SDK's SafeBuild.
func NewClient(o Options) (*Client, error) {
	endpoint, err := Endpoint(o.Region, o.Endpoint)
	if err != nil {
		return nil, err
	}
	if o.Credentials.AK == "" || o.Credentials.SK == "" {
		return nil, errors.New("missing AK or SK")
	}
	b := basic.NewCredentialsBuilder().
		WithAk(o.Credentials.AK.Reveal()).
		WithSk(o.Credentials.SK.Reveal()).
		WithProjectId(o.ProjectID)
	if o.Credentials.SecurityToken != "" {
		b = b.WithSecurityToken(o.Credentials.SecurityToken.Reveal())
	}
	cred, err := b.SafeBuild()
	if err != nil {
		// The SDK's messages name the missing field, never its value.
		return nil, fmt.Errorf("credentials: %w", err)
	}
	tr := o.Transport
	if tr == nil {
		tr = sharedTransport(o.InsecureSkipVerify)
	}
	startParam := o.StartParam
	if startParam == "" {
		startParam = "start_time"
	}
	maxBody := o.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = 64 << 20
	}
	return &Client{
		cred:       cred,
		endpoint:   endpoint,
		projectID:  o.ProjectID,
		startParam: startParam,
		maxBody:    maxBody,
		http: &http.Client{
			Transport: tr,
			Timeout:   o.Timeout,
			// A redirect would carry the signed request to another host: never follow one.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// List fetches one page.
func (c *Client) List(ctx context.Context, q Query) (*Page, error) {
	req, err := c.signedRequest(ctx, q)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &TransportError{Err: scrubURL(err)}
	}
	defer resp.Body.Close()
	buf, err := readBody(resp, c.maxBody)
	if err != nil {
		return nil, &TransportError{Err: fmt.Errorf("reading body: %w", scrubURL(err))}
	}
	body := *buf
	if int64(len(body)) > c.maxBody {
		return nil, fmt.Errorf("%w: body larger than %d bytes (dcs.max_body_bytes)", ErrDecode, c.maxBody)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, newAPIError(resp, body)
	}
	var sum Sum
	if q.Digest || !q.Same.IsZero() {
		sum = sumOf(body)
	}
	if !q.Same.IsZero() && sum == q.Same {
		if cap(body) <= maxPooledBody {
			releaseBody(buf)
		}
		return &Page{Same: true, Sum: sum}, nil
	}
	if r := q.Reuse; r != nil && r.body != nil && bytes.Equal(*r.body, body) {
		if cap(body) <= maxPooledBody {
			releaseBody(buf)
		}
		return r, nil // the same bytes decode to the same page
	}
	pg, err := Decode(body)
	if err != nil {
		return nil, err
	}
	if cap(body) <= maxPooledBody {
		pg.body = buf // its tasks share it: Release hands it back
	}
	pg.Sum = sum
	return pg, nil
}

func (c *Client) signedRequest(ctx context.Context, q Query) (*http.Request, error) {
	// The SDK sends (and signs) only query values wrapped in reflect.Value; it silently
	// drops plain strings.
	b := request.NewHttpRequestBuilder().
		WithEndpoint(c.endpoint).
		WithMethod(http.MethodGet).
		WithPath("/v2/{project_id}/tasks").
		WithSigningAlgorithm(algorithm.HmacSHA256).
		AddQueryParam("offset", reflect.ValueOf(strconv.Itoa(q.Offset))).
		AddQueryParam("limit", reflect.ValueOf(strconv.Itoa(q.Limit)))
	if !q.Start.IsZero() {
		param := c.startParam
		if q.Param != "" {
			param = q.Param
		}
		b = b.AddQueryParam(param, reflect.ValueOf(q.Start.UTC().Format(TimeLayout)))
	}
	r, err := c.cred.ProcessAuthRequest(nil, b.Build())
	if err != nil {
		return nil, fmt.Errorf("signing request: %w", err)
	}
	hr, err := r.ConvertRequest()
	if err != nil {
		return nil, fmt.Errorf("building request: %w", err)
	}
	return hr.WithContext(ctx), nil
}

// scrubURL keeps the error but drops the query string and any password a *url.Error
// would print.
func scrubURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		u, perr := url.Parse(ue.URL)
		if perr == nil {
			u.RawQuery = ""
			return &url.Error{Op: ue.Op, URL: u.Redacted(), Err: ue.Err}
		}
	}
	return err
}

// readBody reads at most max+1 bytes of the body, into one buffer of the announced
// Content-Length when there is one (io.ReadAll would grow it step by step: twice the
// garbage for every page of a fleet).
func readBody(resp *http.Response, max int64) (*[]byte, error) {
	r := io.LimitReader(resp.Body, max+1)
	if n := resp.ContentLength; n > 0 && n <= max {
		// ReadFrom wants MinRead bytes free before each read, the one that finds the end too.
		p := pooledBuffer(int(n) + bytes.MinRead)
		buf := bytes.NewBuffer(*p)
		_, err := buf.ReadFrom(r)
		*p = buf.Bytes()
		return p, err
	}
	b, err := io.ReadAll(r)
	return &b, err
}

// The transports every client without one of its own shares, one per TLS setting: the
// projects of one endpoint (a region) share its connections, instead of each of 1,000
// projects keeping its own connection, buffers and goroutines alive between polls.
var (
	verifying = sync.OnceValue(func() *http.Transport { return newTransport(false) })
	trusting  = sync.OnceValue(func() *http.Transport { return newTransport(true) })
)

func sharedTransport(insecureSkipVerify bool) *http.Transport {
	if insecureSkipVerify {
		return trusting()
	}
	return verifying()
}

func newTransport(insecureSkipVerify bool) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	// The projects of a region poll the same host; keep enough idle connections that a
	// few polls at once do not each open (and handshake) a new one.
	t.MaxIdleConnsPerHost = 16
	if insecureSkipVerify {
		t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // operator's explicit choice, warned at start
	}
	return t
}
