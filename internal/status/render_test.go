package status

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"notifier/internal/silence"
)

const hostile = `<script>alert("x")</script>`

// fullPage is a page with every section filled, every text field from the API hostile.
func fullPage() *Page {
	now := time.Date(2026, 11, 27, 3, 10, 0, 0, time.UTC)
	ago := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	age := 2.5
	return &Page{
		GeneratedAt: now, Version: "test", Backend: "nats-kv",
		Projects: []Project{
			{Name: "prod-eu", ID: "0123456789abcdef0123456789abcdef", Region: "eu-west-101", Polled: true, Up: true,
				LastSuccess: ago(4 * time.Second), LastError: "throttled", LastErrorAt: ago(time.Hour),
				WindowParam: "start_time", WindowLearned: true, RequestsPerPoll: 1},
			{ID: "fedcba9876543210fedcba9876543210", Region: "cn-north-4", Polled: true, LastError: "credentials refused",
				LastErrorAt: ago(time.Second), WindowParam: "start_time", BlindSince: ago(12 * time.Minute), BlindReason: "credentials refused"},
			{ID: "00000000000000000000000000000000", Region: "cn-north-4"},
		},
		RunningTasks: []Task{{ProjectID: "0123456789abcdef0123456789abcdef", Project: "prod-eu", ID: "ff80", Name: hostile,
			Label: hostile, Status: "RUNNING", CreatedAt: now.Add(-40 * time.Minute), RunningSeconds: 2400,
			ThresholdSeconds: 900, ThresholdSource: "learned", Stuck: true, Instance: hostile},
			{ProjectID: "0123456789abcdef0123456789abcdef", Project: "prod-eu", ID: "ff81", Name: "EXTEND", Label: "Scaling up",
				Status: "PAUSED", UnknownStatus: true, CreatedAt: now.Add(-5 * time.Minute), RunningSeconds: 300, Instance: "redis-prod"}},
		RecentEvents: []Event{{ID: "e1", Time: now.Add(-time.Minute), ProjectID: "0123456789abcdef0123456789abcdef", Project: "prod-eu",
			TaskID: "ff80", TaskName: hostile, Label: hostile, Instance: hostile, Status: "PAUSED", UnknownStatus: true, Type: "com.huaweicloud.dcs.task.stuck",
			Transition: "stuck in " + hostile, Severity: "critical", Deliveries: []Delivery{
				{Receiver: "nats", State: Sent, At: ago(time.Minute)},
				{Receiver: "oncall", State: Dropped, At: ago(time.Minute), Reason: "HTTP 404 Not Found: " + hostile},
				{Receiver: "team", State: Pending},
				{Receiver: "quiet", State: Muted, At: ago(time.Minute), Reason: "maintenance window weekly-maintenance"},
				{Receiver: "pd", State: Filtered, At: ago(time.Minute), Reason: "min_severity critical > warning"},
				{Receiver: "pager", State: Silenced, At: ago(time.Minute), Reason: "3f2a9c41d0b7e655"},
			}}},
		Receivers: []Receiver{{Name: "nats", Kind: "nats", LastSuccess: ago(time.Minute)},
			{Name: "oncall", Kind: "slack", Pending: 3, LastError: "HTTP 404 Not Found: " + hostile, LastErrorAt: ago(time.Minute)},
			{Name: "am", Kind: "alertmanager", LastSuccess: ago(time.Minute), FailingURLs: []FailingURL{
				{URL: "http://am-2.example.com:9093", Error: "unreachable", Since: ago(5 * time.Minute)}}}},
		Cluster: &Cluster{Holder: "host-1-abc", LeaseTTLSeconds: 10, Members: 3, Shards: []Shard{
			{Shard: 0, Projects: []string{"0123456789abcdef0123456789abcdef"}, Leader: "host-1-abc", ThisReplica: true, Term: 7, LeaseAgeSeconds: &age},
			{Shard: 1, Projects: []string{"fedcba9876543210fedcba9876543210"}},
		}},
		Silences: []silence.Silence{{ID: "3f2a9c41d0b7e655", Matchers: silence.Matchers{Project: "prod-eu", Region: "eu-west-101",
			Instance: "redis-orders*", TaskName: "masterStandbySwapJob", Status: "FAILED", EventType: "task", Receiver: "pager"},
			StartsAt: now.Add(-time.Hour), EndsAt: now.Add(time.Hour), CreatedBy: "alice", Comment: hostile}},
	}
}

func render(t *testing.T, p *Page) string {
	t.Helper()
	var b bytes.Buffer
	if err := Render(&b, p); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// Everything from the API is text on the page: a task name "<script>" is escaped
// wherever it lands, and the page has no script, no external asset, and refreshes itself.
func TestRenderEscapesEverything(t *testing.T) {
	out := render(t, fullPage())
	if strings.Contains(strings.ToLower(out), "<script") {
		t.Errorf("the page holds a script element:\n%s", out)
	}
	if !strings.Contains(out, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
		t.Errorf("the hostile task name is not shown escaped:\n%s", out)
	}
	if regexp.MustCompile(`(src|href)="(https?:)?//`).MatchString(out) {
		t.Errorf("the page loads an external asset:\n%s", out)
	}
	for _, want := range []string{
		`<meta http-equiv="refresh" content="10">`, `name="viewport"`,
		"prod-eu", "fedcba9876543210fedcba9876543210", "credentials refused", "start_time",
		"STUCK", "40m", "15m", "(learned)", "nats: sent", "team: pending", `class="d d-muted" title="maintenance window weekly-maintenance">quiet: muted`, "oncall: dropped",
		`class="d d-filtered" title="min_severity critical &gt; warning">pd: filtered`,
		`pager: silenced (3f2a9c41d0b7e655)`, `<code>3f2a9c41d0b7e655</code>`, "task_name=masterStandbySwapJob", "instance=redis-orders*",
		"alice", "2026-11-27 04:10:00 UTC",
		"this replica", "host-1-abc", "projects not watched: 1 of 2", "1 polled by another replica", "3 pending",
		"polled by the replica leading its shard",
		`<span class="bad">http://am-2.example.com:9093: unreachable</span> <span class="dim">since 5m`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("page:\n%s", out)
	}
}

// An empty page (no event yet, no receiver, file state) renders and says so.
func TestRenderEmpty(t *testing.T) {
	out := render(t, &Page{GeneratedAt: time.Now(), Backend: "file"})
	for _, want := range []string{"No task is running.", "No event since this process started.", "No receiver is configured.", "projects watched: 0 of 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("the empty page lacks %q", want)
		}
	}
	if strings.Contains(out, `id="cluster"`) {
		t.Error("the file backend shows a cluster section")
	}
}

// The page reads from the top: a summary, then Projects, Running tasks, Receivers (and the
// cluster), and Recent events last, however many there are.
func TestRenderOrder(t *testing.T) {
	p := fullPage()
	p.RecentEvents = manyEvents(p.GeneratedAt, DefaultSize)
	out := render(t, p)
	last := -1
	for _, id := range []string{`id="summary"`, `id="projects"`, `id="running"`, `id="receivers"`, `id="cluster"`, `id="events"`} {
		i := strings.Index(out, id)
		if i < 0 {
			t.Fatalf("the page has no %s", id)
		}
		if i < last {
			t.Errorf("%s comes before the section above it in the order", id)
		}
		last = i
	}
	if i, j := strings.Index(out, "Receivers</h2>"), strings.Index(out, "ev-001"); i < 0 || j < i {
		t.Errorf("an event comes before the receivers (receivers at %d, first event at %d)", i, j)
	}
}

// manyEvents are n events, newest first, their task ids ev-001 (newest) on.
func manyEvents(now time.Time, n int) []Event {
	out := make([]Event, n)
	for i := range out {
		out[i] = Event{ID: fmt.Sprintf("e%d", i+1), Time: now.Add(-time.Duration(i+1) * time.Minute), Project: "prod-eu",
			TaskID: fmt.Sprintf("ev-%03d", i+1), Label: "Scaling up", Status: "SUCCESS", Transition: "RUNNING → SUCCESS",
			Severity: "info", Type: "com.huaweicloud.dcs.task.status_changed"}
	}
	return out
}

// Past FoldAfter, the older events are folded in a <details>, closed; up to it, nothing is.
func TestRenderFoldsOlderEvents(t *testing.T) {
	p := fullPage()
	p.RecentEvents = manyEvents(p.GeneratedAt, FoldAfter+5)
	out := render(t, p)
	fold := strings.Index(out, "<details>")
	if fold < 0 || strings.Count(out, "<details") != 1 || strings.Contains(out, "<details open") {
		t.Fatalf("the older events are not folded in one closed <details>:\n%s", out)
	}
	if !strings.Contains(out[fold:], "<summary>5 older events</summary>") {
		t.Errorf("the fold does not say how many events it holds:\n%s", out[fold:])
	}
	for i := 1; i <= FoldAfter+5; i++ {
		at := strings.Index(out, fmt.Sprintf("<code>ev-%03d</code>", i))
		switch {
		case at < 0:
			t.Errorf("event %d is missing", i)
		case i <= FoldAfter && at > fold:
			t.Errorf("event %d of the newest %d is folded", i, FoldAfter)
		case i > FoldAfter && at < fold:
			t.Errorf("event %d, past the newest %d, is not folded", i, FoldAfter)
		}
	}

	p.RecentEvents = manyEvents(p.GeneratedAt, FoldAfter)
	if out := render(t, p); strings.Contains(out, "<details") {
		t.Errorf("%d events are folded; only those past %d should be", FoldAfter, FoldAfter)
	}
	p.RecentEvents = manyEvents(p.GeneratedAt, FoldAfter+1)
	if out := render(t, p); !strings.Contains(out, "<summary>1 older event</summary>") {
		t.Error("one older event is not folded as one")
	}
}

// cell returns the text of the first <td> labelled label after the first occurrence of
// after in out.
func cell(t *testing.T, out, after, label string) string {
	t.Helper()
	_, rest, ok := strings.Cut(out, after)
	if !ok {
		t.Fatalf("the page lacks %q", after)
	}
	_, rest, ok = strings.Cut(rest, `<td data-label="`+label+`"`)
	if !ok {
		t.Fatalf("no %s cell after %q", label, after)
	}
	_, rest, _ = strings.Cut(rest, ">")
	c, _, _ := strings.Cut(rest, "</td>")
	return c
}

// A recent event shows its instance (its name, else its id) and its task's status; an
// event without an instance shows a dash.
func TestRenderEventInstanceAndStatus(t *testing.T) {
	p := fullPage()
	p.RecentEvents = manyEvents(p.GeneratedAt, 2)
	p.RecentEvents[0].Instance = "redis-prod"
	out := render(t, p)
	if c := cell(t, out, `id="events"`, "Instance"); c != "redis-prod" {
		t.Errorf("the first event's instance cell is %q, want redis-prod", c)
	}
	if c := cell(t, out, "<code>ev-002</code>", "Status"); c != "SUCCESS" {
		t.Errorf("the second event's status cell is %q, want SUCCESS", c)
	}
	if c := cell(t, out, "ev-001", "Instance"); c != "—" { // the cell after ev-001's row starts: ev-002's
		t.Errorf("the event without an instance shows %q, want —", c)
	}
	if !strings.Contains(out, "<th>Instance</th><th>Task</th><th>Status</th>") {
		t.Error("the events table has no Instance and Status columns")
	}
}

// A status the notifier does not know (PAUSED) is flagged in running tasks and in recent
// events, and counted in the summary; a known one is not flagged.
func TestRenderUnknownStatus(t *testing.T) {
	out := render(t, fullPage())
	badge := `PAUSED <span class="mark unk"`
	if c := cell(t, out, "<code>ff81</code>", "Status"); !strings.HasPrefix(c, badge) || !strings.Contains(c, "UNKNOWN STATUS") {
		t.Errorf("the running PAUSED task's status cell is %q, want the UNKNOWN STATUS badge", c)
	}
	if c := cell(t, out, `id="events"`, "Status"); !strings.HasPrefix(c, badge) {
		t.Errorf("the PAUSED event's status cell is %q, want the UNKNOWN STATUS badge", c)
	}
	if c := cell(t, out, "<code>ff80</code>", "Status"); c != "RUNNING" {
		t.Errorf("the RUNNING task's status cell is %q, want no badge", c)
	}
	if !strings.Contains(out, "1 in an unknown status") {
		t.Error("the summary does not count the task in an unknown status")
	}
}

// The window parameter says when it was learned, and that it is not yet under "auto".
func TestRenderWindowParam(t *testing.T) {
	p := fullPage()
	p.Projects[1].WindowParam, p.Projects[1].WindowLearned = "auto", false
	out := render(t, p)
	if c := cell(t, out, "prod-eu", "Window"); c != `<code>start_time</code> <span class="dim">(learned)</span>` {
		t.Errorf("the learned window shows %q", c)
	}
	if c := cell(t, out, "fedcba9876543210fedcba9876543210", "Window"); !strings.HasPrefix(c, `<code>auto</code> <span class="dim">(not learned yet`) {
		t.Errorf("the window not learned yet shows %q", c)
	}
	p.Projects[1].WindowParam = "begin_time" // as configured
	if c := cell(t, render(t, p), "fedcba9876543210fedcba9876543210", "Window"); c != `<code>begin_time</code>` {
		t.Errorf("the configured window shows %q", c)
	}
}

// The idle interval is the one in force, marked when poll.interval = "auto" chose it.
func TestRenderIdleInterval(t *testing.T) {
	p := fullPage()
	p.Projects[0].IdleIntervalSeconds, p.Projects[0].IdleIntervalAuto = 2.3, true
	p.Projects[1].IdleIntervalSeconds = 30
	out := render(t, p)
	if c := cell(t, out, "prod-eu", "Idle interval"); c != `2.3 s <span class="dim">(auto)</span>` {
		t.Errorf("the auto interval shows %q", c)
	}
	if c := cell(t, out, "fedcba9876543210fedcba9876543210", "Idle interval"); c != `30 s` {
		t.Errorf("the configured interval shows %q", c)
	}
}
