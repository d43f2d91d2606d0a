package slacksink

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"notifier/internal/event"
	"notifier/internal/linktmpl"
)

// outcomes are the statuses of the label × outcome golden files, by outcome.
var outcomes = []struct {
	name, previous, status string
	created                bool
}{
	{"started", "", "RUNNING", true},
	{"running", "WAITING", "EXECUTING", false},
	{"succeeded", "RUNNING", "SUCCESS", false},
	{"failed", "RUNNING", "FAILED", false},
	{"cancelled", "RUNNING", "CANCELLED", false},
	{"unknown-status", "RUNNING", "PAUSED", false},
}

// TestLabelsGolden renders every known task name (and one unknown) in every outcome: one
// golden file per name, holding the message of each outcome. The words, colour and emoji
// agree with the outcome in each.
func TestLabelsGolden(t *testing.T) {
	for _, name := range append(event.KnownTaskNames(), "dcsSomethingNew") {
		t.Run(name, func(t *testing.T) {
			msgs := map[string]slack.WebhookMessage{}
			for _, o := range outcomes {
				task := fmt.Sprintf(`{"id":"t-%s","name":%q,"status":%q,"created_at":"2023-06-17T08:18:06Z","updated_at":"2023-06-17T08:20:00Z"}`,
					o.name, name, o.status)
				e := ev(t, o.previous, o.created, task)
				msg := Render(&e, clock, event.DefaultStatuses())
				checkMessage(t, &msg)
				tn := event.TensesOf(name)
				want := map[string]string{
					"started":        "🟡 *" + tn.Running + "* · started",
					"running":        "🟡 *" + tn.Running + "* · executing",
					"succeeded":      "🟢 *" + tn.Succeeded + "*",
					"failed":         "🔴 *" + tn.Failed + "* · critical",
					"cancelled":      "⚪ *" + tn.Running + " cancelled*",
					"unknown-status": "🟣 *" + tn.Running + "* · unknown status PAUSED",
				}[o.name]
				if !strings.HasPrefix(msg.Text, want+" ·") {
					t.Errorf("%s: headline %q, want it to start %q", o.name, msg.Text, want)
				}
				if strings.Contains(msg.Text, "warning") || strings.Contains(msg.Text, "info") {
					t.Errorf("%s: headline %q names a severity that is not critical", o.name, msg.Text)
				}
				msgs[o.name] = msg
			}
			golden(t, "labels/"+name, &msgs)
		})
	}
}

// TestDigestOneTaskSeenTwice: a task that started and failed within one burst is one line,
// with the path it took, and is counted once.
func TestDigestOneTaskSeenTwice(t *testing.T) {
	fx := fixtures(t)
	started := ev(t, "", true, `{"id":"sw1","name":"masterStandbySwapJob","status":"RUNNING",
		"created_at":"2023-06-17T08:18:06Z","user_name":"ops_wang_11"}`)
	failedEv := ev(t, "RUNNING", false, `{"id":"sw1","name":"masterStandbySwapJob","status":"FAILED",
		"created_at":"2023-06-17T08:18:06Z","updated_at":"2023-06-17T08:19:43Z","user_name":"ops_wang_11","error_code":"111400063"}`)
	started.Data.ProjectName, failedEv.Data.ProjectName = "prod-eu", "prod-eu"
	evs := []event.Event{fx["succeeded"], started, fx["created"], failedEv}
	msg := RenderDigest(evs, clock, event.DefaultStatuses())
	checkMessage(t, &msg)
	golden(t, "digest-seen-twice", &msg)
	text := texts(&msg)
	if n := strings.Count(text, "`sw1`"); n != 1 {
		t.Errorf("task sw1 on %d lines, want 1:\n%s", n, text)
	}
	if !strings.Contains(text, "STARTED → FAILED") {
		t.Errorf("no path STARTED → FAILED:\n%s", text)
	}
	if !strings.Contains(msg.Text, "3 DCS tasks* · 1 failed, 1 running, 1 succeeded · 4 events") {
		t.Errorf("headline %q miscounts", msg.Text)
	}
	lines := strings.Split(text, "\n")
	if len(lines) < 2 || !strings.Contains(lines[1], "sw1") {
		t.Errorf("the failed task is not first:\n%s", text)
	}
}

// TestInstanceInHeadlineAndFacts, and nothing invented without one.
func TestInstanceInHeadlineAndFacts(t *testing.T) {
	e := fixtures(t)["instance-project"]
	msg := Render(&e, clock, event.DefaultStatuses())
	if !strings.Contains(msg.Text, "redis-orders · prod-eu") || strings.Contains(msg.Text, "01234567") {
		t.Errorf("headline %q, want the instance and the project name instead of its id", msg.Text)
	}
	if got := texts(&msg); !strings.Contains(got, "*Instance*\nredis-orders `3f0c7e2a-inst`") {
		t.Errorf("no instance fact:\n%s", got)
	}
	raw, _ := json.Marshal(fixtures(t)["failed"])
	if strings.Contains(string(raw), "instance") {
		t.Errorf("an instance invented: %s", raw)
	}
	plain := fixtures(t)["failed"]
	if got := texts(ptr(Render(&plain, clock, event.DefaultStatuses()))); strings.Contains(got, "Instance") {
		t.Errorf("an instance fact without an instance:\n%s", got)
	}
}

// TestLinks: the buttons of slack.links, their values URL-escaped, only for the task
// names they name, and none whose url needs a field the event does not have.
func TestLinks(t *testing.T) {
	links, err := NewLinks([]linktmpl.Link{
		{Text: "Console", URL: "https://console.example.com/dcs/{{.Region}}/instances/{{.InstanceID}}"},
		{Text: "Runbook", URL: "https://wiki.example.com/runbooks/{{.TaskName}}", TaskNames: []string{"AddReplica"}},
		{Text: "Switchover runbook", URL: "https://wiki.example.com/switchover", TaskNames: []string{event.SwitchoverTask}},
	})
	if err != nil {
		t.Fatal(err)
	}
	e := fixtures(t)["instance-project"]
	msg := RenderLinks(&e, clock, event.DefaultStatuses(), links)
	checkMessage(t, &msg)
	golden(t, "links", &msg)
	raw, _ := json.Marshal(msg)
	for _, want := range []string{"https://console.example.com/dcs/cn-north-4/instances/3f0c7e2a-inst", "https://wiki.example.com/runbooks/AddReplica"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("no button to %s", want)
		}
	}
	if strings.Contains(string(raw), "switchover") {
		t.Errorf("a button for another task name")
	}
	plain := fixtures(t)["failed"] // no instance, a switchover
	raw, _ = json.Marshal(RenderLinks(&plain, clock, event.DefaultStatuses(), links))
	if strings.Contains(string(raw), "console.example.com") || !strings.Contains(string(raw), "wiki.example.com/switchover") {
		t.Errorf("want only the switchover runbook for a task without an instance:\n%s", raw)
	}
	hostileEv := e
	hostileEv.Data.InstanceID = "../x?y=<!channel>&z"
	raw, _ = json.Marshal(RenderLinks(&hostileEv, clock, event.DefaultStatuses(), links))
	if !strings.Contains(string(raw), "instances/..%2Fx%3Fy%3D%3C%21channel%3E%26z") {
		t.Errorf("the instance id is not escaped in the url:\n%s", raw)
	}
}
