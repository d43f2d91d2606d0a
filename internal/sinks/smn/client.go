package smn

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer/algorithm"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/def"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	smnsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/smn/v2"
	smnmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/smn/v2/model"
	smnregion "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/smn/v2/region"

	"notifier/internal/dcs"
	"notifier/internal/httpx"
	"notifier/internal/region"
	"notifier/internal/retry"
)

// maxAnswer bounds what is read of SMN's answer: a few hundred bytes of JSON.
const maxAnswer = 64 << 10

// ClientOptions configure a Client for one topic.
type ClientOptions struct {
	Region, Endpoint string // Endpoint, when set, overrides the region's
	TopicURN         string // validated: its project id goes in the path
	Credentials      dcs.Credentials
	Timeout          time.Duration
	// Budget, when set, is waited on before each request and throttled by a throttling
	// answer: the request budget of the access key, shared with its DCS calls.
	Budget    *dcs.Budget
	Transport http.RoundTripper // nil: the default one
}

// Client calls SMN's PublishMessage and ListTopicDetails for one topic. Requests are
// built from the SDK's own request definitions (smn/v2 GenReqDefFor...: method, path,
// content type, body model) and signed by the SDK's AK/SK signer, then sent with a client
// whose context, timeout and transport are the notifier's (the SDK's HcHttpClient takes
// no context), as package dcs does.
type Client struct {
	cred      *auth.BasicCredentials
	endpoint  string
	urn       string
	budget    *dcs.Budget
	http      *http.Client
	projectID string
}

// endpoint is SMN's endpoint in region, or override.
func endpoint(reg, override string) (string, error) {
	if override != "" {
		return strings.TrimRight(override, "/"), nil
	}
	var ep string
	region.WithLock(func() {
		if r, err := smnregion.SafeValueOf(reg); err == nil && r != nil && len(r.Endpoints) > 0 {
			ep = r.Endpoints[0]
		}
	})
	if ep == "" {
		return "", fmt.Errorf("unknown region %q for SMN (set endpoint to use a region the SDK does not know)", reg)
	}
	return strings.TrimRight(ep, "/"), nil
}

// NewClient builds a client; the credential is validated by the SDK's SafeBuild.
func NewClient(o ClientOptions) (*Client, error) {
	_, projectID, _ := topic(o.TopicURN)
	if projectID == "" {
		return nil, errors.New("topic_urn: not an SMN topic URN")
	}
	ep, err := endpoint(o.Region, o.Endpoint)
	if err != nil {
		return nil, err
	}
	if o.Credentials.AK == "" || o.Credentials.SK == "" {
		return nil, errors.New("missing AK or SK")
	}
	b := basic.NewCredentialsBuilder().WithAk(o.Credentials.AK.Reveal()).WithSk(o.Credentials.SK.Reveal()).
		WithProjectId(projectID)
	if o.Credentials.SecurityToken != "" {
		b = b.WithSecurityToken(o.Credentials.SecurityToken.Reveal())
	}
	cred, err := b.SafeBuild()
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err) // names the field, never its value
	}
	tr := o.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	return &Client{cred: cred, endpoint: ep, urn: o.TopicURN, budget: o.Budget, projectID: projectID,
		http: &http.Client{Transport: tr, Timeout: o.Timeout,
			// A redirect would carry the signed request to another host: never follow one.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

// Publish calls PublishMessage with body and returns SMN's message id.
func (c *Client) Publish(ctx context.Context, body *smnmodel.PublishMessageRequestBody) (string, error) {
	var ok smnmodel.PublishMessageResponse
	if err := c.do(ctx, smnsdk.GenReqDefForPublishMessage(), body, &ok); err != nil {
		return "", err
	}
	if ok.MessageId == nil {
		return "", nil
	}
	return *ok.MessageId, nil
}

// Details calls ListTopicDetails: the topic exists and the credential may read it.
func (c *Client) Details(ctx context.Context) error {
	var ok smnmodel.ListTopicDetailsResponse
	return c.do(ctx, smnsdk.GenReqDefForListTopicDetails(), nil, &ok)
}

// APIError is SMN's (or its gateway's) refusal: the HTTP status and the error code, with
// its message, never a secret.
type APIError struct {
	Status     int
	Code       string // SMN.0006, APIGW.0308...
	Message    string
	RequestID  string
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("smn: HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += " (request id " + e.RequestID + ")"
	}
	return s
}

// Throttled reports whether the gateway or SMN asked to slow down.
func (e *APIError) Throttled() bool {
	return e.Status == http.StatusTooManyRequests || e.Code == "APIGW.0308"
}

// do sends one signed request for d, waiting on the budget first; an error is an
// *APIError (the permanent ones, a 4xx other than throttling and 408, wrapped with
// retry.Permanent; a throttling one with Retry-After as a *retry.RetryAfterError), or the
// transport's, without the URL.
func (c *Client) do(ctx context.Context, d *def.HttpRequestDef, body any, out any) error {
	b := request.NewHttpRequestBuilder().WithEndpoint(c.endpoint).WithMethod(d.Method).WithPath(d.Path).
		AddPathParam("topic_urn", c.urn).WithSigningAlgorithm(algorithm.HmacSHA256)
	if body != nil {
		b = b.AddHeaderParam("Content-Type", d.ContentType).WithBody("body", body)
	}
	r, err := c.cred.ProcessAuthRequest(nil, b.Build())
	if err != nil {
		return fmt.Errorf("smn: signing request: %w", err)
	}
	hr, err := r.ConvertRequest()
	if err != nil {
		return fmt.Errorf("smn: building request: %w", err)
	}
	if c.budget != nil {
		if err := c.budget.Wait(ctx); err != nil {
			return err
		}
	}
	resp, err := c.http.Do(hr.WithContext(ctx))
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL holds the topic's project id and name: said elsewhere
		}
		return fmt.Errorf("smn: %w", err)
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return fmt.Errorf("smn: reading the answer: %w", err)
	}
	if resp.StatusCode/100 == 2 {
		_ = json.Unmarshal(answer, out) // request_id and message_id, for the log only
		return nil
	}
	e := &APIError{Status: resp.StatusCode, RequestID: resp.Header.Get("X-Request-Id"),
		RetryAfter: httpx.RetryAfter(resp.Header, time.Now())}
	var w struct {
		ErrorCode string `json:"error_code"` // the gateway's (APIGW.0308) and SDK's form
		ErrorMsg  string `json:"error_msg"`
		Code      string `json:"code"` // SMN's exception response: {"request_id", "code", "message"}
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	}
	if json.Unmarshal(answer, &w) == nil {
		e.Code, e.Message = cmp.Or(w.ErrorCode, w.Code), httpx.Excerpt([]byte(cmp.Or(w.ErrorMsg, w.Message)))
		e.RequestID = cmp.Or(e.RequestID, w.RequestID)
	} else if len(answer) > 0 {
		e.Message = httpx.Excerpt(answer)
	}
	switch {
	case e.Throttled():
		if c.budget != nil {
			c.budget.Throttle(e.RetryAfter)
		}
		if e.RetryAfter > 0 {
			return &retry.RetryAfterError{After: e.RetryAfter, Err: e}
		}
		return e
	case e.Status >= 500 || e.Status == http.StatusRequestTimeout:
		return e
	default:
		return retry.Permanent(e)
	}
}
