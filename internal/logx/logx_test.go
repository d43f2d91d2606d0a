package logx_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notifier/internal/logx"
)

func TestDurationsAreStrings(t *testing.T) {
	var b bytes.Buffer
	log := logx.New("info", "json", &b)
	log.Info().
		Dur("retry_in", logx.Round(463402284*time.Nanosecond)).Dur("tiny", logx.Round(123456)).Msg("x")
	for _, want := range []string{`"retry_in":"463ms"`, `"tiny":"123µs"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("log line %s lacks %s", b.String(), want)
		}
	}
}

// format = "console" writes colour codes to a terminal only: a file gets plain text.
func TestConsoleColourOnlyOnATerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	log := logx.New("info", "console", f)
	log.Warn().Str("receiver", "nats").Msg("hello")
	b, err := os.ReadFile(f.Name())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte("\x1b[")) || !bytes.Contains(b, []byte("hello")) {
		t.Errorf("console log to a file = %q, want plain text", b)
	}
}
