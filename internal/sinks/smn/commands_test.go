package smn_test

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
	"notifier/internal/dcssim"
	"notifier/internal/event"
	"notifier/internal/probe"
	"notifier/internal/route"
	"notifier/internal/testkit/testutil"
)

// commandsConfig is a file with one project and one [[smn]] receiver (the [dcs]
// credential, by default), both on the simulator at url, NATS off.
func commandsConfig(t *testing.T, url string) *config.Config {
	t.Helper()
	cfg, err := config.Load(fmt.Appendf(nil, `
[[dcs.projects]]
region = "cn-north-4"
project_id = %q
endpoint = %q

[poll]
initial = "notify"

[nats]
url = ""

[http]
listen = ""

[[smn]]
name = "smn-oncall"
topic_urn = %q
endpoint = %q
min_severity = "critical"
`, project, url, urn, url))
	if err != nil {
		t.Fatal(err)
	}
	cfg.State.Path = t.TempDir()
	return cfg
}

// test-notification --receiver, once --dry-run --render and routes reach an [[smn]]
// receiver through the registry, with no code of SMN's in them.
func TestCommandsWorkThroughTheRegistry(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddProject(project)
	sim.AddTopic(urn)
	sim.Put(project, dcssim.Task{ID: "t-swap", Name: event.SwitchoverTask, Status: "FAILED", CreatedAt: time.Now().UTC().Add(-time.Minute)})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := commandsConfig(t, srv.URL)
	env := map[string]string{"CLOUD_SDK_AK": testAK, "CLOUD_SDK_SK": testSK}
	deps := app.Deps{Log: zerolog.Nop(), Getenv: func(k string) string { return env[k] }}

	t.Run("test-notification", func(t *testing.T) {
		results, err := app.SendTest(t.Context(), cfg, deps, []string{"smn-oncall"})
		if err != nil {
			t.Fatal(err)
		}
		if len(results) != 1 || results[0].String() != "smn-oncall: ok" {
			t.Fatalf("results %v", results)
		}
		got := sim.Published()
		if len(got) != 1 || !strings.HasPrefix(got[0].Subject, "[TEST] ") || got[0].AK != testAK {
			t.Fatalf("published %+v", got)
		}
	})

	t.Run("once --render", func(t *testing.T) {
		d := deps
		d.DryRun = true
		a, err := app.New(cfg, d)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		var out bytes.Buffer
		if err := a.OnceRender(t.Context(), &out); err != nil {
			t.Fatal(err)
		}
		s := out.String()
		if !strings.Contains(s, "# smn-oncall (smn[0]): 1 event in 1 request") ||
			!strings.Contains(s, "POST "+srv.URL+"/v2/"+project+"/notifications/topics/"+urn+"/publish") ||
			!strings.Contains(s, `Master/standby switchover failed`) {
			t.Errorf("render:\n%s", s)
		}
		if strings.Contains(s, testSK) || strings.Contains(s, testAK) {
			t.Errorf("render shows the credential:\n%s", s)
		}
		if n := len(sim.Published()); n != 1 {
			t.Errorf("the render published: %d messages", n)
		}
	})

	t.Run("routes", func(t *testing.T) {
		tbl, err := route.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			sample string
			want   bool
		}{{"switchover-failed", true}, {"switchover-succeeded", false}} {
			e := sample(t, tc.sample)
			v, ok := tbl.DecideFor("smn-oncall", &e, time.Now())
			if !ok || v.Deliver != tc.want {
				t.Errorf("%s: verdict %+v (known %v), want deliver %v", tc.sample, v, ok, tc.want)
			}
		}
	})
}

// notifier probe checks each [[smn]] topic with a read call (the registry's Probe), and
// names an unknown one in its report, publishing nothing.
func TestProbeChecksTopics(t *testing.T) {
	c := testutil.NewClock(time.Now())
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK, Now: c.Now})
	sim.AddProject(project)
	sim.AddTopic(urn)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := commandsConfig(t, srv.URL)
	missing := cfg.SMN[0]
	missing.Name, missing.TopicURN = "smn-missing", "urn:smn:cn-north-4:"+project+":missing-topic"
	cfg.SMN = append(cfg.SMN, missing)
	env := map[string]string{"CLOUD_SDK_AK": testAK, "CLOUD_SDK_SK": testSK}
	rep, err := probe.Run(t.Context(), probe.Options{Config: cfg, Getenv: func(k string) string { return env[k] },
		Now: c.Now, Wait: c.Wait})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Receivers) != 2 || !rep.Receivers[0].OK || rep.Receivers[1].OK || rep.Usable {
		t.Fatalf("receivers %+v, usable %v", rep.Receivers, rep.Usable)
	}
	var out bytes.Buffer
	rep.WriteText(&out)
	for _, want := range []string{"receiver smn-oncall (smn[0]): ok",
		"receiver smn-missing (smn[1]): smn[1].topic_urn " + missing.TopicURN + ": smn: HTTP 404 SMN.0006: Topic not found."} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	if n := len(sim.Published()); n != 0 {
		t.Errorf("the probe published %d messages", n)
	}
}
