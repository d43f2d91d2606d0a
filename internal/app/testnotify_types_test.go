package app_test

import (
	"testing"

	"notifier/internal/app"
	"notifier/internal/event"
)

// TestSendTestSkipsWhatEventTypesLeavesOut: a receiver whose event_types leave out test
// gets no test event unless it is named, and its line says why; the others still get it.
func TestSendTestSkipsWhatEventTypesLeavesOut(t *testing.T) {
	cfg, env, hooks := drillConfig(t, "")
	cfg.Slack.Webhooks[1].EventTypes = []string{event.ClassTask, event.ClassStuck, event.ClassGap}
	env["HOOK_TEAM"] = env["HOOK_ONCALL"] // live: a delivery would be seen
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	results, err := app.SendTest(t.Context(), cfg, drillDeps(t, env), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"oncall: ok",
		"team: skipped, event_types [gap stuck task] do not include test (com.huaweicloud.dcs.notifier.test); --receiver team sends it anyway"}
	if len(results) != len(want) {
		t.Fatalf("results %v, want %q", results, want)
	}
	for i, r := range results {
		if r.String() != want[i] {
			t.Errorf("line %d: %q, want %q", i, r, want[i])
		}
	}
	if msg := <-hooks.posts; len(hooks.posts) != 0 {
		t.Errorf("more than oncall's post: %+v and %d more", msg, len(hooks.posts))
	}

	// Named, it is asked for: it gets the test event.
	results, err = app.SendTest(t.Context(), cfg, drillDeps(t, env), []string{"team"})
	if err != nil || len(results) != 1 || results[0].String() != "team: ok" {
		t.Fatalf("named: %v %v, want [team: ok]", results, err)
	}
	<-hooks.posts
}
