package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is stamped at build time: -ldflags "-X main.version=v1.2.3". Left as "dev", the
// module version of the build information is used when there is one (go install ...@v1.2.3).
var version = "dev"

// commit may be stamped the same way (-X main.commit=$(git rev-parse HEAD)) for a build
// without VCS information, such as one from a source tarball or with -buildvcs=false.
var commit = ""

// buildInfo is what the binary knows about its build.
type buildInfo struct {
	version, commit, goVersion string
}

// readBuildInfo returns the version, the commit (main.commit when stamped, else the VCS
// revision with " (modified)" for a build from a changed tree, else "unknown", as in go
// test) and the Go version.
func readBuildInfo() buildInfo {
	b := buildInfo{version: version, commit: "unknown", goVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		b.fromBuildInfo(bi)
	}
	if commit != "" {
		b.commit = commit
	}
	return b
}

func (b *buildInfo) fromBuildInfo(bi *debug.BuildInfo) {
	if bi.GoVersion != "" {
		b.goVersion = bi.GoVersion
	}
	if b.version == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		b.version = bi.Main.Version
	}
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.commit = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && b.commit != "unknown" {
		b.commit += " (modified)"
	}
}

// appVersion is the version the notifier reports in its metrics.
func appVersion() string { return readBuildInfo().version }

func runVersion(stdout, _ io.Writer) int {
	b := readBuildInfo()
	fmt.Fprintf(stdout, "notifier %s\ncommit %s\ngo %s\n", b.version, b.commit, b.goVersion)
	return exitOK
}
