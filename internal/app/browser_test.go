package app_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notifier/internal/app"
	"notifier/internal/silence"
)

// chromium finds a Chromium to drive: $CHROMIUM, or the Debian package's binary (.ci/run
// installs it when missing).
func chromium(t *testing.T) string {
	t.Helper()
	names := []string{os.Getenv("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"}
	for _, n := range names {
		if n == "" {
			continue
		}
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skip("no Chromium found (looked for $CHROMIUM, chromium, chromium-browser, google-chrome): " +
		"install it with `apt-get install -y chromium` (.ci/run does) to run the headless-browser test of the status page")
	return ""
}

// headless runs Chromium headless on args and returns what it printed.
func headless(t *testing.T, bin string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--hide-scrollbars", "--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// The status page in a real browser: it renders (with its strict Content-Security-Policy)
// and shows the project, the running switchover, the unknown status and the receivers
// (above the recent events) as text, with the
// hostile task name as text rather than a script. A phone-sized screenshot goes to the
// test's temporary directory (and to $STATUS_SCREENSHOT when set, to refresh docs/status-page.png).
func TestStatusPageInABrowser(t *testing.T) {
	bin := chromium(t)
	var sil silence.Silence
	_, srv := statusAppWith(t, func(a *app.App) {
		var err error
		sil, err = a.AddSilence(t.Context(), silence.Silence{Matchers: silence.Matchers{Receiver: "team", EventType: "stuck"},
			EndsAt: time.Now().Add(2 * time.Hour), CreatedBy: "alice", Comment: "planned failover test"})
		if err != nil {
			t.Fatal(err)
		}
	})

	dom := string(headless(t, bin, "--dump-dom", srv.URL+"/"))
	for _, want := range []string{"prod-eu", "Master/standby switchover", "STUCK", "oncall", "nats: sent",
		"&lt;script&gt;alert(\"x\")&lt;/script&gt;", "redis-prod", "UNKNOWN STATUS", "(learned)",
		"Silences</h2>", "<code>" + sil.ID + "</code>", "receiver=team event_type=stuck", "alice", "planned failover test",
		"team: silenced (" + sil.ID + ")"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered page lacks %q", want)
		}
	}
	if r, e := strings.Index(dom, "Receivers</h2>"), strings.Index(dom, "Recent events</h2>"); r < 0 || e < r {
		t.Error("the receivers do not come before the recent events")
	}
	if strings.Contains(dom, "<script") {
		t.Error("the rendered page holds a script element")
	}
	if t.Failed() {
		t.Logf("DOM:\n%s", dom)
	}

	shot := filepath.Join(t.TempDir(), "status.png")
	headless(t, bin, "--screenshot="+shot, "--window-size=412,2400", srv.URL+"/")
	png, err := os.ReadFile(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 10_000 {
		t.Errorf("the screenshot (%d bytes) is not a PNG of a page", len(png))
	}
	if dst := os.Getenv("STATUS_SCREENSHOT"); dst != "" {
		if err := os.WriteFile(dst, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
