package app_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/receiver"
	"notifier/internal/sinks/alertmanager"
	"notifier/internal/testkit/testutil"
)

// amAlert is an alert as Alertmanager's API v2 lists it.
type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	UpdatedAt   time.Time         `json:"updatedAt"`
	Fingerprint string            `json:"fingerprint"`
	Status      struct {
		State      string   `json:"state"` // active, suppressed
		SilencedBy []string `json:"silencedBy"`
	} `json:"status"`
}

// realAlertmanager is a real Alertmanager on a loopback port, with its own storage and no
// cluster, routing every alert to a receiver that sends nothing.
func realAlertmanager(t *testing.T) *program {
	t.Helper()
	bin := testutil.Tool(t, "ALERTMANAGER", "prometheus-alertmanager", "alertmanager", "prometheus-alertmanager")
	cfg := writeTemp(t, "alertmanager.yml", "route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n")
	storage := t.TempDir()
	return startProgram(t, bin, func(addr string) []string {
		return []string{"--config.file=" + cfg, "--storage.path=" + storage, "--web.listen-address=" + addr,
			"--cluster.listen-address="}
	}, "/-/ready")
}

// alerts lists the alerts of name (silenced ones too) that Alertmanager has not seen end;
// more are more query parameters.
func (p *program) alerts(t *testing.T, name string, more ...string) []amAlert {
	t.Helper()
	out, err := p.listAlerts(name, more...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// listAlerts is alerts for a goroutine other than the test's.
func (p *program) listAlerts(name string, more ...string) ([]amAlert, error) {
	u := query(p.url, "/api/v2/alerts", append([]string{"filter", "alertname=" + name}, more...)...)
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out []amAlert
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// alertWatch polls Alertmanager for one alert from the moment it is active, and records
// every poll that finds it missing, not active, fired anew (another startsAt) or with
// another fingerprint: what a notifier restart or a re-send must never cause.
type alertWatch struct {
	mu      sync.Mutex
	first   amAlert
	updates map[time.Time]bool // the distinct updatedAt seen: one a post
	last    amAlert
	broken  []string
	stop    chan struct{}
	halt    func() // stops the polling and waits for it; once
	done    sync.WaitGroup
}

func watchAlert(t *testing.T, am *program, name, taskID string, first amAlert) *alertWatch {
	w := &alertWatch{first: first, last: first, updates: map[time.Time]bool{first.UpdatedAt: true}, stop: make(chan struct{})}
	w.halt = sync.OnceFunc(func() {
		close(w.stop)
		w.done.Wait()
	})
	t.Cleanup(w.halt) // a test failing before end stops it too
	w.done.Go(func() {
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-tick.C:
			}
			as, err := am.listAlerts(name)
			a, ok := findAlert(as, taskID)
			w.mu.Lock()
			switch {
			case err != nil:
				w.broken = append(w.broken, err.Error())
			case !ok:
				w.broken = append(w.broken, "missing")
			case a.Status.State != "active" || a.StartsAt != w.first.StartsAt || a.Fingerprint != w.first.Fingerprint:
				w.broken = append(w.broken, fmt.Sprintf("%s, startsAt %s, fingerprint %s", a.Status.State, a.StartsAt, a.Fingerprint))
			default:
				w.updates[a.UpdatedAt] = true
				w.last = a
			}
			w.mu.Unlock()
		}
	})
	return w
}

// posts is how many distinct posts of the alert the watch has seen.
func (w *alertWatch) posts() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.updates)
}

// end stops the watch and fails the test if the alert was ever not continuously active.
func (w *alertWatch) end(t *testing.T) amAlert {
	t.Helper()
	w.halt()
	if len(w.broken) > 0 {
		t.Fatalf("the alert did not stay active as it was: %s", strings.Join(w.broken, "; "))
	}
	return w.last
}

func findAlert(as []amAlert, taskID string) (amAlert, bool) {
	for _, a := range as {
		if a.Labels["task_id"] == taskID {
			return a, true
		}
	}
	return amAlert{}, false
}

// A failed switchover reaches a real Alertmanager as DCSTaskFailed with the labels
// docs/receivers.md documents, stays active (the same alert, never fired anew) across
// re-sends and a notifier restart, is silenced by amtool, and is resolved by the
// notifier when the retry on the same instance succeeds, before its endsAt would have
// ended it.
func TestFailedSwitchoverInARealAlertmanager(t *testing.T) {
	amtool := testutil.Tool(t, "AMTOOL", "prometheus-alertmanager", "amtool")
	am := realAlertmanager(t)
	p := newPipeline(t, false)
	p.cfg.DCS.Projects[0].Name = "prod-eu"
	// endsAt is 4 × 5 s ahead: a restart shorter than that (on a loaded machine too) keeps
	// the alert active.
	p.cfg.Alertmanager = []alertmanager.Config{{Common: receiver.Common{Name: "am", MinSeverity: "warning", MaxPending: 100},
		URL: am.url, ResendInterval: config.Duration(5 * time.Second), FailedTTL: config.Duration(24 * time.Hour)}}
	put := func(id, status string) {
		p.sim.Put(pipeProject, dcssim.Task{ID: id, Name: event.SwitchoverTask, Status: status, CreatedAt: time.Now().UTC(),
			UserName: "ops", JobID: "job-" + id, ErrorCode: "111400082", Extra: map[string]any{"instance_id": "inst-1"}})
	}

	stop, _ := p.start()
	put("swap-1", "RUNNING")
	testutil.Eventually(t, "DCSSwitchover in Alertmanager", func() bool { return len(am.alerts(t, "DCSSwitchover")) == 1 })
	// Every task carries an error_code (the vendor's example: a succeeded one too); only a
	// failure's alert shows it.
	if sw := am.alerts(t, "DCSSwitchover"); sw[0].Labels["error_code"] != "" {
		t.Errorf("a running switchover's alert has error_code %q", sw[0].Labels["error_code"])
	}
	p.set("swap-1", "FAILED")
	var failed amAlert
	testutil.Eventually(t, "DCSTaskFailed in Alertmanager", func() bool {
		var ok bool
		failed, ok = findAlert(am.alerts(t, "DCSTaskFailed"), "swap-1")
		return ok
	})
	testutil.Eventually(t, "DCSSwitchover resolved", func() bool { return len(am.alerts(t, "DCSSwitchover")) == 0 })
	want := map[string]string{"alertname": "DCSTaskFailed", "severity": "critical", "project_id": pipeProject,
		"project_name": "prod-eu", "region": "cn-north-4", "task_name": event.SwitchoverTask, "task_id": "swap-1",
		"instance_id": "inst-1", "error_code": "111400082"}
	for k, v := range want {
		if failed.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, failed.Labels[k], v, failed.Labels)
		}
	}
	if failed.Annotations["summary"] == "" || failed.Annotations["description"] == "" || failed.Status.State != "active" {
		t.Fatalf("annotations %v, state %s: want a summary, a description, active", failed.Annotations, failed.Status.State)
	}

	// A re-send, a restart and the re-send after it: the same alert stays active all along.
	w := watchAlert(t, am, "DCSTaskFailed", "swap-1", failed)
	testutil.Eventually(t, "a re-send", func() bool { return w.posts() >= 2 })
	stop()
	before := w.posts()
	stop, _ = p.start()
	defer stop()
	testutil.Eventually(t, "the re-send after the restart", func() bool { return w.posts() > before })
	last := w.end(t)

	// amtool silences it: suppressed, and gone from the unsilenced list.
	out, err := exec.CommandContext(t.Context(), amtool, "silence", "add", "--alertmanager.url="+am.url,
		"--author=notifier-test", "--comment=maintenance", "--duration=1h", "alertname=DCSTaskFailed", "task_id=swap-1").CombinedOutput()
	if err != nil {
		t.Fatalf("amtool silence add: %v\n%s", err, out)
	}
	silence := strings.TrimSpace(string(out))
	testutil.Eventually(t, "the alert silenced by "+silence, func() bool {
		a, ok := findAlert(am.alerts(t, "DCSTaskFailed"), "swap-1")
		return ok && a.Status.State == "suppressed" && len(a.Status.SilencedBy) == 1 && a.Status.SilencedBy[0] == silence
	})
	if _, ok := findAlert(am.alerts(t, "DCSTaskFailed", "silenced", "false"), "swap-1"); ok {
		t.Error("the silenced alert is listed with silenced=false")
	}

	// The retry on the same instance succeeds: the notifier resolves the alert, long
	// before the endsAt of its last re-send.
	put("swap-2", "RUNNING")
	p.set("swap-2", "SUCCESS")
	testutil.Eventually(t, "DCSTaskFailed resolved", func() bool {
		a, ok := findAlert(am.alerts(t, "DCSTaskFailed"), "swap-1")
		if ok {
			last = a
		}
		return !ok
	})
	if resolved := time.Now(); !resolved.Before(last.EndsAt) {
		t.Errorf("resolved at %s, not before the last endsAt %s: it ended by itself, not by the notifier", resolved, last.EndsAt)
	}
	testutil.Eventually(t, "no alert left", func() bool {
		return len(am.alerts(t, "DCSSwitchover")) == 0 && len(am.alerts(t, "DCSTaskFailed")) == 0
	})
}
