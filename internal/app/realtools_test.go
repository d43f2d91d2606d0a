package app_test

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"notifier/internal/testkit/testutil"
)

// Helpers for the tests that drive the real tools (promtool, Prometheus, Alertmanager,
// amtool; testutil.Tool finds them or skips) against a notifier on the simulator.

// freeAddr is a loopback address with a port free a moment ago, for a program that must
// be told its port (Prometheus and Alertmanager log the port asked for, not the one
// taken, so ":0" would leave the test unable to reach them).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// program is a real program a test runs on a loopback port until the test ends.
type program struct {
	url string // http://127.0.0.1:PORT
	out *testutil.SyncBuffer
}

// startProgram runs bin with the arguments args gives for its listen address, and waits
// until GET ready answers 200. Another process taking the port between freeAddr and the
// start is retried on a new port; any other early exit fails the test with the program's
// output, which is also logged when the test fails. The program gets SIGTERM at the end.
func startProgram(t *testing.T, bin string, args func(addr string) []string, ready string) *program {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addr := freeAddr(t)
		out := &testutil.SyncBuffer{}
		cmd := exec.Command(bin, args(addr)...)
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Start(); err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		p := &program{url: "http://" + addr, out: out}
		err := p.waitReady(ready, exited)
		if err == nil {
			t.Cleanup(func() {
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case <-exited:
				case <-time.After(10 * time.Second):
					_ = cmd.Process.Kill()
					<-exited
				}
				if t.Failed() {
					t.Logf("%s %s:\n%s", filepath.Base(bin), strings.Join(args(addr), " "), out)
				}
			})
			return p
		}
		if strings.Contains(out.String(), "address already in use") && attempt < 3 {
			continue
		}
		_ = cmd.Process.Kill()
		t.Fatalf("%s %s: %v\n%s", bin, strings.Join(args(addr), " "), err, out)
	}
}

// waitReady polls GET p.url+path until it answers 200, the program exits or
// testutil.EventuallyTimeout passes.
func (p *program) waitReady(path string, exited <-chan error) error {
	deadline := time.Now().Add(testutil.EventuallyTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if resp, err := http.Get(p.url + path); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return errors.Join(errors.New("exited before it was ready"), err)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return errors.New("not ready in time")
		}
	}
}

// readURL reads url; a status other than 200 fails the test.
func readURL(t *testing.T, u string) []byte {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", u, resp.Status, body)
	}
	return body
}

// getJSON decodes the JSON at url into v.
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	if err := json.Unmarshal(readURL(t, u), v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// writeTemp writes content to name in a new temporary directory and returns its path.
func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// query builds an API URL with its query parameters.
func query(base, path string, kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return base + path + "?" + v.Encode()
}
