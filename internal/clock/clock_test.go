package clock

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		in   string
		end  bool
		want int
		ok   bool
	}{
		{"00:00", false, 0, true}, {"01:30", false, 90, true}, {"23:59", false, 1439, true},
		{"24:00", true, 1440, true}, {"24:00", false, 0, false}, {"7:00", false, 0, false},
		{"07:60", false, 0, false}, {"0700", false, 0, false}, {"", true, 0, false},
	} {
		got, err := Parse(tt.in, tt.end)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Parse(%q, %v) = %d, %v; want %d, ok %v", tt.in, tt.end, got, err, tt.want, tt.ok)
		}
	}
	if d, err := ParseWeekday("saturday"); err != nil || d != time.Saturday {
		t.Errorf("ParseWeekday(saturday) = %v, %v", d, err)
	}
}
