package dcs

import (
	"strconv"
	"time"
)

// apiTime reads a JSON string in the API's own format, "2006-01-02T15:04:05.000Z" (or
// without the fraction), from the start of b (which begins with the opening quote)
// without allocating. n is how many bytes the string takes, quotes included; it is 0, and
// the caller falls back to ParseTime, for any other string.
func apiTime(b []byte) (t time.Time, n int) {
	n = 21 // "2006-01-02T15:04:05Z"
	if len(b) > 21 && b[20] == '.' {
		n = 25
	}
	if len(b) < n+1 || b[n-1] != 'Z' || b[n] != '"' || b[5] != '-' || b[8] != '-' || b[11] != 'T' || b[14] != ':' || b[17] != ':' {
		return time.Time{}, 0
	}
	num := func(from, to int) int {
		v := 0
		for _, c := range b[from:to] {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	year, month, day := num(1, 5), num(6, 8), num(9, 11)
	hour, minute, sec, ms := num(12, 14), num(15, 17), num(18, 20), 0
	if n == 25 {
		ms = num(21, 24)
	}
	if year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 || ms < 0 {
		return time.Time{}, 0
	}
	t = time.Date(year, time.Month(month), day, hour, minute, sec, ms*1e6, time.UTC)
	if t.Day() != day { // February 30th and the like: ParseTime refuses them
		return time.Time{}, 0
	}
	return t, n + 1
}

var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z0700",
	"20060102150405",
}

// ParseTime reads the API's timestamps ("2020-06-17T07:38:42.503Z") and the other shapes
// seen from Huawei APIs (no zone means UTC; epoch milliseconds). It returns the zero time
// for anything else.
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC()
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 1e11 && ms < 1e14 {
		return time.UnixMilli(ms).UTC()
	}
	return time.Time{}
}
