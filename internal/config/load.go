package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"notifier/internal/secret"
)

// LoadFile reads, decodes and validates the configuration file at path.
// Every line of an error starts with the path.
func LoadFile(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err // *fs.PathError already names the file
	}
	c, err := Load(data)
	if err != nil {
		return nil, &fileError{path: path, err: err}
	}
	return c, nil
}

// fileError prefixes every line of err with the file's path, so that each
// problem of a joined error stands on its own.
type fileError struct {
	path string
	err  error
}

func (e *fileError) Error() string {
	lines := strings.Split(e.err.Error(), "\n")
	for i, l := range lines {
		lines[i] = e.path + ": " + l
	}
	return strings.Join(lines, "\n")
}

func (e *fileError) Unwrap() error { return e.err }

// Load decodes data strictly into a Config pre-filled with Default, so that a
// key that is present, even as an empty string, overrides its default, and
// then validates it. Unknown keys, values of the wrong type and every
// validation problem are reported, one per line.
func Load(data []byte) (*Config, error) {
	c := Default()
	if err := decode(data, &c); err != nil {
		return nil, err
	}
	c.normalize(data)
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// decode decodes data into c and translates go-toml's errors into messages
// that name the key, with array indices, and the line.
func decode(data []byte, c *Config) (err error) {
	// Configuration is operator input: a decoder bug must surface as an
	// error, not take the process down.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("toml: decoder failed: %v", r)
		}
	}()
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if derr := dec.Decode(c); derr != nil {
		// A number where a duration goes fails in the decoder too when the key's type
		// also reads "auto" (PollInterval); the check names the key and the line.
		if err := checkDurations(data); err != nil {
			return err
		}
		return translate(data, derr)
	}
	return checkDurations(data)
}

// translate turns a go-toml error into one error per problem.
func translate(data []byte, err error) error {
	spans := indexDocument(data)
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) {
		errs := make([]error, 0, len(sm.Errors))
		for i := range sm.Errors {
			de := &sm.Errors[i]
			line, _ := de.Position()
			errs = append(errs, fmt.Errorf("line %d: unknown key %q", line, keyOf(data, spans, de)))
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		msg := friendly(strings.TrimPrefix(de.Error(), "toml: "))
		if key := keyOf(data, spans, de); key != "" {
			return fmt.Errorf("line %d, column %d: %s: %s", line, col, key, msg)
		}
		return fmt.Errorf("line %d, column %d: %s", line, col, msg)
	}
	return err
}

// keyOf returns the indexed path of the key de is about, falling back to the
// key go-toml recorded, which has no array indices.
func keyOf(data []byte, spans []span, de *toml.DecodeError) string {
	line, col := de.Position()
	if p, ok := pathAt(spans, offsetOf(data, line, col)); ok {
		return p
	}
	key := ""
	for _, k := range de.Key() {
		key = join(key, k)
	}
	return key
}

// offsetOf converts go-toml's 1-based line and byte column to a byte offset.
func offsetOf(data []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	return off + col - 1
}

var mismatchRE = regexp.MustCompile(`^cannot decode TOML (\S+) into .* of type (\S+)$`)

// friendly rewrites go-toml's type-mismatch message, which names Go types
// such as "struct field config.Poll.Interval", in the file's terms.
func friendly(msg string) string {
	if strings.HasPrefix(msg, "cannot store a table in ") {
		return "expected a value, got table"
	}
	m := mismatchRE.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	return fmt.Sprintf("expected %s, got %s", tomlType(m[2]), m[1])
}

// tomlType names the TOML type that decodes into the Go type named goType.
func tomlType(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "array"
	case goType == "string":
		return "string"
	case goType == "bool":
		return "boolean"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "integer"
	case strings.HasPrefix(goType, "float"):
		return "float"
	case goType == reflect.TypeFor[Duration]().String(): // confkit.Duration
		return `duration string such as "30s"`
	default:
		return "table"
	}
}

// checkDurations rejects a duration written as a number: go-toml would store
// interval = 30 as 30ns without complaint.
func checkDurations(data []byte) error {
	var errs []error
	keys := durationKeys()
	for _, s := range indexDocument(data) {
		if s.kind == unstable.String || !keys[indexRE.ReplaceAllString(s.path, "")] {
			continue
		}
		line := 1 + bytes.Count(data[:s.start], []byte("\n"))
		errs = append(errs, fmt.Errorf("line %d: %s: expected a duration string such as \"30s\", got %s",
			line, s.path, kindName(s.kind)))
	}
	return errors.Join(errs...)
}

// kindName names a TOML value kind as the TOML specification does.
func kindName(k unstable.Kind) string {
	switch k {
	case unstable.Bool:
		return "boolean"
	case unstable.InlineTable:
		return "inline table"
	case unstable.ArrayTable:
		return "array of tables"
	case unstable.LocalDate, unstable.LocalTime, unstable.LocalDateTime, unstable.DateTime:
		return "date-time"
	default:
		return strings.ToLower(k.String())
	}
}

// normalize applies the defaults that cannot be pre-filled before decoding
// and puts values in their canonical form. data is the decoded document: a
// number inside an array table gets its default only when its key is absent,
// so that a 0 written in the file is refused, not replaced.
func (c *Config) normalize(data []byte) {
	for i := range c.DCS.Projects {
		c.DCS.Projects[i].ProjectID = strings.ToLower(c.DCS.Projects[i].ProjectID)
	}
	written := map[string]bool{}
	for _, s := range indexDocument(data) {
		written[s.path] = true
	}
	for i := range c.DCS.Discover {
		if !written[fmt.Sprintf("dcs.discover[%d].refresh", i)] {
			c.DCS.Discover[i].Refresh = DefaultDiscoverRefresh
		}
	}
	// A credential's file replaces its default environment variable, unless the file sets
	// both, which Validate refuses.
	for _, f := range []struct {
		env, file string
		envVal    *string
		fileVal   string
	}{
		{"dcs.ak_env", "dcs.ak_file", &c.DCS.AKEnv, c.DCS.AKFile},
		{"dcs.sk_env", "dcs.sk_file", &c.DCS.SKEnv, c.DCS.SKFile},
		{"dcs.security_token_env", "dcs.security_token_file", &c.DCS.SecurityTokenEnv, c.DCS.SecurityTokenFile},
	} {
		if f.fileVal != "" && !written[f.env] {
			*f.envVal = ""
		}
	}
	c.Poll.followDefaults(written)
	c.normalizeReceivers(written)
	if c.Log.Level == "" {
		c.Log.Level = defaultLevel
	}
}

// String renders c as TOML, for check-config to print. The file holds only
// names of environment variables and paths of files, not secrets, but the
// credentials written into a URL are hidden (redactURLs, on every field tagged
// redact:"url", whatever table or receiver kind it is in), and so is a *_env value
// that looks like a secret pasted where its variable's name goes (hide).
// What it prints loads again.
func (c *Config) String() string {
	if c == nil {
		return "<nil>"
	}
	cp := *c
	hide(reflect.ValueOf(&cp).Elem())
	out, err := toml.Marshal(cp)
	if err != nil {
		return fmt.Sprintf("# cannot render configuration: %v\n", err)
	}
	return string(out)
}

// hiddenEnvName replaces, in String, a *_env value that looks like a secret. It is a
// valid name, so that what String prints still loads.
const hiddenEnvName = "NOT_SHOWN_LOOKS_LIKE_A_SECRET"

// hide replaces, under v (an addressable struct), every *_env value that looks like a
// secret with hiddenEnvName, and hides the credentials of every URL in a field tagged
// redact:"url", whatever table it is in. It copies each slice of tables before walking
// it, so that the Config v was copied from is left as it is.
func hide(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f, sf := v.Field(i), t.Field(i)
			switch {
			case !sf.IsExported():
			case f.Kind() == reflect.String && sf.Tag.Get("redact") == "url":
				f.SetString(redactURLs(f.String()))
			case f.Kind() == reflect.String && strings.HasSuffix(strings.Split(sf.Tag.Get("toml"), ",")[0], "_env"):
				if f.String() != "" && !secret.ShownEnvName(f.String()) {
					f.SetString(hiddenEnvName)
				}
			default:
				hide(f)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 || v.Type().Elem().Kind() != reflect.Struct {
			return
		}
		cp := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(cp, v)
		v.Set(cp)
		for i := range cp.Len() {
			hide(cp.Index(i))
		}
	}
}

// redactURLs hides the credentials of each URL in a comma-separated list, as
// url.URL.Redacted hides a password, and leaves the rest of the text as written. A user
// written without a password is hidden too: it is a token (nats://TOKEN@host, the form
// nats.go reads; https://TOKEN@proxy).
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		u, err := url.Parse(strings.TrimSpace(p))
		switch {
		case err != nil:
			parts[i] = "<invalid url>"
		case u.User == nil:
		case hasPassword(u.User):
			parts[i] = u.Redacted()
		case u.User.Username() != "":
			u.User = url.User("xxxxx")
			parts[i] = u.String()
		}
	}
	return strings.Join(parts, ",")
}

func hasPassword(u *url.Userinfo) bool {
	_, ok := u.Password()
	return ok
}
