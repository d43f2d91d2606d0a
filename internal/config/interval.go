package config

import (
	"fmt"
	"time"
)

// The bounds of poll.interval = "auto": the idle interval the access key's budget allows
// is never shorter than AutoIntervalMin nor longer than AutoIntervalMax.
const (
	AutoIntervalMin = time.Second
	AutoIntervalMax = 30 * time.Second
)

// DefaultAutoBudgetShare is poll.auto_budget_share's default: the share of each access
// key's request budget that the idle polls of its projects may use under "auto".
const DefaultAutoBudgetShare = 0.2

// PollInterval is poll.interval: a duration such as "30s", or "auto" (Auto), the shortest
// interval that poll.auto_budget_share of the access key's budget allows across its
// projects (internal/fleet's Pace). Under "auto", Duration is AutoIntervalMax, the longest
// the interval can be, which every rule judging poll.interval (the window, how old a poll
// may be before readiness fails, the spread of the first polls) goes by.
type PollInterval struct {
	Duration
	Auto bool `toml:"-"`
}

// Every returns a fixed poll.interval of d.
func Every(d time.Duration) PollInterval { return PollInterval{Duration: Duration(d)} }

// autoText is how poll.interval = "auto" is written.
const autoText = "auto"

// String returns "auto", or the duration in the file's short form.
func (i PollInterval) String() string {
	if i.Auto {
		return autoText
	}
	return i.Duration.String()
}

// MarshalText encodes i as UnmarshalText reads it back.
func (i PollInterval) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// UnmarshalText reads "auto" or a duration string.
func (i *PollInterval) UnmarshalText(text []byte) error {
	if string(text) == autoText {
		*i = PollInterval{Duration: Duration(AutoIntervalMax), Auto: true}
		return nil
	}
	*i = PollInterval{}
	if i.Duration.UnmarshalText(text) != nil {
		return fmt.Errorf("invalid interval %q (use \"auto\" or a duration string such as \"30s\" or \"1m\")", text)
	}
	return nil
}
