package slacksink

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/slack-go/slack"
)

// checkMessage fails t for every way msg could be refused by Slack or could mention,
// link or break: invalid JSON, a text over its limit or empty, too many blocks or fields,
// or any '<' at all (we never write one, so every '<' would come from the input).
func checkMessage(t testing.TB, msg *slack.WebhookMessage) {
	t.Helper()
	for _, p := range problems(msg) {
		t.Error(p)
	}
}

func problems(msg *slack.WebhookMessage) []string {
	raw, err := json.Marshal(msg)
	if err != nil {
		return []string{"marshal: " + err.Error()}
	}
	if !json.Valid(raw) {
		return []string{"invalid JSON"}
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return []string{"unmarshal: " + err.Error()}
	}
	var out []string
	walk(v, "", func(path string, obj map[string]any) {
		if blocks, ok := obj["blocks"].([]any); ok && len(blocks) > maxBlocks {
			out = append(out, fmt.Sprintf("%s: %d blocks", path, len(blocks)))
		}
		if fields, ok := obj["fields"].([]any); ok {
			if len(fields) > maxFields {
				out = append(out, fmt.Sprintf("%s: %d fields", path, len(fields)))
			}
			for _, f := range fields {
				if s, _ := f.(map[string]any)["text"].(string); utf8.RuneCountInString(s) > maxField {
					out = append(out, fmt.Sprintf("%s: field of %d characters", path, utf8.RuneCountInString(s)))
				}
			}
		}
		if els, ok := obj["elements"].([]any); ok && obj["type"] == "actions" && len(els) > maxButtons {
			out = append(out, fmt.Sprintf("%s: %d buttons", path, len(els)))
		}
		if obj["type"] == "button" {
			u, _ := obj["url"].(string)
			if len(u) > 3000 || !(strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")) || strings.ContainsAny(u, " <>|\n") {
				out = append(out, fmt.Sprintf("%s: button url %q", path, u))
			}
			if txt, _ := obj["text"].(map[string]any); txt == nil || utf8.RuneCountInString(txt["text"].(string)) > 75 {
				out = append(out, fmt.Sprintf("%s: button text %v", path, obj["text"]))
			}
		}
		for _, k := range []string{"text", "fallback"} {
			s, ok := obj[k].(string)
			if !ok {
				continue
			}
			if n := utf8.RuneCountInString(s); n > maxText || n == 0 {
				out = append(out, fmt.Sprintf("%s.%s: %d characters", path, k, n))
			}
			if strings.Contains(s, "<") {
				out = append(out, fmt.Sprintf("%s.%s contains '<': %q", path, k, s))
			}
			if strings.ContainsAny(s, "\r\x00") {
				out = append(out, fmt.Sprintf("%s.%s contains a control character: %q", path, k, s))
			}
		}
	})
	return out
}

func walk(v any, path string, visit func(string, map[string]any)) {
	switch x := v.(type) {
	case map[string]any:
		visit(path, x)
		for _, k := range slices.Sorted(maps.Keys(x)) {
			walk(x[k], path+"."+k, visit)
		}
	case []any:
		for i, c := range x {
			walk(c, fmt.Sprintf("%s[%d]", path, i), visit)
		}
	}
}

// texts returns every text of msg, one a line, for assertions on what a reader sees.
func texts(msg *slack.WebhookMessage) string {
	raw, _ := json.Marshal(msg)
	var v any
	_ = json.Unmarshal(raw, &v)
	var b strings.Builder
	walk(v, "", func(_ string, obj map[string]any) {
		if s, ok := obj["text"].(string); ok {
			b.WriteString(s + "\n")
		}
	})
	return b.String()
}
