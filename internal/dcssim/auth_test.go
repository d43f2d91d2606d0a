package dcssim

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer/algorithm"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
)

const (
	testAK = "HPUAEXAMPLEAK0000001"
	testSK = "exampleSecretKey0000000000000000000000000"
)

// sdkRequest builds a GET for path with the SDK's request builder and signs it with the SDK
// signer, dated at date, as a client of the real API would. Query values must be passed as
// reflect.Value: the SDK silently drops (neither sends nor signs) plain strings.
func sdkRequest(t *testing.T, endpoint, path string, query map[string]any, date time.Time, ak, sk string) *http.Request {
	t.Helper()
	b := request.NewHttpRequestBuilder().WithEndpoint(endpoint).WithPath(path).WithMethod(http.MethodGet).
		AddHeaderParam("User-Agent", "huaweicloud-usdk-go/3.0").
		AddHeaderParam("X-Project-Id", testProject).
		AddHeaderParam("Content-Type", "application/json").
		AddHeaderParam("X-Sdk-Date", date.UTC().Format("20060102T150405Z")) // the signer reuses it
	for k, v := range query {
		b.AddQueryParam(k, reflect.ValueOf(v))
	}
	req := b.Build()
	headers, err := signer.Sign(req, ak, sk)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.AddHeaderParam(k, v)
	}
	hr, err := req.ConvertRequest()
	if err != nil {
		t.Fatal(err)
	}
	return hr.WithContext(t.Context())
}

func TestSignatureMatchesSDK(t *testing.T) {
	tricky := map[string]any{
		"limit": 5, "offset": int32(10), "start_time": "20240301110000",
		"note": "a b+c/é&x=y", "tag": []string{"z", "a b"}, "empty": "",
	}
	tests := []struct {
		name    string
		ak, sk  string
		query   map[string]any
		skew    time.Duration // of the simulator's clock against the signing date
		tamper  func(r *http.Request)
		wantErr bool
	}{
		{name: "valid", ak: testAK, sk: testSK, query: map[string]any{"limit": 5}},
		{name: "no query", ak: testAK, sk: testSK},
		{name: "escaping, repeated and empty values", ak: testAK, sk: testSK, query: tricky},
		{name: "unsigned header added", ak: testAK, sk: testSK, tamper: func(r *http.Request) { r.Header.Set("X-Trace", "1") }},
		{name: "clock 14 minutes ahead", ak: testAK, sk: testSK, skew: 14 * time.Minute},
		{name: "wrong SK", ak: testAK, sk: testSK + "x", wantErr: true},
		{name: "wrong AK", ak: "OTHERAK", sk: testSK, wantErr: true},
		{name: "tampered query", ak: testAK, sk: testSK, query: map[string]any{"limit": 5},
			tamper: func(r *http.Request) { r.URL.RawQuery = "limit=1000" }, wantErr: true},
		{name: "tampered signed header", ak: testAK, sk: testSK,
			tamper: func(r *http.Request) { r.Header.Set("X-Project-Id", "other") }, wantErr: true},
		{name: "date too old", ak: testAK, sk: testSK, skew: 16 * time.Minute, wantErr: true},
		{name: "date in the future", ak: testAK, sk: testSK, skew: -16 * time.Minute, wantErr: true},
		{name: "no authorization", ak: testAK, sk: testSK,
			tamper: func(r *http.Request) { r.Header.Del("Authorization") }, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv, c := start(t, Options{AK: testAK, SK: testSK})
			c.Set(t0.Add(tt.skew))
			req := sdkRequest(t, srv.URL, tasksPath, tt.query, t0, tt.ak, tt.sk)
			if tt.tamper != nil {
				tt.tamper(req)
			}
			r := do(t, req)
			if !tt.wantErr {
				if r.status != http.StatusOK {
					t.Fatalf("status %d, want 200 (body %s)", r.status, r.body)
				}
				return
			}
			if r.status != http.StatusUnauthorized || errorCode(t, r.body) != "APIGW.0301" {
				t.Errorf("got %d %s, want 401 APIGW.0301", r.status, r.body)
			}
		})
	}
}

// TestSDKCredentials signs the way internal/dcs does, through the credentials' own
// ProcessAuthRequest, which fills {project_id} and adds X-Project-Id.
func TestSDKCredentials(t *testing.T) {
	s, srv, c := start(t, Options{AK: testAK, SK: testSK})
	c.Set(time.Now()) // this signer dates the request itself
	s.PutAll(testProject, numbered(5))
	cred, err := basic.NewCredentialsBuilder().WithAk(testAK).WithSk(testSK).WithProjectId(testProject).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	send := func(value func(string) any) page {
		b := request.NewHttpRequestBuilder().WithEndpoint(srv.URL).WithMethod(http.MethodGet).
			WithPath("/v2/{project_id}/tasks").AddQueryParam("limit", value("2")).
			WithSigningAlgorithm(algorithm.HmacSHA256) // without it ProcessAuthRequest fails

		req, err := cred.ProcessAuthRequest(nil, b.Build())
		if err != nil {
			t.Fatal(err)
		}
		hr, err := req.ConvertRequest()
		if err != nil {
			t.Fatal(err)
		}
		r := do(t, hr.WithContext(t.Context()))
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		return decodePage(t, r.body)
	}
	if got := len(send(func(v string) any { return reflect.ValueOf(v) }).Tasks); got != 2 {
		t.Errorf("limit=2 as reflect.Value: %d tasks, want 2", got)
	}
	// The SDK's trap, pinned here so that it stays known: a plain string query value is
	// neither signed nor sent, so the server sees no limit and applies its default.
	if got := len(send(func(v string) any { return v }).Tasks); got != 5 {
		t.Errorf("limit=2 as string: %d tasks, want all 5 (parameter dropped by the SDK)", got)
	}
}

func TestAuthWithoutKeys(t *testing.T) {
	_, srv, _ := start(t, Options{})
	for _, tt := range []struct {
		header string
		want   int
	}{
		{"SDK-HMAC-SHA256 Access=anything, SignedHeaders=x-sdk-date, Signature=bad", 200},
		{"SDK-HMAC-SHA256 x", 200},
		{"Bearer token", 401},
		{"", 401},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+tasksPath, nil)
		if tt.header != "" {
			req.Header.Set("Authorization", tt.header)
		}
		if r := do(t, req); r.status != tt.want {
			t.Errorf("Authorization %q: status %d, want %d", tt.header, r.status, tt.want)
		}
	}
}
