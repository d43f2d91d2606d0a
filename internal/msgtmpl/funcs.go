package msgtmpl

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"text/template"
	"time"
	"unicode"
	"unicode/utf8"
)

// Mention is how a kind writes a mention (the function mention).
type Mention int

// The ways of writing a mention.
const (
	// PlainMention is "@name": PagerDuty and Alertmanager, where nobody is notified by it.
	PlainMention Mention = iota
	// SlackMention is Slack's markup: <@U0123ABCD> for a user id (U…, W…),
	// <!subteam^S0123ABCD> for a user group id (S…), <!here>, <!channel> and
	// <!everyone>; any other name is "@name", which Slack shows but notifies nobody by.
	SlackMention
	// FeishuMention is Feishu's (Lark's): <at user_id="ou_…"></at>, and "all" for
	// everyone, for a webhook that posts to Feishu.
	FeishuMention
)

// safe is text a function wrote in the kind's own markup (a mention): the escaping pass
// leaves it as it is.
type safe string

var (
	slackUser  = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	slackGroup = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
)

// mention writes who (a user id, a group id, a name, or here/channel/everyone/all) as
// the kind mentions it.
func mention(m Mention, who string) safe {
	who = strings.TrimLeft(strings.TrimSpace(who), "@!")
	switch m {
	case SlackMention:
		switch strings.ToLower(who) {
		case "here", "channel", "everyone":
			return safe("<!" + strings.ToLower(who) + ">")
		}
		switch {
		case slackUser.MatchString(who):
			return safe("<@" + who + ">")
		case slackGroup.MatchString(who):
			return safe("<!subteam^" + who + ">")
		}
		return safe("@" + slackText(who))
	case FeishuMention:
		id := strings.Map(func(r rune) rune {
			if r == '"' || r == '<' || r == '>' || r == '&' || unicode.IsControl(r) {
				return -1
			}
			return r
		}, who)
		if strings.EqualFold(id, "everyone") || strings.EqualFold(id, "channel") || strings.EqualFold(id, "here") {
			id = "all"
		}
		return safe(`<at user_id="` + id + `"></at>`)
	}
	return safe("@" + who)
}

// slackText escapes a name in a Slack mention that is not an id.
func slackText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// funcs is the function set of a template of style s, executed at now (since).
func funcs(s Style, now time.Time) template.FuncMap {
	esc := s.Escape
	return template.FuncMap{
		"upper":    strings.ToUpper,
		"lower":    strings.ToLower,
		"title":    title,
		"join":     join,
		"default":  dflt,
		"truncate": truncate,
		"since": func(t any) (time.Duration, error) {
			tt, err := asTime(t)
			if err != nil {
				return 0, fmt.Errorf("since: %w", err)
			}
			return round(now.Sub(tt)), nil
		},
		"date":    date,
		"json":    toJSON,
		"mention": func(who string) safe { return mention(s.Mention, who) },
		escapeFunc: func(v any) string {
			if x, ok := v.(safe); ok {
				return string(x)
			}
			if esc == nil {
				return fmt.Sprint(v)
			}
			return esc(fmt.Sprint(v))
		},
	}
}

// title writes the first letter of every word in upper case, the rest as it is.
func title(s string) string {
	prev := ' '
	return strings.Map(func(r rune) rune {
		up := unicode.IsSpace(prev) || prev == '-' || prev == '/'
		prev = r
		if up {
			return unicode.ToTitle(r)
		}
		return r
	}, s)
}

// join joins a list's items with sep: `join ", " .List`. A string is itself.
func join(sep string, list any) (string, error) {
	switch l := list.(type) {
	case nil:
		return "", nil
	case string:
		return l, nil
	case []string:
		return strings.Join(l, sep), nil
	}
	v := reflect.ValueOf(list)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return "", fmt.Errorf("join: %T is not a list", list)
	}
	parts := make([]string, v.Len())
	for i := range parts {
		parts[i] = fmt.Sprint(v.Index(i).Interface())
	}
	return strings.Join(parts, sep), nil
}

// dflt is given unless it is empty (nil, "", 0, false, an empty list or map, the zero
// time), else def: `.InstanceName | default "unknown instance"`.
func dflt(def, given any) any {
	if empty(given) {
		return def
	}
	return given
}

func empty(v any) bool {
	if v == nil {
		return true
	}
	r := reflect.ValueOf(v)
	switch r.Kind() {
	case reflect.Slice, reflect.Map, reflect.Array, reflect.String:
		return r.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return r.IsNil()
	}
	return r.IsZero()
}

// truncate cuts s to at most n characters, at a word boundary when one is near, ending
// with "…" when it cut: `.Label | truncate 40`.
func truncate(n int, s any) (string, error) {
	if n < 1 {
		return "", fmt.Errorf("truncate: %d characters: at least 1", n)
	}
	str := fmt.Sprint(s)
	if utf8.RuneCountInString(str) <= n {
		return str, nil
	}
	// The byte length of the first n-1 characters, the ellipsis being the last.
	end, i := 0, 0
	for j := range str {
		if i == n-1 {
			end = j
			break
		}
		i++
	}
	return cutWords(str, end) + "…", nil
}

// Cut shortens s to at most n bytes (PagerDuty's summary: 1024), at a word boundary
// when one is near and always at a rune boundary, ending with "…" when it cut.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	end := max(n-len("…"), 0)
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return cutWords(s, end) + "…"
}

// cutWords is s[:end] (end on a rune boundary) moved back to the last space when that
// keeps most of it, without the spaces and punctuation left trailing.
func cutWords(s string, end int) string {
	kept := s[:end]
	if end < len(s) && !unicode.IsSpace(rune(s[end])) {
		if i := strings.LastIndexFunc(kept, unicode.IsSpace); i > end*3/4 {
			kept = kept[:i]
		}
	}
	return strings.TrimRightFunc(kept, func(r rune) bool { return unicode.IsSpace(r) || r == ',' || r == ';' || r == ':' })
}

// asTime reads a time.Time, a *time.Time or an RFC 3339 string.
func asTime(t any) (time.Time, error) {
	switch x := t.(type) {
	case time.Time:
		if !x.IsZero() {
			return x, nil
		}
	case *time.Time:
		if x != nil && !x.IsZero() {
			return *x, nil
		}
	case string:
		if x == "" {
			break
		}
		tt, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(x))
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time", x)
		}
		return tt, nil
	default:
		return time.Time{}, fmt.Errorf("%T is not a time", t)
	}
	return time.Time{}, errNoTime
}

// date formats a time with a Go layout, in UTC or in the IANA zone given before it:
// `date "15:04 MST" .Time`, `date "2006-01-02 15:04" "Asia/Shanghai" .Time`.
func date(layout string, args ...any) (string, error) {
	var zone string
	switch len(args) {
	case 1:
	case 2:
		z, ok := args[0].(string)
		if !ok {
			return "", fmt.Errorf("date: the zone is %T, not a name such as \"Asia/Shanghai\"", args[0])
		}
		zone = z
	default:
		return "", fmt.Errorf("date: want a layout, an optional zone and a time; got %d arguments after the layout", len(args))
	}
	t, err := asTime(args[len(args)-1])
	if err != nil {
		return "", fmt.Errorf("date: %w", err)
	}
	loc := time.UTC
	if zone != "" {
		if loc, err = time.LoadLocation(zone); err != nil {
			return "", fmt.Errorf("date: unknown time zone %q", zone)
		}
	}
	return t.In(loc).Format(layout), nil
}

// toJSON is v as JSON: a string quoted and escaped, for a JSON body.
func toJSON(v any) (string, error) {
	if s, ok := v.(safe); ok {
		v = string(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("json: %w", err)
	}
	return string(b), nil
}

// round shows a duration as Slack's facts do: to 100ms under a minute, else to the second.
func round(d time.Duration) time.Duration {
	if d < time.Minute && d > -time.Minute {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
