package app

import (
	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"notifier/internal/config"
	"notifier/internal/natsconn"
	"notifier/internal/sinks/natssink"
)

// dialNATS opens the App's connection to NATS from [nats], nil without nats.url: the NATS
// receiver publishes on it and the nats-kv state keeps its buckets on it. It connects in
// the background and reconnects forever (natsconn).
func dialNATS(c natssink.Config, log zerolog.Logger, getenv func(string) string) (*natsconn.Conn, error) {
	if c.URL == "" {
		return nil, nil
	}
	opts, err := natsOptions(c, getenv)
	if err != nil {
		return nil, err
	}
	nc, err := natsconn.Dial(natsconn.Options{URL: c.URL, Connect: opts, Log: natsLog(log)})
	if err != nil {
		return nil, setupErr("nats.url: %w", err)
	}
	return nc, nil
}

// natsLog is the logger of the NATS connection and receiver: their lines name the
// receiver, as every receiver's do.
func natsLog(log zerolog.Logger) zerolog.Logger {
	return log.With().Str("receiver", config.NATSReceiver).Logger()
}

// natsOptions turns the [nats] credentials and TLS settings into connect options.
// Secrets come from the environment or files and never appear in an error.
func natsOptions(c natssink.Config, getenv func(string) string) ([]nats.Option, error) {
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
