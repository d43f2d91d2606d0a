// Package clock reads the times of day, weekdays and time zones of maintenance windows.
package clock

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// weekdayNames are the accepted values of mute[].weekdays, in time.Weekday order.
var weekdayNames = []string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// ParseWeekday reads a lower-case English day name, as mute[].weekdays holds.
func ParseWeekday(s string) (time.Weekday, error) {
	if i := slices.Index(weekdayNames, s); i >= 0 {
		return time.Weekday(i), nil
	}
	return 0, fmt.Errorf("must be a lower-case English day name (%s), got %q", strings.Join(weekdayNames, ", "), s)
}

// Parse reads "HH:MM" (00:00 to 23:59) as minutes after midnight. "24:00" (the end
// of the day) is accepted when end is true.
func Parse(s string, end bool) (int, error) {
	if end && s == "24:00" {
		return 24 * 60, nil
	}
	t, err := time.Parse("15:04", s)
	if err != nil || len(s) != 5 {
		return 0, fmt.Errorf("must be a time of day \"HH:MM\" such as \"01:00\", got %q", s)
	}
	return t.Hour()*60 + t.Minute(), nil
}

// LoadLocation reads mute[].location: an IANA time zone name, "" meaning UTC.
func LoadLocation(name string) (*time.Location, error) {
	if name == "" {
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil || name == "Local" {
		return nil, fmt.Errorf("must be an IANA time zone name such as \"Asia/Shanghai\" or \"UTC\", got %q", name)
	}
	return loc, nil
}
