package app

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"notifier/internal/config"
	"notifier/internal/sinks/natssink"
)

// A reload applied in place (Apply) keeps a project's poller, or a receiver's sink and
// worker, while what it is built from is the same: these digests say whether it is.

// fingerprint is a digest of what a component is built from, to tell at a reload
// whether it changed. Secrets go in revealed (the digest never leaves the process and is
// never logged); a part that cannot be encoded makes a digest that matches nothing.
func fingerprint(parts ...any) string {
	h := sha256.New()
	for _, p := range parts {
		b, err := json.Marshal(p)
		if err != nil {
			return fmt.Sprintf("unencodable %p", &b)
		}
		h.Write(b)
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fileDigest is a digest of the files a component reads when it is built (a CA
// bundle, NATS credentials), so that a reload after one was replaced rebuilds it. A
// file that cannot be read digests as its error.
func fileDigest(paths ...string) string {
	h := sha256.New()
	for _, p := range paths {
		if p == "" {
			h.Write([]byte{0})
			continue
		}
		b, err := os.ReadFile(p)
		if err != nil {
			b = []byte(err.Error())
		}
		s := sha256.Sum256(b)
		h.Write(s[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fingerprint is the project's settings as its poller and client use them.
func (p project) fingerprint(cfg *config.Config) string {
	d := cfg.DCS
	d.Projects, d.Discover = nil, nil
	return fingerprint(p.cfg, p.discovered, p.creds.AK.Reveal(), p.creds.SK.Reveal(), p.creds.SecurityToken.Reveal(),
		d, cfg.Poll, cfg.Stuck)
}

// sharedInputs are the settings outside its own entry that a receiver other than NATS is
// built from: the terminal statuses and how long a task is followed ([poll]), the
// links, and the maintenance windows.
func sharedInputs(cfg *config.Config) string {
	return fingerprint(cfg.Poll, cfg.Slack.Links, cfg.Mute)
}

// natsFingerprint is what the NATS sink is opened from beyond [nats] itself: the secrets
// and files it reads. "" without NATS.
func natsFingerprint(cfg *config.Config, getenv func(string) string) (string, error) {
	n := cfg.NATS
	if n.URL == "" {
		return "", nil
	}
	var auth natssink.Auth
	if n.CredsFile == "" && n.NKeySeedFile == "" {
		var err error
		if auth, err = n.ReadAuth(getenv); err != nil {
			return "", &SetupError{err}
		}
	}
	return fingerprint(auth.Token.Reveal(), auth.User.Reveal(), auth.Password.Reveal(),
		fileDigest(n.CredsFile, n.NKeySeedFile, n.TLSCAFile, n.TLSCertFile, n.TLSKeyFile)), nil
}
