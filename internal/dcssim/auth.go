package dcssim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// The signature scheme is the one of the SDK's signer package
// (github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer, v0.1.207), rebuilt here step
// by step from signer.go so that the simulator needs nothing beyond the standard library.
// TestSignatureMatchesSDK pins it to a signature made by the SDK itself.
const (
	authPrefix    = "SDK-HMAC-SHA256 "
	dateHeader    = "X-Sdk-Date"
	dateLayout    = "20060102T150405Z" // signer.BasicDateFormat
	contentSHA256 = "X-Sdk-Content-Sha256"
	maxClockSkew  = 15 * time.Minute
	maxSignedBody = 1 << 20
)

// authorization is a parsed "SDK-HMAC-SHA256 Access=.., SignedHeaders=.., Signature=.." header.
type authorization struct {
	access, signature string
	signedHeaders     []string
}

// authenticate checks the Authorization header and returns the access key that signed it
// ("" when signatures are not checked); the error text follows the gateway's "Incorrect IAM
// authentication information: " prefix. Each access key is checked with its own secret key:
// Options.AK's, or one added with AddAccount.
func (s *Sim) authenticate(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if !strings.HasPrefix(h, authPrefix) {
		return "", errors.New("AK/SK signature is missing")
	}
	s.mu.Lock()
	checking := s.ak != "" || len(s.accounts) > 0
	s.mu.Unlock()
	if !checking {
		return "", nil
	}
	a, err := parseAuthorization(h)
	if err != nil {
		return "", err
	}
	sk, ok := s.secretKey(a.access)
	if !ok {
		return "", fmt.Errorf("ak %s not exist", a.access)
	}
	return a.access, s.verify(r, a, sk)
}

// verify checks the date and the signature of a request signed by a known access key.
func (s *Sim) verify(r *http.Request, a authorization, sk string) error {
	if !slices.Contains(a.signedHeaders, strings.ToLower(dateHeader)) {
		return errors.New("x-sdk-date is not signed")
	}
	date, err := time.Parse(dateLayout, r.Header.Get(dateHeader))
	if err != nil {
		return errors.New("x-sdk-date is missing or malformed")
	}
	if d := s.now().Sub(date); d > maxClockSkew || d < -maxClockSkew {
		return fmt.Errorf("x-sdk-date %s is more than %v from the server time", r.Header.Get(dateHeader), maxClockSkew)
	}
	want, err := signature(r, a.signedHeaders, date, sk)
	if err != nil {
		return err
	}
	if !hmac.Equal([]byte(want), []byte(a.signature)) {
		return errors.New("verify aksk signature fail")
	}
	return nil
}

func parseAuthorization(h string) (authorization, error) {
	var a authorization
	for part := range strings.SplitSeq(strings.TrimPrefix(h, authPrefix), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Access":
			a.access = v
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	if a.access == "" || a.signature == "" || len(a.signedHeaders) == 0 {
		return a, errors.New("authorization header is malformed")
	}
	return a, nil
}

// signature computes what the SDK signer would have put in Signature for r.
func signature(r *http.Request, signed []string, date time.Time, sk string) (string, error) {
	payload := r.Header.Get(contentSHA256) // the signer uses it verbatim when present
	if _, ok := r.Header[contentSHA256]; !ok {
		body, err := io.ReadAll(io.LimitReader(r.Body, maxSignedBody))
		if err != nil {
			return "", fmt.Errorf("read body: %w", err)
		}
		payload = hexSHA256(body)
	}
	canonical := strings.Join([]string{
		r.Method,
		canonicalURI(r.URL.Path),
		canonicalQuery(r.URL.Query()),
		canonicalHeaders(r, signed),
		strings.Join(signed, ";"),
		payload,
	}, "\n")
	sts := "SDK-HMAC-SHA256\n" + date.UTC().Format(dateLayout) + "\n" + hexSHA256([]byte(canonical))
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(sts))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// canonicalURI escapes each path segment and always ends in "/", as the signer does, so a
// signature never tells /tasks from /tasks/.
func canonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = escape(s)
	}
	u := strings.Join(segs, "/")
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

// canonicalQuery sorts keys and, within a key, values, on the decoded query.
func canonicalQuery(v url.Values) string {
	keys := make([]string, 0, len(v))
	for k := range v {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		vals := slices.Clone(v[k])
		slices.Sort(vals)
		for _, val := range vals {
			parts = append(parts, escape(k)+"="+escape(val))
		}
	}
	return strings.Join(parts, "&")
}

// canonicalHeaders lists the signed headers as "name:value" lines. Go's server moves Host out
// of r.Header, so a signed "host" is taken from r.Host.
func canonicalHeaders(r *http.Request, signed []string) string {
	var b strings.Builder
	for _, name := range signed {
		vals := slices.Clone(r.Header.Values(name))
		if name == "host" && len(vals) == 0 {
			vals = []string{r.Host}
		}
		slices.Sort(vals)
		for _, v := range vals {
			b.WriteString(name + ":" + strings.TrimSpace(v) + "\n")
		}
	}
	if b.Len() == 0 {
		return "\n"
	}
	return b.String()
}

// escape percent-encodes everything but A-Z a-z 0-9 - _ . ~ with upper-case hex.
func escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func hexSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
