package dcssim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer/algorithm"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	smn "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/smn/v2"
	smnmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/smn/v2/model"
)

// smnRequest builds PublishMessage (body non-nil) or ListTopicDetails for urn with the
// SDK's request definitions, signed by the SDK with ak/sk.
func smnRequest(t *testing.T, endpoint, urn string, body *smnmodel.PublishMessageRequestBody, ak, sk string) *http.Request {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(testProject).SafeBuild()
	if err != nil {
		t.Fatal(err)
	}
	def := smn.GenReqDefForListTopicDetails()
	if body != nil {
		def = smn.GenReqDefForPublishMessage()
	}
	b := request.NewHttpRequestBuilder().WithEndpoint(endpoint).WithMethod(def.Method).WithPath(def.Path).
		AddPathParam("topic_urn", urn).WithSigningAlgorithm(algorithm.HmacSHA256)
	if body != nil {
		b = b.AddHeaderParam("Content-Type", def.ContentType).WithBody("body", body)
	}
	req, err := cred.ProcessAuthRequest(nil, b.Build())
	if err != nil {
		t.Fatal(err)
	}
	hr, err := req.ConvertRequest()
	if err != nil {
		t.Fatal(err)
	}
	return hr.WithContext(t.Context())
}

func TestSMN(t *testing.T) {
	s, srv, c := start(t, Options{AK: testAK, SK: testSK})
	c.Set(time.Now())
	urn := "urn:smn:cn-north-4:" + testProject + ":dcs-alerts"
	s.AddTopic(urn)
	subject, structure := "DCS switchover failed", `{"default":"full text","sms":"short"}`
	body := &smnmodel.PublishMessageRequestBody{Subject: &subject, MessageStructure: &structure}

	r := do(t, smnRequest(t, srv.URL, urn, body, testAK, testSK))
	var ok struct{ RequestID, MessageID string }
	if r.status != http.StatusOK || json.Unmarshal(r.body, &struct {
		R *string `json:"request_id"`
		M *string `json:"message_id"`
	}{&ok.RequestID, &ok.MessageID}) != nil || ok.RequestID == "" || ok.MessageID == "" {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	got := s.Published()
	if len(got) != 1 || got[0].Subject != subject || got[0].Structure["sms"] != "short" || got[0].AK != testAK ||
		got[0].MessageID != ok.MessageID {
		t.Fatalf("published %+v", got)
	}
	if r := do(t, smnRequest(t, srv.URL, urn, nil, testAK, testSK)); r.status != http.StatusOK ||
		!strings.Contains(string(r.body), `"name":"dcs-alerts"`) {
		t.Errorf("details: %d %s", r.status, r.body)
	}

	for _, tc := range []struct {
		name   string
		req    *http.Request
		status int
		code   string
	}{
		{"wrong SK", smnRequest(t, srv.URL, urn, body, testAK, testSK+"x"), http.StatusUnauthorized, "APIGW.0301"},
		{"unknown topic", smnRequest(t, srv.URL, urn+"x", body, testAK, testSK), http.StatusNotFound, "SMN.0006"},
		{"unknown topic read", smnRequest(t, srv.URL, urn+"x", nil, testAK, testSK), http.StatusNotFound, "SMN.0006"},
		{"no default", smnRequest(t, srv.URL, urn, &smnmodel.PublishMessageRequestBody{MessageStructure: ptr(`{"sms":"x"}`)}, testAK, testSK),
			http.StatusBadRequest, "SMN.0001"},
		{"long subject", smnRequest(t, srv.URL, urn, &smnmodel.PublishMessageRequestBody{Subject: ptr(strings.Repeat("a", 513)),
			MessageStructure: &structure}, testAK, testSK), http.StatusBadRequest, "SMN.0001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, tc.req)
			if r.status != tc.status || !strings.Contains(string(r.body), `"`+tc.code+`"`) {
				t.Errorf("got %d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	s.InjectFault(Fault{Status: http.StatusTooManyRequests})
	if r := do(t, smnRequest(t, srv.URL, urn, body, testAK, testSK)); r.status != http.StatusTooManyRequests ||
		!strings.Contains(string(r.body), "APIGW.0308") {
		t.Errorf("fault: %d %s", r.status, r.body)
	}
	if n := len(s.Published()); n != 1 {
		t.Errorf("%d published, want only the first", n)
	}
}

func ptr(s string) *string { return &s }
