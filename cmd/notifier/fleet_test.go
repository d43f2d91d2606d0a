package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"notifier/internal/config"
	"notifier/internal/dcssim"
)

// TestPickProjectWithDiscoveryOnly: with [[dcs.discover]] and no dcs.projects, routes
// and test-notify have no first project: they must not panic, and any project id may be
// named (a discovered one is known only at run time).
func TestPickProjectWithDiscoveryOnly(t *testing.T) {
	cfg, err := config.Load([]byte("[[dcs.discover]]\nregions = [\"*\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, msg := pickProject(cfg, "", ""); msg == "" {
		t.Error("no project named and none configured: want a refusal")
	}
	p, _, msg := pickProject(cfg, "ABCDEF0123456789ABCDEF0123456789", "")
	if msg != "" || p.ProjectID != "abcdef0123456789abcdef0123456789" {
		t.Errorf("a discovered id: %+v %s", p, msg)
	}
	p, which, msg := pickProject(cfg, "acct-a/cn-east-3", "cn-east-3")
	if msg != "" || p.Name != "acct-a/cn-east-3" || p.Region != "cn-east-3" || !strings.Contains(which, "by that name") {
		t.Errorf("a discovered name: %+v %q %s", p, which, msg)
	}
}

// TestReloadRediscovers: with [[dcs.discover]] only, serve watches the projects IAM lists
// for the credential, and a reload (SIGHUP) lists them again: a project added to the
// account is polled after it.
func TestReloadRediscovers(t *testing.T) {
	sim := dcssim.New(dcssim.Options{AK: testAK, SK: testSK})
	sim.AddProjectFor(testAK, projectA, "cn-north-4")
	sim.AddProjectFor(testAK, projectB, "") // not (yet) listed by IAM
	polled := make(chan string, 100)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if parts := strings.Split(r.URL.Path, "/"); len(parts) == 4 && parts[1] == "v2" {
			select {
			case polled <- parts[2]:
			default:
			}
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	dir := t.TempDir()
	writeFile(t, dir, "config.toml", "[dcs]\nak_env = \"T_AK\"\nsk_env = \"T_SK\"\nsecurity_token_env = \"\"\n"+
		"[[dcs.discover]]\nregions = [\"*\"]\niam_endpoint = \""+srv.URL+"\"\nendpoint = \""+srv.URL+"\"\n"+
		"[poll]\ninterval = \"1s\"\nactive_interval = \"1s\"\n[nats]\nurl = \"\"\n[http]\nlisten = \"\"\n"+
		"[state]\npath = \""+filepath.Join(dir, "state")+"\"\n")
	path := filepath.Join(dir, "config.toml")
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	waitPoll := func(project string, done <-chan error) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case p := <-polled:
				if p == project {
					return
				}
			case err := <-done:
				t.Fatalf("serve returned %v while waiting for a poll of %s", err, project)
			case <-timeout:
				t.Fatalf("no poll of project %s within 10s", project)
			}
		}
	}
	logs := make(logLines, 1000)
	hup := make(chan os.Signal, 1)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	ts := newTestServer(logs)
	go func() { done <- serve(ctx, ts.options(path, cfg, hup)) }()
	waitPoll(projectA, done)

	sim.AddProjectFor(testAK, projectB, "cn-east-3")
	hup <- syscall.SIGHUP
	logs.wait(t, "reload: new configuration running")
	waitPoll(projectB, done)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
