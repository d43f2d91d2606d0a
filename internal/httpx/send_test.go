package httpx

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Send sends the method, body and headers as given, and a hidden value that the answer
// echoes is kept out of Check's error as the URL is.
func TestSendSendsWhatItIsGivenAndHidesTheHiddenValues(t *testing.T) {
	const token = "Bearer s3cret-token-value"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPut || r.Header.Get("Content-Type") != "text/plain" || string(b) != "hello" ||
			r.Header.Get("X-Team") != "dcs" {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		http.Error(w, "refused "+r.Header.Get("Authorization")+" at "+r.URL.Path, http.StatusForbidden)
	}))
	t.Cleanup(srv.Close)
	h := http.Header{"Content-Type": {"text/plain"}, "X-Team": {"dcs"}, "Authorization": {token}}
	resp, err := Send(t.Context(), NewClient(nil), http.MethodPut, srv.URL+secretPath, []byte("hello"), h, []string{token})
	if err != nil {
		t.Fatal(err)
	}
	err = Check(resp)
	var se *StatusError
	if !errors.As(err, &se) || se.StatusCode != http.StatusForbidden {
		t.Fatalf("Check = %v, want a 403", err)
	}
	if strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "S3cr3t") {
		t.Errorf("the error shows a secret: %v", err)
	}
}

func TestClientFor(t *testing.T) {
	c, pem, err := ClientFor(0, "")
	if err != nil || c.Timeout != DefaultTimeout || pem != nil {
		t.Errorf("ClientFor(0, \"\") = %v, %q, %v", c, pem, err)
	}
	if c, _, _ := ClientFor(3*time.Second, ""); c.Timeout != 3*time.Second {
		t.Errorf("timeout %v", c.Timeout)
	}
	bad := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(bad, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ClientFor(0, bad); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("a file without a certificate: %v", err)
	}
	if _, _, err := ClientFor(0, filepath.Join(t.TempDir(), "missing.pem")); err == nil {
		t.Error("a missing file: no error")
	}
}

func TestReadURL(t *testing.T) {
	env := map[string]string{"GOOD": "https://hooks.example/x" + secretPath, "BAD": "hooks.example" + secretPath}
	getenv := func(k string) string { return env[k] }
	if u, err := ReadURL("webhook[0]", "GOOD", "", getenv); err != nil || u.Reveal() != env["GOOD"] {
		t.Errorf("ReadURL(GOOD) = %v", err)
	}
	for name, want := range map[string]string{
		"BAD":   "webhook[0].url_env: the URL in environment variable BAD is not an absolute http(s) URL",
		"UNSET": "webhook[0].url_env: secret: environment variable UNSET is empty or unset",
	} {
		_, err := ReadURL("webhook[0]", name, "", getenv)
		if err == nil || err.Error() != want || strings.Contains(err.Error(), "S3cr3t") {
			t.Errorf("ReadURL(%s) = %v, want %q", name, err, want)
		}
	}
}
