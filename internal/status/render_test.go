package status

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"
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
				WindowParam: "start_time", RequestsPerPoll: 1},
			{ID: "fedcba9876543210fedcba9876543210", Region: "cn-north-4", Polled: true, LastError: "credentials refused",
				LastErrorAt: ago(time.Second), WindowParam: "start_time", BlindSince: ago(12 * time.Minute), BlindReason: "credentials refused"},
			{ID: "00000000000000000000000000000000", Region: "cn-north-4"},
		},
		RunningTasks: []Task{{ProjectID: "0123456789abcdef0123456789abcdef", Project: "prod-eu", ID: "ff80", Name: hostile,
			Label: hostile, Status: "RUNNING", CreatedAt: now.Add(-40 * time.Minute), RunningSeconds: 2400,
			ThresholdSeconds: 900, ThresholdSource: "learned", Stuck: true, Instance: hostile}},
		RecentEvents: []Event{{ID: "e1", Time: now.Add(-time.Minute), ProjectID: "0123456789abcdef0123456789abcdef", Project: "prod-eu",
			TaskID: "ff80", TaskName: hostile, Label: hostile, Type: "com.huaweicloud.dcs.task.stuck",
			Transition: "stuck in " + hostile, Severity: "critical", Deliveries: []Delivery{
				{Receiver: "nats", State: Sent, At: ago(time.Minute)},
				{Receiver: "oncall", State: Dropped, At: ago(time.Minute), Reason: "HTTP 404 Not Found: " + hostile},
				{Receiver: "team", State: Pending},
				{Receiver: "quiet", State: Muted, At: ago(time.Minute), Reason: "maintenance window weekly-maintenance"},
				{Receiver: "pd", State: Filtered, At: ago(time.Minute), Reason: "min_severity critical > warning"},
			}}},
		Receivers: []Receiver{{Name: "nats", Kind: "nats", LastSuccess: ago(time.Minute)},
			{Name: "oncall", Kind: "slack", Pending: 3, LastError: "HTTP 404 Not Found: " + hostile, LastErrorAt: ago(time.Minute)},
			{Name: "am", Kind: "alertmanager", LastSuccess: ago(time.Minute), FailingURLs: []FailingURL{
				{URL: "http://am-2.example.com:9093", Error: "unreachable", Since: ago(5 * time.Minute)}}}},
		Cluster: &Cluster{Holder: "host-1-abc", LeaseTTLSeconds: 10, Members: 3, Shards: []Shard{
			{Shard: 0, Projects: []string{"0123456789abcdef0123456789abcdef"}, Leader: "host-1-abc", ThisReplica: true, Term: 7, LeaseAgeSeconds: &age},
			{Shard: 1, Projects: []string{"fedcba9876543210fedcba9876543210"}},
		}},
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
