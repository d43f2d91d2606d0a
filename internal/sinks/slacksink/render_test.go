package slacksink

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"notifier/internal/event"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// clock is the fixed "now" of every rendering test.
var clock = time.Date(2023, 6, 17, 8, 30, 0, 0, time.UTC)

const project = "0123456789abcdef0123456789abcdef"

// ev builds an event the way the poller does, from a task object as the API sends it.
func ev(t *testing.T, previous string, created bool, task string) event.Event {
	t.Helper()
	var head struct{ ID, Name, Status string }
	if err := json.Unmarshal([]byte(task), &head); err != nil {
		t.Fatalf("task fixture: %v", err)
	}
	return event.New(event.Transition{
		ProjectID: project, Region: "cn-north-4", TaskID: head.ID, TaskName: head.Name,
		Status: head.Status, PreviousStatus: previous, Created: created, Seq: 1,
		Task: json.RawMessage(task), DetectedAt: clock.Add(-5 * time.Second),
	})
}

// named gives an event a project name and the instance its task names, as the poller does.
func named(e event.Event) event.Event {
	e.Data.ProjectName = "prod-eu"
	e.Data.InstanceID, e.Data.InstanceName = event.Instance(e.Data.Task)
	return e
}

// fixtures are the events of the golden tests, by file name.
func fixtures(t *testing.T) map[string]event.Event {
	return map[string]event.Event{
		"created": ev(t, "", true, `{"id":"8abf6e1e72c12e7c0172c15b508500aa","name":"EXTEND",
			"job_id":"8abf6e1e87bce0740187bd32748b0530","user_name":"ops_lin_02","user_id":"d539",
			"details":{"old_cache_mode":"ha","new_cache_mode":"ha","old_capacity":0.125,"new_capacity":0.25,
			"is_only_adjust_charging":false},"status":"RUNNING","created_at":"2023-06-17T08:18:06.597Z",
			"updated_at":"","error_code":"","enable_show":true}`),
		"failed": ev(t, "RUNNING", false, `{"id":"ff80808188bfde180188c36bb9ca4a30","name":"masterStandbySwapJob",
			"job_id":"ff80808188bfde180188c36bb9c44a2f","user_name":"ops_wang_11",
			"details":{"source_ip":"192.168.0.21","target_ip":"192.168.0.37"},"status":"FAILED",
			"created_at":"2023-06-17T08:18:06.597Z","updated_at":"2023-06-17T08:19:43.120Z",
			"error_code":"111400063","enable_show":false}`),
		"succeeded": ev(t, "RUNNING", false, `{"id":"ff80808188bfde180188c36bb9ca4a31","name":"masterStandbySwapJob",
			"job_id":"ff80808188bfde180188c36bb9c44a2e","user_name":"ops_wang_11",
			"details":{"source_ip":"192.168.0.21","target_ip":"192.168.0.37"},"status":"SUCCESS",
			"created_at":"2023-06-17T08:18:06.597Z","updated_at":"2023-06-17T08:18:10.106Z",
			"error_code":"111400063","enable_show":false}`),
		"instance-project": named(ev(t, "", true, `{"id":"ff80808188bfde180188c36bb9ca4a32","name":"AddReplica",
			"user_name":"ops_lin_02","params":"{\"instance_id\":\"3f0c7e2a-inst\",\"instance_name\":\"redis-orders\"}",
			"details":{"replica_az":"cn-north-4b"},"status":"RUNNING","created_at":"2023-06-17T08:28:00Z"}`)),
		"future-created": ev(t, "", true, `{"id":"f1","name":"BindEip","status":"RUNNING",
			"created_at":"2023-06-17T09:00:00Z","updated_at":""}`),
		"unknown-name": ev(t, "", true, `{"id":"0a0b0c0d","name":"dcsSomethingNew","job_id":"",
			"user_name":"paas_dcs_004_01","details":null,"status":"WAITING",
			"created_at":"not a time","updated_at":"","error_code":"","enable_show":false}`),
		"details-heavy": ev(t, "RUNNING", false, `{"id":"d1","name":"ChangeInstanceSpec","job_id":"j1","user_name":"ops_chen_03",
			"details":{"old_capacity":"2","new_capacity":"4","enable_public_ip":true,"public_ip_id":"5f1c-9a",
			"public_ip_address":"121.36.10.7","enable_ssl":false,"old_cache_mode":"single","new_cache_mode":"ha",
			"old_resource_spec_code":"redis.single.xu1.large.2","new_resource_spec_code":"redis.ha.xu1.large.r2.4",
			"old_replica_num":1,"new_replica_num":2,"old_cache_type":"","new_cache_type":"redis",
			"replica_ip":"192.168.1.9","replica_az":"cn-north-4a","group_name":"group-0","old_port":6379,
			"new_port":6380,"is_only_adjust_charging":true,"account_name":"app_rw","source_ip":"192.168.0.1",
			"target_ip":"192.168.0.2","node_name":"node-3","rename_commands":["flushall","keys",""],
			"updated_config_length":3,"brand_new_field":"shown by name"},"status":"SUCCESS",
			"created_at":"2023-06-17T07:00:00Z","updated_at":"2023-06-17T07:12:31.5Z","error_code":"","enable_show":true}`),
	}
}

func TestRenderGolden(t *testing.T) {
	for name, e := range fixtures(t) {
		t.Run(name, func(t *testing.T) {
			msg := Render(&e, clock, event.DefaultStatuses())
			checkMessage(t, &msg)
			golden(t, name, &msg)
		})
	}
}

func TestRenderDigestGolden(t *testing.T) {
	fx := fixtures(t)
	var evs []event.Event
	for i := range 6 {
		for _, n := range []string{"succeeded", "created", "failed"} {
			e := fx[n]
			e.ID = fmt.Sprintf("%s-%d", n, i)
			e.Subject = fmt.Sprintf("%s-task-%d", n, i) // 18 tasks: one line each
			evs = append(evs, e)
		}
	}
	msg := RenderDigest(evs, clock, event.DefaultStatuses())
	checkMessage(t, &msg)
	golden(t, "digest", &msg)
	text := texts(&msg)
	if i, j := strings.Index(text, "FAILED"), strings.Index(text, "SUCCEEDED"); i < 0 || j < i {
		t.Errorf("failures are not listed first:\n%s", text)
	}
}

func TestRenderDigestTruncates(t *testing.T) {
	e := fixtures(t)["failed"]
	evs := make([]event.Event, 500)
	for i := range evs {
		evs[i] = e
		evs[i].Subject = fmt.Sprintf("task-%d", i) // 500 tasks: one line each
	}
	msg := RenderDigest(evs, clock, event.DefaultStatuses())
	checkMessage(t, &msg)
	if !strings.Contains(texts(&msg), fmt.Sprintf("… and %d more", 500-digestLines)) {
		t.Errorf("no \"… and N more\" marker in\n%s", texts(&msg))
	}
}

func TestRenderHidesErrorCodeOnSuccess(t *testing.T) {
	fx := fixtures(t)
	s, f := fx["succeeded"], fx["failed"]
	if got := texts(ptr(Render(&s, clock, event.DefaultStatuses()))); strings.Contains(got, "111400063") {
		t.Errorf("a success shows its error code:\n%s", got)
	}
	if got := texts(ptr(Render(&f, clock, event.DefaultStatuses()))); !strings.Contains(got, "111400063") {
		t.Errorf("a failure does not show its error code:\n%s", got)
	}
}

func ptr[T any](v T) *T { return &v }

// golden compares msg with testdata/name.golden.json, or rewrites it with -update.
func golden(t *testing.T, name string, msg any) {
	t.Helper()
	raw, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	var v any // through a map, so keys are sorted
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run Golden -update to create it)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("%s differs from the golden file (rerun with -update if intended):\n%s", path, buf.String())
	}
}

// TestConfiguredTerminalStatusShownFinished: a status added to poll.terminal_statuses
// (ABORTED) is shown as finished, as the poller treats it, with its own word and its
// duration; without it, the same event shows a task still running.
func TestConfiguredTerminalStatusShownFinished(t *testing.T) {
	e := ev(t, "RUNNING", false, `{"id":"ab1","name":"EXTEND","status":"ABORTED",
		"created_at":"2023-06-17T08:18:06.597Z","updated_at":"2023-06-17T08:19:43.120Z"}`)
	aborted := event.NewStatuses(append(event.DefaultTerminal(), "ABORTED"))

	msg := Render(&e, clock, aborted)
	if !strings.HasPrefix(msg.Text, "⚪ *Changing the specifications aborted*") {
		t.Errorf("headline %q, want it shown as ended", msg.Text)
	}
	if got := texts(&msg); !strings.Contains(got, "*Duration*") || strings.Contains(got, "Running for") {
		t.Errorf("a finished task shows no duration or a running time:\n%s", got)
	}
	other := e
	other.Subject = "ab2"
	digest := RenderDigest([]event.Event{e, other}, clock, aborted)
	if !strings.Contains(digest.Text, "2 ended") || strings.Contains(digest.Text, "running") {
		t.Errorf("digest headline %q, want the tasks counted as ended", digest.Text)
	}

	// Unconfigured, ABORTED is a status nobody knows: the task is still followed, so it
	// runs, and the message says plainly that its status is unknown.
	msg = Render(&e, clock, event.DefaultStatuses())
	if !strings.HasPrefix(msg.Text, "🟣 *Changing the specifications* · unknown status ABORTED") {
		t.Errorf("headline %q, want an unconfigured status shown as unknown", msg.Text)
	}
	if got := texts(&msg); !strings.Contains(got, "Running for") {
		t.Errorf("a task still followed shows no running time:\n%s", got)
	}
}

// A task first seen finished says, in its Status, that it started and ended between two
// polls; one seen running does not.
func TestRenderSaysAStatusWasUnseen(t *testing.T) {
	fx := fixtures(t)
	s := fx["succeeded"]
	const note = "started and ended between two polls"
	if got := texts(ptr(Render(&s, clock, event.DefaultStatuses()))); strings.Contains(got, note) {
		t.Errorf("an event without unseen_statuses says %q:\n%s", note, got)
	}
	s.Data.UnseenStatuses = true
	if got := texts(ptr(Render(&s, clock, event.DefaultStatuses()))); !strings.Contains(got, note) {
		t.Errorf("an event with unseen_statuses does not say %q:\n%s", note, got)
	}
}
