package main

import (
	"testing"

	"notifier/internal/config"
)

// TestPickProjectWithDiscoveryOnly: with [[dcs.discover]] and no dcs.projects, routes
// and test-notify have no first project: they must not panic, and any project id may be
// named (a discovered one is known only at run time).
func TestPickProjectWithDiscoveryOnly(t *testing.T) {
	cfg, err := config.Load([]byte("[[dcs.discover]]\nregions = [\"*\"]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := pickProject(cfg, ""); ok {
		t.Error("no project named and none configured: want not ok")
	}
	p, _, ok := pickProject(cfg, "ABCDEF0123456789ABCDEF0123456789")
	if !ok || p.ProjectID != "abcdef0123456789abcdef0123456789" {
		t.Errorf("a discovered id: %+v %v", p, ok)
	}
}
