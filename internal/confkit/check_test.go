package confkit

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// Each check names the key it is about and never quotes what may be a secret.
func TestProblemsNameTheKey(t *testing.T) {
	const pasted = "https://hooks.example.com/services/S3cr3t"
	var p Problems
	p.EnvName("a.url_env", pasted, false)
	p.SecretSource("a.token", "T", "/f", false)
	p.Endpoint("a.url", "http://h/x?q=1")
	p.OneOf("a.min_severity", "loud", "info", "critical")
	p.NonEmpty("a.statuses", []string{"FAILED", " "})
	p.MaxPending("a.max_pending", 0)
	p.Positive("a.ttl", 0)
	p.AtLeast("a.interval", Duration(time.Millisecond), time.Second)
	got := strings.Split(errors.Join(p...).Error(), "\n")
	want := []string{
		"a.url_env: must name an environment variable; the value given is not shown (a name is letters, digits and _, not starting with a digit)",
		"a.token_env: set only one of a.token_env and a.token_file",
		"a.url: must not have a query or a fragment",
		`a.min_severity: must be one of info, critical, got "loud"`,
		"a.statuses[1]: must not be empty",
		"a.max_pending: must be at least 1, got 0",
		"a.ttl: must be positive, got 0s",
		"a.interval: must be at least 1s, got 1ms",
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestDuration(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1h30m")); err != nil || d.D() != 90*time.Minute || d.String() != "1h30m" {
		t.Errorf("1h30m: %v %v %s", err, d.D(), d)
	}
	if err := d.UnmarshalText([]byte("30")); err == nil {
		t.Error("a number without a unit was read")
	}
	for in, want := range map[string]time.Duration{
		"30d": 30 * 24 * time.Hour, "1d12h": 36 * time.Hour, "0d": 0, "7d30m": 7*24*time.Hour + 30*time.Minute,
	} {
		if err := d.UnmarshalText([]byte(in)); err != nil || d.D() != want {
			t.Errorf("%s = %v, %v; want %v", in, d.D(), err, want)
		}
		back := d
		if err := back.UnmarshalText([]byte(d.String())); err != nil || back != d {
			t.Errorf("%s does not survive String: %s, %v", in, d, err)
		}
	}
	for _, in := range []string{"d", "1.5d", "-1d", "+1d", "1d-1h", "1d1d", "1dx", "99999999999d"} {
		if err := d.UnmarshalText([]byte(in)); err == nil {
			t.Errorf("%q was read as %v", in, d.D())
		}
	}
}
