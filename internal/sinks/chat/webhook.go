package chat

import "notifier/internal/confkit"

// Webhook is the keys of a chat kind that say where it posts. A kind embeds it in its
// Config, and Signed too when its robot checks a signature. The webhook URL holds the
// robot's token, so the file only names where to read it.
type Webhook struct {
	URLEnv    string           `toml:"url_env"`
	URLFile   string           `toml:"url_file"`
	Timeout   confkit.Duration `toml:"timeout"`     // of one post; Defaults: 10s
	TLSCAFile string           `toml:"tls_ca_file"` // CA certificates of a private endpoint
}

// Signed is a robot's signing secret ("": unsigned).
type Signed struct {
	SecretEnv  string `toml:"secret_env"`
	SecretFile string `toml:"secret_file"` // or a file holding it
}

// Defaults sets timeout's default when the file does not write it.
func (w *Webhook) Defaults(written func(string) bool) {
	if w.Timeout == 0 && !written("timeout") {
		w.Timeout = confkit.Duration(DefaultTimeout)
	}
}

// Endpoint is the endpoint of the receiver name configured at key; s is its signing
// secret, nil for a kind that signs nothing.
func (w *Webhook) Endpoint(key, name string, s *Signed) Endpoint {
	e := Endpoint{Key: key, Name: name, URLEnv: w.URLEnv, URLFile: w.URLFile, Timeout: w.Timeout.D(), TLSCAFile: w.TLSCAFile}
	if s != nil {
		e.SecretEnv, e.SecretFile, e.Signs = s.SecretEnv, s.SecretFile, true
	}
	return e
}
