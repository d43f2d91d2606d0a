package app

import (
	"github.com/nats-io/nats.go"

	"notifier/internal/config"
)

// natsOptions turns the [nats] credentials and TLS settings into connect options.
// Secrets come from the environment or files and never appear in an error.
func natsOptions(c config.NATS, getenv func(string) string) ([]nats.Option, error) {
	var opts []nats.Option
	switch {
	case c.CredsFile != "":
		opts = append(opts, nats.UserCredentials(c.CredsFile))
	case c.NKeySeedFile != "":
		o, err := nats.NkeyOptionFromSeed(c.NKeySeedFile)
		if err != nil {
			return nil, setupErr("nats.nkey_seed_file: %s: cannot read the seed", c.NKeySeedFile)
		}
		opts = append(opts, o)
	case c.TokenEnv != "":
		tok := getenv(c.TokenEnv)
		if tok == "" {
			return nil, setupErr("nats.token_env: environment variable %s is not set", c.TokenEnv)
		}
		opts = append(opts, nats.Token(tok))
	case c.UserEnv != "":
		user := getenv(c.UserEnv)
		if user == "" {
			return nil, setupErr("nats.user_env: environment variable %s is not set", c.UserEnv)
		}
		var pass string
		if c.PasswordEnv != "" {
			if pass = getenv(c.PasswordEnv); pass == "" {
				return nil, setupErr("nats.password_env: environment variable %s is not set", c.PasswordEnv)
			}
		}
		opts = append(opts, nats.UserInfo(user, pass))
	}
	if c.TLSCAFile != "" {
		opts = append(opts, nats.RootCAs(c.TLSCAFile))
	}
	if c.TLSCertFile != "" {
		opts = append(opts, nats.ClientCert(c.TLSCertFile, c.TLSKeyFile))
	}
	return opts, nil
}
