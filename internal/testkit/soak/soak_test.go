//go:build soak

package soak

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/state"
	"notifier/internal/testkit/natstest"
)

// The notifier's request_timeout and max_backoff: together they bound how long one API
// fault keeps a project blind.
const (
	requestTimeout = time.Second
	maxBackoff     = time.Second
)

var duration = flag.Duration("soak.duration", 5*time.Minute, "how long the chaos lasts (scripts/soak passes it)")

// Secrets of the soak; none may appear in any log line of any run.
const (
	soakAK        = "SOAKAKSOAKAKSOAKAK01"
	soakSK        = "soak-secret-key-0123456789abcdefghij"
	soakToken     = "soak-security-token-ZXhhbXBsZQ"
	soakNATSToken = "soak-nats-token-s3cr3t"
	slackPath     = "/services/T0SOAK000/B0SOAK000/soakWebhookSecretPart0123"
)

// TestSoak runs the real notifier through faults of every kind and checks that every
// transition the simulator made reached the JetStream stream exactly once, that
// everything was delivered to Slack, and that no secret reached a log.
func TestSoak(t *testing.T) {
	d := *duration
	dir := t.TempDir()
	projects := []string{newID(), newID(), newID()}

	sim := dcssim.New(dcssim.Options{AK: soakAK, SK: soakSK})
	for _, p := range projects {
		sim.AddProject(p)
	}
	api := httptest.NewServer(sim)
	defer api.Close()

	nb := natstest.Restartable(t, natstest.StoreDir(filepath.Join(dir, "jetstream")), natstest.Token(soakNATSToken))
	defer nb.Stop()

	sl := &slack{}
	sl.chaos.Store(true)
	slackSrv := httptest.NewServer(sl)
	defer slackSrv.Close()
	webhook := slackSrv.URL + slackPath

	bin := filepath.Join(dir, "notifier")
	if out, err := exec.Command("go", "build", "-o", bin, "notifier/cmd/notifier").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cfg := filepath.Join(dir, "notifier.toml")
	if err := os.WriteFile(cfg, []byte(config(api.URL, nb.URL(), filepath.Join(dir, "state"), projects)), 0o600); err != nil {
		t.Fatal(err)
	}
	logDir := filepath.Join(dir, "logs")
	if err := os.Mkdir(logDir, 0o700); err != nil {
		t.Fatal(err)
	}
	nf := &notifier{t: t, bin: bin, cfg: cfg, logDir: logDir, env: []string{
		"PATH=" + os.Getenv("PATH"), "CLOUD_SDK_AK=" + soakAK, "CLOUD_SDK_SK=" + soakSK,
		"CLOUD_SDK_SECURITY_TOKEN=" + soakToken, "SOAK_NATS_TOKEN=" + soakNATSToken, "SOAK_SLACK_WEBHOOK=" + webhook,
	}}
	nf.start()

	// The chaos: the workload, API faults, NATS restarts, SIGKILLs.
	began := time.Now()
	w := &world{sim: sim, projects: projects, minHold: 5 * time.Second, maxHold: 8 * time.Second}
	lifetime := 3 * w.maxHold // the longest path has four statuses
	startFor := max(d-lifetime, d/2)
	// About 1,200 transitions a minute (three per task on average).
	rate := 400.0 / time.Minute.Seconds() * d.Minutes() / startFor.Minutes()
	ctx, stopChaos := context.WithCancel(context.Background())
	defer stopChaos()
	var chaos sync.WaitGroup
	f := &faults{sim: sim, quiet: requestTimeout + maxBackoff + 500*time.Millisecond}
	chaos.Go(func() { f.run(ctx) })
	chaos.Go(func() {
		every(ctx, min(30*time.Second, max(d/6, 3*time.Second)), func() { nf.kill(); nf.start() })
	})
	natsRestarts := 0 // read once chaos is over
	chaos.Go(func() {
		every(ctx, max(d/4, 5*time.Second), func() {
			nb.Stop()
			time.Sleep(500 * time.Millisecond) // an outage, not a synchronisation
			nb.Start()
			natsRestarts++
		})
	})
	w.run(context.Background(), rate, began.Add(startFor))
	stopChaos()
	chaos.Wait()
	sl.chaos.Store(false)
	nf.check()
	chaosTook := time.Since(began)

	// Convergence: every transition in the stream and nothing pending, or a deadline.
	want := w.expected()
	convergeBegan := time.Now()
	stateDir := filepath.Join(dir, "state")
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if streamMsgs(nb.URL()) >= len(want) && outboxLen(stateDir) == 0 {
			break
		}
		time.Sleep(200 * time.Millisecond) // polling a condition, with a deadline
	}
	if err := nf.stop(); err != nil {
		t.Errorf("the notifier did not stop cleanly at SIGTERM: %v", err)
	}
	converge := time.Since(convergeBegan)

	r := measure(t, nb.URL(), want)
	r.tasks, r.chaos, r.converge = w.taskCount(), chaosTook, converge
	r.slackPosts, r.slackThrottled, r.slackFailed = sl.posts.Load(), sl.throttled.Load(), sl.failed.Load()
	r.kills, r.natsRestarts, r.faults, r.faultKinds = nf.kills, natsRestarts, f.injected, f.byKind
	r.pending = outboxLen(stateDir)
	r.logFiles, r.logLines, r.leaks, r.panics = scanLogs(t, logDir, []string{
		soakAK, soakSK, soakToken, soakNATSToken, webhook, slackPath, "soakWebhookSecretPart0123",
	})
	r.print(t)

	for _, u := range nf.unwanted {
		t.Error(u)
	}
	if r.missing > 0 || r.dupIDs > 0 || r.dupContent > 0 {
		t.Errorf("missing %d, duplicate ids %d, duplicate transitions %d: want 0, 0, 0", r.missing, r.dupIDs, r.dupContent)
	}
	if r.pending != 0 {
		t.Errorf("%d events still pending for a sink after convergence", r.pending)
	}
	for _, l := range r.leaks {
		t.Errorf("secret in a log: %s", l)
	}
	for _, p := range r.panics {
		t.Errorf("crash in a log: %s", p)
	}
	if len(want) < 1000 && d >= time.Minute {
		t.Errorf("only %d transitions made; the soak must make 1,000 or more", len(want))
	}
	if t.Failed() {
		t.Logf("logs kept in %s", keepLogs(t, logDir))
	}
}

func config(api, natsURL, statePath string, projects []string) string {
	var b strings.Builder
	// The workload polls 3 projects of 3 pages every 200 ms: 45 requests a second. The soak
	// tests faults and restarts, not the request budget (internal/dcs tests it): at the
	// default 10 a second every poll waited about a second for its budget, and one fault,
	// its backoff and a restart then left a project unread for 8 s, longer than the 5 s a
	// status is held.
	fmt.Fprintf(&b, "[dcs]\npage_size = 50\nrequest_timeout = %q\nmax_requests_per_second = 100\n", requestTimeout)
	for _, p := range projects {
		fmt.Fprintf(&b, "[[dcs.projects]]\nregion = \"cn-north-4\"\nproject_id = %q\nendpoint = %q\n", p, api)
	}
	fmt.Fprintf(&b, `
[poll]
interval = "1s"
active_interval = "200ms"
max_backoff = %q
initial = "notify"

[state]
path = %q

[nats]
url = %q
jetstream = true
token_env = "SOAK_NATS_TOKEN"
publish_timeout = "3s"

[[slack.webhooks]]
name = "soak"
url_env = "SOAK_SLACK_WEBHOOK"

[http]
listen = ""

[log]
level = "debug"
format = "json"

[shutdown]
timeout = "20s"
`, maxBackoff, statePath, natsURL)
	return b.String()
}

func connect(url string) (*nats.Conn, jetstream.Stream, error) {
	nc, err := nats.Connect(url, nats.Token(soakNATSToken))
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "DCS_TASKS")
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, st, nil
}

func streamMsgs(url string) int {
	nc, st, err := connect(url)
	if err != nil {
		return -1
	}
	defer nc.Close()
	info, err := st.Info(context.Background())
	if err != nil {
		return -1
	}
	return int(info.State.Msgs)
}

func outboxLen(dir string) int {
	s, err := state.ReadDir(dir)
	if err != nil {
		return -1
	}
	return len(s.Outbox)
}

// measure reads the whole stream and compares it with the transitions made.
func measure(t *testing.T, url string, want map[string]bool) *report {
	t.Helper()
	r := &report{transitions: len(want)}
	nc, st, err := connect(url)
	if err != nil {
		t.Fatalf("reading the stream: %v", err)
	}
	defer nc.Close()
	ctx := context.Background()
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r.streamMsgs = int(info.State.Msgs)
	ids, seen := map[string]bool{}, map[string]int{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && seq > 0; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		if id := m.Header.Get("Nats-Msg-Id"); ids[id] {
			r.dupIDs++
		} else {
			ids[id] = true
		}
		var e event.Event
		if err := json.Unmarshal(m.Data, &e); err != nil {
			t.Errorf("message %d is not an event: %v", seq, err)
			continue
		}
		seen[e.Data.ProjectID+"/"+e.Subject+":"+e.Data.PreviousStatus+">"+e.Data.Status]++
	}
	for k, n := range seen {
		if n > 1 {
			r.dupContent += n - 1
		}
		if !want[k] {
			r.unexpected = append(r.unexpected, k)
		}
	}
	for k := range want {
		if seen[k] == 0 {
			r.missingKeys = append(r.missingKeys, k)
		}
	}
	r.missing = len(r.missingKeys)
	sort.Strings(r.missingKeys)
	sort.Strings(r.unexpected)
	return r
}

// scanLogs reads every run's log: it counts lines, and reports any line holding a
// secret (without printing the secret) or telling of a panic or a fatal error.
func scanLogs(t *testing.T, dir string, secrets []string) (files, lines int, leaks, panics []string) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, p := range paths {
		files++
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 16<<20)
		for sc.Scan() {
			lines++
			l := sc.Text()
			for i, s := range secrets {
				if strings.Contains(l, s) {
					leaks = append(leaks, fmt.Sprintf("%s line %d holds secret #%d", filepath.Base(p), lines, i))
				}
			}
			if strings.HasPrefix(l, "panic:") || strings.HasPrefix(l, "fatal error:") || strings.Contains(l, "DATA RACE") {
				panics = append(panics, filepath.Base(p)+": "+l)
			}
		}
		f.Close()
	}
	return files, lines, leaks, panics
}

// keepLogs copies the logs out of the test's temporary directory.
func keepLogs(t *testing.T, dir string) string {
	keep, err := os.MkdirTemp("", "soak-logs-")
	if err != nil {
		return dir + " (removed at the end of the test)"
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			_ = os.WriteFile(filepath.Join(keep, filepath.Base(p)), b, 0o600)
		}
	}
	return keep
}
