package slacksink

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"notifier/internal/event"
)

// hostile are values a task field might hold to ping a channel, forge a link or break
// the message.
var hostile = []string{
	"<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C123|general>", "<!subteam^S123>",
	"a & b", "<https://evil.example|click>", "&lt;!channel&gt;", "x\n*Status*\nSUCCEEDED", "`code` *bold*",
	"\xff\xfe<", "<<!channel>>", "\u2028<!here>", "&", strings.Repeat("<!channel>", 2000),
}

func TestEscape(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain", "SUCCESS", "SUCCESS"},
		{"channel", "<!channel>", "&lt;!channel&gt;"},
		{"user", "<@U123>", "&lt;@U123&gt;"},
		{"link", "<https://evil|click>", "&lt;https://evil|click&gt;"},
		{"ampersand", "a & b", "a &amp; b"},
		{"already escaped", "&lt;", "&amp;lt;"},
		{"newline", "a\nb\r\tc", "a b  c"},
		{"invalid utf-8", "a\xffb", "a\uFFFDb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := escape(tt.in); got != tt.want {
				t.Errorf("escape(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestLimit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		n    int
	}{
		{"ascii", strings.Repeat("a", 5000), maxText},
		{"entities", strings.Repeat("&amp;", 1000), maxText},
		{"entity at the cut", strings.Repeat("a", 2983) + strings.Repeat("&amp;", 5), maxText},
		{"runes", strings.Repeat("é", 3000), maxText},
		{"tiny", "abcdefghijklmnopqrstuvwxyz", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := limit(tt.in, tt.n)
			if len(got) > max(tt.n, len(truncMarker)) || !utf8.ValidString(got) || !strings.HasSuffix(got, truncMarker) {
				t.Errorf("limit gave %d bytes, valid %v, ends %q", len(got), utf8.ValidString(got), got[max(len(got)-20, 0):])
			}
			body := strings.TrimSuffix(got, truncMarker)
			if i := strings.LastIndexByte(body, '&'); i >= 0 && !strings.Contains(body[i:], ";") {
				t.Errorf("cut inside an entity: %q", body[i:])
			}
		})
	}
	if got := limit("short", maxText); got != "short" {
		t.Errorf("limit changed a short text: %q", got)
	}
}

// TestRenderHostile puts every hostile string in every field the API fills and checks
// that no message can mention, link or exceed a limit.
func TestRenderHostile(t *testing.T) {
	fields := []string{"id", "name", "job_id", "user_name", "status", "created_at", "updated_at", "error_code"}
	detailKeys := []string{"old_capacity", "new_capacity", "public_ip_address", "replica_ip", "replica_az",
		"source_ip", "target_ip", "node_name", "old_cache_mode", "new_cache_mode", "<!channel>"}
	for _, h := range hostile {
		task := map[string]any{}
		for _, f := range fields {
			task[f] = h
		}
		d := map[string]any{"rename_commands": []string{h, h}}
		for _, k := range detailKeys {
			d[k] = h
		}
		task["details"] = d
		raw, _ := json.Marshal(task)
		e := ev(t, h, true, string(raw))
		e.Data.TaskName, e.Data.Status, e.Data.Region, e.Data.ProjectID = h, h, h, h
		e.Subject = h
		msg := Render(&e, clock, event.DefaultStatuses())
		checkMessage(t, &msg)
		digest := RenderDigest([]event.Event{e, e, e}, clock, event.DefaultStatuses())
		checkMessage(t, &digest)
		if t.Failed() {
			t.Fatalf("input %q", h)
		}
	}
}
