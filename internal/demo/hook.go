package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"notifier/internal/config"
	"notifier/internal/confkit"
	"notifier/internal/receiver"
	"notifier/internal/sinks/webhook"
)

// The variables the demo's own webhook receiver reads its URL and signing secret from;
// the demo answers them itself (world.getenv).
const (
	hookURLEnv    = "NOTIFIER_DEMO_WEBHOOK_URL"
	hookSecretEnv = "NOTIFIER_DEMO_WEBHOOK_SECRET"
)

// hook is --webhook: a local HTTP server standing for a subscriber's service. It prints
// each request a [[webhook]] receiver sends it (the headers that carry meaning and the
// body), checks its signature as docs/receivers.md says a subscriber should, and answers
// 202.
type hook struct {
	srv      *http.Server
	url      string
	secret   string
	p        atomic.Pointer[printer] // set before the pipeline runs
	received atomic.Int64
}

func startHook() (*hook, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("demo: webhook listener: %w", err)
	}
	h := &hook{url: "http://" + ln.Addr().String() + "/events", secret: randomHex(16)}
	h.srv = &http.Server{Handler: http.HandlerFunc(h.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = h.srv.Serve(ln) }()
	return h, nil
}

func (h *hook) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, "cannot read the body", http.StatusBadRequest)
		return
	}
	h.received.Add(1)
	if p := h.p.Load(); p != nil {
		p.notef("%s", h.describe(r, body, p.stamp()))
	}
	w.WriteHeader(http.StatusAccepted)
}

// describe is what the demo prints of one request.
func (h *hook) describe(r *http.Request, body []byte, stamp string) string {
	sig := "signature verified"
	ts := r.Header.Get(webhook.TimestampHeader)
	if r.Header.Get(webhook.SignatureHeader) != "sha256="+webhook.Sign([]byte(h.secret), ts, body) {
		sig = "SIGNATURE DOES NOT VERIFY"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s  webhook   %s %s (%s)\n", stamp, r.Method, r.URL.Path, sig)
	for _, k := range slices.Sorted(maps.Keys(r.Header)) {
		l := strings.ToLower(k)
		if l == "content-type" || strings.HasPrefix(l, "ce-") || strings.HasPrefix(l, "x-notifier-") {
			fmt.Fprintf(&b, "          %s: %s\n", k, strings.Join(r.Header[k], ", "))
		}
	}
	var out bytes.Buffer
	if json.Indent(&out, body, "          ", "  ") != nil {
		out.Reset()
		out.Write(body)
	}
	fmt.Fprintf(&b, "          %s\n", bytes.TrimSpace(out.Bytes()))
	return b.String()
}

// receiver is the [[webhook]] entry that sends the hook every event, signed, in
// structured mode, with the defaults a config file would give it.
func (h *hook) receiver() webhook.Config {
	return webhook.Config{
		Common: receiver.Common{Name: "demo-webhook", MinSeverity: "info", MaxPending: config.DefaultMaxPending},
		URLEnv: hookURLEnv, SigningSecretEnv: hookSecretEnv, Method: http.MethodPost, Mode: webhook.Structured,
		ContentType: webhook.DefaultContentType, Timeout: confkit.Duration(5 * time.Second),
	}
}

func (h *hook) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = h.srv.Shutdown(ctx)
}
