package config

import (
	"encoding"
	"os"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/pelletier/go-toml/v2"
)

// keysOf lists the keys of a decoded TOML document as dotted paths, with "[]" for arrays
// of tables: dcs.projects[].region.
func keysOf(prefix string, v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			keysOf(join(prefix, k), val, out)
		}
	case []any:
		if len(x) > 0 {
			if _, ok := x[0].(map[string]any); ok {
				for _, e := range x {
					keysOf(prefix+"[]", e, out)
				}
				return
			}
		}
		out[prefix] = true
	default:
		out[prefix] = true
	}
}

// uncommentTables removes the "# " of a commented-out array table: every line from one
// that is "# [[name]]" to the next blank line.
func uncommentTables(doc string) string {
	lines := strings.Split(doc, "\n")
	in := false
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "# [["):
			in = true
		case strings.TrimSpace(l) == "":
			in = false
		}
		if in {
			lines[i] = strings.TrimPrefix(l, "# ")
		}
	}
	return strings.Join(lines, "\n")
}

// mapKey reports whether the accepted key a is a table of free keys: a map, such as
// stuck.after (task names) or a receiver's headers.
func mapKey(a string) bool {
	maps := map[string]bool{}
	mapFields("", reflect.TypeFor[Config](), maps)
	return maps[a]
}

// mapFields lists the keys of t that are maps, walking it as fieldKeys does.
func mapFields(prefix string, t reflect.Type, out map[string]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("toml"), ",")[0]
		switch {
		case f.Anonymous && tag == "" && table(f.Type):
			mapFields(prefix, f.Type, out)
		case tag == "" || tag == "-":
		case table(f.Type):
			mapFields(join(prefix, tag), f.Type, out)
		case f.Type.Kind() == reflect.Slice && table(f.Type.Elem()):
			mapFields(join(prefix, tag)+"[]", f.Type.Elem(), out)
		case f.Type.Kind() == reflect.Map:
			out[join(prefix, tag)] = true
		}
	}
}

// table reports whether t decodes as a TOML table of keys: a struct with fields that does
// not decode itself from a string (as Duration does).
func table(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && t.NumField() > 0 &&
		!reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]())
}

// fieldKeys lists every key the Config type accepts. A struct embedded without a tag
// gives its keys to the table it is in, as the TOML decoder reads it; a table's type may
// come from any package.
func fieldKeys(prefix string, t reflect.Type, out map[string]bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := strings.Split(f.Tag.Get("toml"), ",")[0]
		if f.Anonymous && tag == "" && table(f.Type) {
			fieldKeys(prefix, f.Type, out)
			continue
		}
		if tag == "" || tag == "-" {
			continue
		}
		key := join(prefix, tag)
		switch {
		case table(f.Type):
			fieldKeys(key, f.Type, out)
		case f.Type.Kind() == reflect.Slice && table(f.Type.Elem()):
			fieldKeys(key+"[]", f.Type.Elem(), out)
		default:
			out[key] = true
		}
	}
}

func sorted(m map[string]bool) []string {
	var s []string
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// reference returns the configuration reference of docs/configuration.md: its section
// "## Configuration reference", tables of every key.
func reference(t *testing.T) string {
	t.Helper()
	doc, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	_, ref, ok := strings.Cut(string(doc), "\n## Configuration reference\n")
	if !ok {
		t.Fatal(`docs/configuration.md: no section "## Configuration reference"`)
	}
	ref, _, _ = strings.Cut(ref, "\n## ")
	return ref
}

// documents reports whether key is documented: in the configuration reference, or, for a
// key of a receiver kind, with the kind in docs/receivers.md, so that a kind added later
// is documented in one place.
func documents(t *testing.T) func(key string) bool {
	t.Helper()
	ref := reference(t)
	receivers, err := os.ReadFile("../../docs/receivers.md")
	if err != nil {
		t.Fatal(err)
	}
	return func(key string) bool {
		if strings.Contains(ref, "`"+key+"`") {
			return true
		}
		for _, k := range Kinds() {
			if strings.HasPrefix(key, k.Key+".") || strings.HasPrefix(key, k.Key+"[].") {
				return strings.Contains(string(receivers), "`"+key+"`")
			}
		}
		return false
	}
}

// TestExampleAndDocsKeepUp fails when config.example.toml shows a key the configuration
// reference (docs/configuration.md, or docs/receivers.md for a receiver's) does not document, or the Config type accepts a key
// that the reference does not document or the example does not show.
func TestExampleAndDocsKeepUp(t *testing.T) {
	example, err := os.ReadFile("../../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	documented := documents(t)
	if _, err := Load(example); err != nil {
		t.Fatalf("config.example.toml does not load: %v", err)
	}
	var doc map[string]any
	if err := toml.Unmarshal(example, &doc); err != nil {
		t.Fatal(err)
	}
	shown := map[string]bool{}
	keysOf("", doc, shown)
	// An optional receiver is shown commented out; its keys count once uncommented.
	commented := uncommentTables(string(example))
	if _, err := Load([]byte(commented)); err != nil {
		t.Fatalf("config.example.toml with its commented-out tables uncommented does not load: %v", err)
	}
	var all map[string]any
	if err := toml.Unmarshal([]byte(commented), &all); err != nil {
		t.Fatal(err)
	}
	keysOf("", all, shown)
	accepted := map[string]bool{}
	fieldKeys("", reflect.TypeFor[Config](), accepted)
	// A table of free keys (stuck.after: task names) counts as the one key it is.
	for k := range shown {
		for a := range accepted {
			if strings.HasPrefix(k, a+".") && mapKey(a) {
				delete(shown, k)
				shown[a] = true
			}
		}
	}
	for _, k := range sorted(shown) {
		if !accepted[k] {
			t.Errorf("config.example.toml shows %s, which the config does not accept", k)
		}
		if !documented(k) {
			t.Errorf("docs/configuration.md's configuration reference (or docs/receivers.md) does not document %s, which config.example.toml shows", k)
		}
	}
	for _, k := range sorted(accepted) {
		if !documented(k) {
			t.Errorf("docs/configuration.md's configuration reference (or docs/receivers.md) does not document %s", k)
		}
		// url_file and bot_token_file are the alternatives to url_env and bot_token_env,
		// shown in a comment.
		if !shown[k] && k != "slack.webhooks[].url_file" && k != "slack.channels[].bot_token_file" && !followsWhenUnset(k, example) {
			t.Errorf("config.example.toml does not show %s", k)
		}
	}
}

// followsWhenUnset reports whether k is a key whose default follows other keys when it is
// unset (Poll.followDefaults), so that the example shows it commented out: written,
// it would stop following.
func followsWhenUnset(k string, example []byte) bool {
	leaf, ok := strings.CutPrefix(k, "poll.")
	return ok && (leaf == "max_backoff" || leaf == "max_follow") &&
		strings.Contains(string(example), "\n# "+leaf+" = ")
}

// fieldKeys reads a table the way the TOML decoder does: an untagged embedded struct gives
// its keys to the table it is in (as a shared filter block would), and a Duration is one key.
func TestFieldKeysFlattensEmbeddedTables(t *testing.T) {
	type filter struct {
		MinSeverity string   `toml:"min_severity"`
		Statuses    []string `toml:"statuses"`
	}
	type receiver struct {
		Name string `toml:"name"`
		filter
		Every Duration `toml:"every"`
	}
	type root struct {
		Receivers []receiver `toml:"receivers"`
		One       receiver   `toml:"one"`
	}
	got := map[string]bool{}
	fieldKeys("", reflect.TypeFor[root](), got)
	want := []string{"one.every", "one.min_severity", "one.name", "one.statuses",
		"receivers[].every", "receivers[].min_severity", "receivers[].name", "receivers[].statuses"}
	if have := sorted(got); !reflect.DeepEqual(have, want) {
		t.Errorf("fieldKeys = %v, want %v", have, want)
	}
	var r root
	if err := toml.Unmarshal([]byte("[one]\nname = \"a\"\nmin_severity = \"warning\"\n"), &r); err != nil || r.One.MinSeverity != "warning" {
		t.Errorf("the decoder does not read an embedded table's keys as the table's own: %v %+v", err, r)
	}
}
