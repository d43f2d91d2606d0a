package smn_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/smn"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenPayloads holds what SMN is asked to publish for each outcome, as once
// --dry-run --render shows it: the request line, the subject and each protocol's text
// (message_structure decoded, the CloudEvent of http and https included).
func TestGoldenPayloads(t *testing.T) {
	cfg := smn.Config{TopicURN: urn}
	cfg.Name = "smn-oncall"
	smn.Spec.Defaults(&cfg, func(string) bool { return false })
	now := time.Date(2026, 12, 5, 3, 12, 0, 0, time.UTC)
	for _, name := range []string{"switchover-started", "switchover-succeeded", "switchover-failed", "stuck", "gap"} {
		t.Run(name, func(t *testing.T) {
			e := sample(t, name)
			r, err := smn.Spec.Render(t.Context(), &cfg, "smn[0]", receiver.Deps{Log: zerolog.Nop(), Now: now}, []event.Event{e})
			if err != nil {
				t.Fatal(err)
			}
			if r.Units != 1 || len(r.Payloads) != 2 {
				t.Fatalf("rendering %+v, want one request", r)
			}
			var body struct {
				Subject          string `json:"subject"`
				MessageStructure string `json:"message_structure"`
			}
			raw, _ := r.Payloads[1].(json.RawMessage)
			if err := json.Unmarshal(raw, &body); err != nil {
				t.Fatalf("body %s: %v", raw, err)
			}
			var structure map[string]string
			if err := json.Unmarshal([]byte(body.MessageStructure), &structure); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			fmt.Fprintf(&b, "%s\nsubject: %s\n", r.Payloads[0], body.Subject)
			for _, p := range []string{"default", "email", "sms", "http", "https"} {
				fmt.Fprintf(&b, "--- %s\n%s\n", p, structure[p])
			}
			if len(structure) != 5 {
				t.Errorf("protocols %v", structure)
			}
			path := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (go test -run TestGoldenPayloads -update writes it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs:\n%s", path, b.Bytes())
			}
		})
	}
}
