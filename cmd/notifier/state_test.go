package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnwritableStatePath: a state path that cannot be created or written stops the
// start with exit 2 and one line naming state.path. A directory under a regular file
// cannot be created even by root, so the test holds in CI, which runs as root.
func TestUnwritableStatePath(t *testing.T) {
	dir := t.TempDir()
	file := writeFile(t, dir, "a-file", "not a directory")
	cfg := writeFile(t, dir, "notifier.toml", `
[dcs]
ak_env = "NOTIFIER_TEST_STATE_AK"
sk_env = "NOTIFIER_TEST_STATE_SK"

[[dcs.projects]]
region = "cn-north-4"
project_id = "0123456789abcdef0123456789abcdef"

[nats]
url = ""

[http]
listen = ""

[state]
path = "`+filepath.Join(file, "state")+`"
`)
	t.Setenv("NOTIFIER_TEST_STATE_AK", "STATETESTAK000000001")
	t.Setenv("NOTIFIER_TEST_STATE_SK", "state-test-secret-key-0000000000")
	for _, cmd := range []string{"run", "once"} {
		t.Run(cmd, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{cmd, "--config", cfg}, &stdout, &stderr); code != exitUsage {
				t.Errorf("exit code %d, want %d\n%s", code, exitUsage, stderr.String())
			}
			msg := stderr.String()
			if strings.Count(strings.TrimSuffix(msg, "\n"), "\n") != 0 || !strings.HasPrefix(msg, "notifier: state.path: ") {
				t.Errorf("want one line starting with \"notifier: state.path: \", got:\n%s", msg)
			}
			if strings.Contains(msg, "state-test-secret-key") {
				t.Error("the secret key is in the message")
			}
		})
	}
}
