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
	default:
		auth, err := c.ReadAuth(getenv)
		switch {
		case err != nil:
			return nil, &SetupError{err}
		case auth.Token != "":
			opts = append(opts, nats.Token(auth.Token.Reveal()))
		case auth.User != "":
			opts = append(opts, nats.UserInfo(auth.User.Reveal(), auth.Password.Reveal()))
		}
	}
	if c.TLSCAFile != "" {
		opts = append(opts, nats.RootCAs(c.TLSCAFile))
	}
	if c.TLSCertFile != "" {
		opts = append(opts, nats.ClientCert(c.TLSCertFile, c.TLSKeyFile))
	}
	return opts, nil
}
