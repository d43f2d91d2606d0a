package slacksink

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"notifier/internal/event"
	"notifier/internal/linktmpl"
)

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func FuzzEscape(f *testing.F) {
	for _, h := range hostile {
		f.Add(clip(h, 1000))
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := escape(s)
		if strings.ContainsAny(got, "<>") {
			t.Fatalf("escape(%q) = %q keeps a bracket", s, got)
		}
		if b, err := json.Marshal(got); err != nil || !json.Valid(b) {
			t.Fatalf("escape(%q) does not marshal: %v", s, err)
		}
		if l := limit(got, maxText); len(l) > maxText || strings.ContainsAny(l, "<>") {
			t.Fatalf("limit gave %d bytes: %q", len(l), l)
		}
	})
}

// FuzzRender renders an event from an arbitrary task object, name, status and project,
// alone, as a live card with its history, as a thread reply and in a digest, and checks
// every message invariant.
func FuzzRender(f *testing.F) {
	for _, h := range hostile {
		// Small seeds keep mutation fast; TestRenderHostile covers the 20,000-byte one.
		h = clip(h, 1000)
		raw, _ := json.Marshal(map[string]any{"id": h, "name": h, "status": "FAILED", "user_name": h,
			"instance_id": h, "params": `{"instance_name":` + string(must(json.Marshal(h))) + `}`,
			"created_at": "2023-06-17T08:18:06.597Z", "error_code": h,
			"details": map[string]any{"replica_ip": h, "rename_commands": []string{h}, h: h}})
		f.Add(string(raw), h, "FAILED", h)
	}
	f.Add(`{"details":{"old_capacity":0.125,"new_capacity":1e308}}`, "EXTEND", "SUCCESS", "p")
	f.Add(`[1,2,3]`, "", "", "")
	f.Add(`{"details":"not an object","created_at":12}`, "modify", "RUNNING", "x")
	f.Add(`{"name":{"nested":["<!here>"]}}`, "", "FAIL", "")
	links, err := NewLinks([]linktmpl.Link{
		{Text: "Console", URL: "https://console.example.com/{{.Region}}/{{.InstanceID}}?p={{.ProjectName}}&t={{.TaskID}}"},
		{Text: "Runbook", URL: "https://wiki.example.com/{{.TaskName}}/{{.Status}}#{{.InstanceName}}"},
		{Text: "Project", URL: "https://console.example.com/{{.ProjectID}}", TaskNames: []string{"EXTEND"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, task, name, status, projectID string) {
		e := event.New(event.Transition{ProjectID: projectID, Region: name, TaskID: name, TaskName: name,
			Status: status, PreviousStatus: status, Task: json.RawMessage(task), DetectedAt: clock})
		if !json.Valid([]byte(task)) {
			e.Data.Task = nil // the poller only ever holds valid JSON
		}
		// The project name and the instance come from the same hostile input.
		e.Data.ProjectName = name
		e.Data.InstanceID, e.Data.InstanceName = event.Instance(e.Data.Task)
		if e.Data.InstanceID == "" {
			e.Data.InstanceID, e.Data.InstanceName = projectID, status
		}
		msg := RenderLinks(&e, clock.Add(time.Hour), event.DefaultStatuses(), links)
		checkMessage(t, &msg)
		// A live card: its history of as many hostile statuses as it keeps, and the
		// memory it is kept in, which must decode back.
		var k card
		for i := range maxSteps + 3 {
			e.ID = fmt.Sprint(i)
			k.add(&e)
		}
		if len(k.Steps) != maxSteps {
			t.Fatalf("the card keeps %d steps, want %d", len(k.Steps), maxSteps)
		}
		if back, ok := decodeCard(k.encode()); !ok || len(back.Steps) != maxSteps {
			t.Fatalf("the card's memory does not decode: %s", k.encode())
		}
		c := RenderCard(&e, clock.Add(time.Hour), event.DefaultStatuses(), links, k.history())
		checkMessage(t, &c)
		reply := replyOf(&e, Render(&e, clock, event.DefaultStatuses()))
		checkMessage(t, &reply)
		evs := make([]event.Event, digestOver+1)
		for i := range evs {
			evs[i] = e
		}
		digest := RenderDigest(evs, clock, event.DefaultStatuses())
		checkMessage(t, &digest)
	})
}
