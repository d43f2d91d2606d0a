// Package secret holds values that never print (Secret) and reads them from where the
// configuration says: an environment variable or a file (Read).
package secret

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
)

// envNameRE is what an environment variable's name may be.
var envNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ValidEnvName reports whether name is an environment variable's name: letters, digits
// and _, not starting with a digit.
func ValidEnvName(name string) bool { return envNameRE.MatchString(name) }

// redacted is what a non-empty Secret prints as.
const redacted = "<secret>"

// maxSecretFile bounds a secret file: a secret is a token or a URL, and a
// mistyped path to a large file must not be read whole into memory.
const maxSecretFile = 64 << 10

// Secret is a string that never prints its value: String, GoString,
// MarshalText and MarshalJSON all give "<secret>", or "" when it is empty, so
// fmt verbs, encoding/json and loggers that use them are safe. Reveal returns
// the value for the one place that needs it.
//
// Two holes remain, because Secret is a string: fmt cannot call methods on
// unexported struct fields, and encoding/json writes a map key of string kind
// as it is. Do not print a struct holding a Secret in an unexported field,
// and do not use a Secret as a map key.
type Secret string

// Reveal returns the secret value.
func (s Secret) Reveal() string { return string(s) }

// String returns "<secret>", or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redacted
}

// GoString returns the same as String, so that %#v hides the value too.
func (s Secret) GoString() string { return s.String() }

// MarshalText returns the same as String.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// MarshalJSON returns String as a JSON string.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// ErrUnset is wrapped by Read's error for an environment variable that is
// empty or unset, so that a caller can treat an optional secret as absent.
var ErrUnset = errors.New("empty or unset")

// ErrNotEnvName is the error for a *_env key whose value is not the name of an environment
// variable: the secret itself pasted where its variable's name goes (a webhook URL in
// url_env, an access key in ak_env). Its text never holds the value; the caller prefixes
// the key.
var ErrNotEnvName = errors.New("must name an environment variable; the value given is not shown")

// looksLikeSecret reports whether name, though a valid variable name, looks like a secret
// pasted in its place: variable names are words joined by _ (CLOUD_SDK_AK), while an access
// key, a secret key, a routing key or a token is one long run of letters and digits. So:
// a run of 16 or more characters between underscores, with a digit in it.
func looksLikeSecret(name string) bool {
	for _, run := range strings.Split(name, "_") {
		if len(run) >= 16 && strings.ContainsAny(run, "0123456789") {
			return true
		}
	}
	return false
}

// ShownEnvName reports whether the value of a *_env key may be shown: a valid variable
// name that does not look like a secret.
func ShownEnvName(name string) bool {
	return envNameRE.MatchString(name) && !looksLikeSecret(name)
}

// Read resolves a secret from the environment variable envName or the
// file at path file; exactly one of them must be non-empty. A file's content
// is trimmed of surrounding whitespace, such as the final newline that editors
// add. An empty secret is an error (wrapping ErrUnset for a variable). getenv
// is os.Getenv when nil. Errors name the variable or the file, never the value,
// and never an envName that is not a variable's name or that looks like a secret and
// is unset (ErrNotEnvName): it is likely the secret itself.
func Read(envName, file string, getenv func(string) string) (Secret, error) {
	switch {
	case envName != "" && file != "":
		return "", fmt.Errorf("secret: both an environment variable and file %s are set, set only one", file)
	case envName != "":
		if !envNameRE.MatchString(envName) {
			return "", ErrNotEnvName
		}
		if getenv == nil {
			getenv = os.Getenv
		}
		v := getenv(envName)
		switch {
		case v == "" && looksLikeSecret(envName):
			// Not ErrUnset: an optional secret must not be taken as absent when its
			// value was pasted in the wrong key.
			return "", fmt.Errorf("%w (no variable of that name is set, and it looks like a secret)", ErrNotEnvName)
		case v == "":
			return "", fmt.Errorf("secret: environment variable %s is %w", envName, ErrUnset)
		}
		return Secret(v), nil
	case file != "":
		v, err := readSecretFile(file)
		if err != nil {
			return "", err
		}
		return Secret(v), nil
	default:
		return "", errors.New("secret: neither an environment variable nor a file is set")
	}
}

// readSecretFile returns the trimmed content of the file at path.
func readSecretFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("secret: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return "", fmt.Errorf("secret: read %s: %w", path, err)
	}
	if len(data) > maxSecretFile {
		return "", fmt.Errorf("secret: file %s is larger than %d bytes", path, maxSecretFile)
	}
	v := strings.TrimSpace(string(data))
	if v == "" {
		return "", fmt.Errorf("secret: file %s is empty", path)
	}
	return v, nil
}
