package httpx

import (
	"fmt"
	"net/url"

	"notifier/internal/secret"
)

// ReadURL reads the secret URL of the receiver configured at key from the environment
// variable env or the file file (url_env, url_file) and checks it is an absolute http(s)
// URL. Its errors name the key it came through and where from, never the URL.
func ReadURL(key, env, file string, getenv func(string) string) (secret.Secret, error) {
	k, from := key+".url_env", "environment variable "+env
	if file != "" {
		k, from = key+".url_file", "file "+file
	}
	raw, err := secret.Read(env, file, getenv)
	if err != nil {
		return "", fmt.Errorf("%s: %w", k, err)
	}
	// Not quoting url.Parse's error: it holds the URL.
	u, perr := url.Parse(raw.Reveal())
	if perr != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%s: the URL in %s is not an absolute http(s) URL", k, from)
	}
	return raw, nil
}
