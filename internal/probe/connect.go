package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"syscall"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcs"
)

// throttleRetries is how many times one request is retried after a throttling answer.
const throttleRetries = 3

// throttleWait is the wait after a throttling answer without Retry-After: the vendor advises
// 2 to 5 seconds.
const throttleWait = 3 * time.Second

// tlsSeen is the TLS handshake of the last request, from its httptrace.
type tlsSeen struct {
	done  bool
	state tls.ConnectionState
}

// list sends one request, retrying it after a throttling answer (each one is counted), and
// records the TLS handshake.
func (p *prober) list(ctx context.Context, q dcs.Query) (*dcs.Page, error) {
	trace := &httptrace.ClientTrace{TLSHandshakeDone: func(s tls.ConnectionState, err error) {
		if err == nil {
			p.tls = tlsSeen{done: true, state: s}
		}
	}}
	ctx = httptrace.WithClientTrace(ctx, trace)
	for attempt := 0; ; attempt++ {
		pg, err := p.c.List(ctx, q)
		var ae *dcs.APIError
		if err == nil || !errors.As(err, &ae) || !ae.Throttled() || attempt == throttleRetries {
			return pg, err
		}
		p.r.Throttled++
		if p.r.Throttle == "" {
			p.r.Throttle = describeThrottle(ae)
		}
		d := ae.RetryAfter
		if d <= 0 {
			d = throttleWait
		}
		if err := p.o.Wait(ctx, d); err != nil {
			return nil, err
		}
	}
}

func describeThrottle(ae *dcs.APIError) string {
	s := fmt.Sprintf("HTTP %d %s", ae.Status, ae.Code)
	if ae.RetryAfter > 0 {
		return s + fmt.Sprintf(", Retry-After %v", ae.RetryAfter)
	}
	return s + ", no Retry-After (waited 3s, as the vendor advises 2-5s)"
}

// connect reads the first page and fills reachability, TLS, the credential and the round trip.
// A failure is a problem and stops the project's probe.
func (p *prober) connect(ctx context.Context, q dcs.Query) (*dcs.Page, error) {
	begin := time.Now()
	pg, err := p.list(ctx, q)
	p.r.RTTMillis = float64(time.Since(begin).Microseconds()) / 1000
	p.r.TLS = p.describeTLS()
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	var te *dcs.TransportError
	var ae *dcs.APIError
	switch {
	case err == nil:
		p.r.Reachable, p.r.Credential = true, "accepted"
		return pg, nil
	case errors.As(err, &te):
		p.r.Credential = Unknown
		p.problem("unreachable: " + explainTransport(te, p.o.Config.DCS.RequestTimeout.D()))
		if isTLSError(te) {
			p.r.TLS = "failed: " + te.Err.Error()
		}
	case errors.As(err, &ae) && ae.Auth():
		p.r.Reachable = true
		p.r.Credential = explainAuth(ae, p.keys, p.r.ProjectID, p.r.Region)
		p.problem("credential refused: " + p.r.Credential)
	case errors.As(err, &ae) && ae.Throttled():
		p.r.Reachable, p.r.Credential = true, Unknown
		p.problem(fmt.Sprintf("throttled %d times in a row: %v; another client may be using this credential's whole budget", throttleRetries+1, err))
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		p.r.Reachable, p.r.Credential = true, Unknown
		p.problem(fmt.Sprintf("%v: the endpoint %s has no DCS task-center API (a wrong endpoint or region)", err, p.r.Endpoint))
	case errors.As(err, &ae):
		p.r.Reachable, p.r.Credential = true, Unknown
		p.problem(err.Error())
	default: // a body that is not a task-center listing
		p.r.Reachable, p.r.Credential = true, "accepted"
		p.problem(err.Error())
	}
	return nil, errStop
}

func (p *prober) describeTLS() string {
	if strings.HasPrefix(p.r.Endpoint, "http://") {
		return "none (the endpoint is plain http)"
	}
	if !p.tls.done {
		return Unknown
	}
	s := p.tls.state
	out := tls.VersionName(s.Version)
	if len(s.PeerCertificates) > 0 {
		c := s.PeerCertificates[0]
		out += fmt.Sprintf(", certificate for %s by %s, valid until %s", certName(c), c.Issuer.CommonName, c.NotAfter.UTC().Format(time.DateOnly))
	}
	if p.o.Config.DCS.InsecureSkipVerify {
		out += " (NOT verified: dcs.insecure_skip_verify = true)"
	}
	return out
}

func certName(c *x509.Certificate) string {
	if len(c.DNSNames) > 0 {
		return c.DNSNames[0]
	}
	if len(c.IPAddresses) > 0 {
		return c.IPAddresses[0].String()
	}
	return c.Subject.CommonName
}

func isTLSError(te *dcs.TransportError) bool {
	var cv *tls.CertificateVerificationError
	var rh tls.RecordHeaderError
	var ua x509.UnknownAuthorityError
	var he x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(te, &cv) || errors.As(te, &rh) || errors.As(te, &ua) || errors.As(te, &he) || errors.As(te, &ci) ||
		strings.Contains(te.Error(), "tls: ")
}

// explainTransport says what a request that got no answer ran into.
func explainTransport(te *dcs.TransportError, timeout time.Duration) string {
	var dnsErr *net.DNSError
	var ne net.Error
	switch {
	case errors.As(te, &dnsErr):
		return fmt.Sprintf("the host name does not resolve (%v); check the region or endpoint, and DNS from this host", dnsErr)
	case errors.Is(te, syscall.ECONNREFUSED):
		return fmt.Sprintf("connection refused (%v); check the endpoint and any proxy or firewall", te.Err)
	case isTLSError(te):
		return fmt.Sprintf("TLS failed (%v); a proxy that intercepts TLS needs its CA in the system pool", te.Err)
	case errors.As(te, &ne) && ne.Timeout():
		return fmt.Sprintf("no answer within dcs.request_timeout (%v): %v", timeout, te.Err)
	}
	return te.Err.Error()
}

// explainAuth says which key was refused, as far as the gateway's answer tells, and what to
// check.
func explainAuth(ae *dcs.APIError, k config.CredentialKeys, projectID, region string) string {
	ak, sk, token := keySources(k)
	head := authHead(ae)
	if ae.Status == http.StatusForbidden {
		return head + fmt.Sprintf(": the signature is valid but the IAM user of the access key in %s may not "+
			"read DCS in project %s (%s): it likely lacks the DCS ReadOnlyAccess policy (or a custom policy with the "+
			"DCS list/get actions) for this region's project", ak, projectID, region)
	}
	if why, ok := keyProblem(ae, k); ok {
		return head + ": " + why
	}
	if strings.Contains(strings.ToLower(ae.Message), "project") {
		return head + ": " + fmt.Sprintf("project %s is not a project of this credential's account in %s", projectID, region)
	}
	return head + ": " + fmt.Sprintf("check the access key in %s, the secret key in %s, the security token (temporary credentials) in %s, "+
		"this host's clock, and that project %s belongs to the account in %s", ak, sk, token, projectID, region)
}

func authHead(ae *dcs.APIError) string {
	head := fmt.Sprintf("HTTP %d %s", ae.Status, ae.Code)
	if ae.Message != "" {
		head += " (" + ae.Message + ")"
	}
	return head
}

func keySources(k config.CredentialKeys) (ak, sk, token string) {
	return source(k.Key+".ak", k.AKEnv, k.AKFile), source(k.Key+".sk", k.SKEnv, k.SKFile),
		source(k.Key+".security_token", k.TokenEnv, k.TokenFile)
}

// keyProblem names the key a 401's message points at, when it points at one.
func keyProblem(ae *dcs.APIError, k config.CredentialKeys) (string, bool) {
	ak, sk, token := keySources(k)
	msg := strings.ToLower(ae.Message)
	switch {
	case strings.Contains(msg, "not exist") || strings.Contains(msg, "ak "):
		return fmt.Sprintf("the access key in %s is unknown or disabled", ak), true
	case strings.Contains(msg, "signature"):
		return fmt.Sprintf("the secret key in %s does not belong to the access key in %s", sk, ak), true
	case strings.Contains(msg, "token"):
		return fmt.Sprintf("the security token in %s is missing, expired, or not for this access key", token), true
	case strings.Contains(msg, "date") || strings.Contains(msg, "time"):
		return "this host's clock is more than 15 minutes from the server's", true
	}
	return "", false
}

// source names where a secret comes from: its file, else its variable.
func source(key, env, file string) string {
	if file != "" {
		return fmt.Sprintf("%s_file %s", key, file)
	}
	if env == "" {
		return key + "_env (unset)"
	}
	return "$" + env
}
