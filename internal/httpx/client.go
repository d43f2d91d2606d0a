package httpx

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"time"
)

// ClientFor is the client of a receiver with a timeout (0: DefaultTimeout) that verifies
// an https server with the CA certificates in caFile ("": the system's), and what caFile
// holds, for a reload to tell a changed file. Pass it through NewClient.
func ClientFor(timeout time.Duration, caFile string) (*http.Client, []byte, error) {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	if caFile == "" {
		return &http.Client{Timeout: timeout}, nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("%s holds no PEM certificate", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: tr, Timeout: timeout}, pem, nil
}
