// Package confkit holds what the configuration is built from that the packages below
// internal/config share: a Duration written as "30s", and Problems, the checks that name
// the key a value is wrong at. A receiver kind (internal/sinks/...) declares and
// validates its own configuration with them (and package secret), so that it need not
// import internal/config, which lists it.
package confkit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Duration is a time.Duration written in TOML as a string such as "30s".
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String returns d in the short form used in the file, such as "5m" or "1h30m".
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// MarshalText encodes d as a string that UnmarshalText reads back.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText decodes a string such as "30s", "1h30m" or "30d": a leading whole
// number of days (24h each) is accepted, as retention is usually spoken of in days and
// time.ParseDuration has no unit for them.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := parseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q (use a string such as \"30s\", \"5m\", \"1h30m\" or \"30d\")", text)
	}
	*d = Duration(v)
	return nil
}

// parseDuration is time.ParseDuration with an optional leading "<n>d".
func parseDuration(s string) (time.Duration, error) {
	days, rest, ok := strings.Cut(s, "d")
	if !ok {
		return time.ParseDuration(s)
	}
	n, err := strconv.ParseUint(days, 10, 16) // up to 65535 days, far below the int64 limit
	if err != nil {
		return 0, err
	}
	v := time.Duration(n) * 24 * time.Hour
	if rest == "" {
		return v, nil
	}
	r, err := time.ParseDuration(rest)
	if err != nil || r < 0 || rest[0] == '+' {
		return 0, fmt.Errorf("bad duration %q", s)
	}
	return v + r, nil
}
