package testutil

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// Tool finds a real program a test drives (promtool, Prometheus, Alertmanager, amtool):
// $env when it is set, a path or a name on the PATH, which must then be found; else the
// first of names on the PATH. When none is there the test skips, saying what it looked
// for and which Debian package holds it (.ci/run installs it when apt is usable).
func Tool(t testing.TB, env, pkg string, names ...string) string {
	t.Helper()
	if v := os.Getenv(env); v != "" {
		p, err := exec.LookPath(v)
		if err != nil {
			t.Fatalf("$%s=%s: %v", env, v, err)
		}
		return p
	}
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	t.Skipf("%s not found (looked for $%s, then %s on the PATH): install it with `apt-get install -y %s` (.ci/run does) "+
		"or point $%s at it to run this test", names[0], env, strings.Join(names, ", "), pkg, env)
	return ""
}
