package dcs

import (
	"testing"
	"time"
)

// BenchmarkSignedRequest is the SDK's part of one page: building the request, signing it
// (SDK-HMAC-SHA256) and converting it to an *http.Request. Everything but the credentials
// (built once, in NewClient) differs between pages: the offset is in the signed query and
// the date in the signed headers.
func BenchmarkSignedRequest(b *testing.B) {
	c, err := NewClient(Options{Region: "cn-north-4", ProjectID: "0123456789abcdef0123456789abcdef",
		Endpoint: "https://dcs.example", Credentials: Credentials{AK: "BENCHAK0000000000001", SK: "bench-sk"}})
	if err != nil {
		b.Fatal(err)
	}
	q := Query{Offset: 1000, Limit: 1000, Start: time.Now()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.signedRequest(b.Context(), q); err != nil {
			b.Fatal(err)
		}
	}
}
