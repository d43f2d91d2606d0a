package config

import (
	"errors"
	"fmt"

	"notifier/internal/dcs"
	"notifier/internal/secret"
)

// DCSCredentials are the AK/SK, and the security token of temporary credentials, read
// from where [dcs] says: the dcs client's Credentials.
type DCSCredentials = dcs.Credentials

// ReadCredentials reads the [dcs] credential (see CredentialKeys.Read); a project or a
// discovery entry may have its own (ProjectKeys, DiscoverKeys).
func (d *DCS) ReadCredentials(getenv func(string) string) (DCSCredentials, error) {
	return d.Keys().Read(getenv)
}

// NATSAuth is the token, or the user and password, that NATS authenticates with; all
// empty when [nats] sets neither.
type NATSAuth struct {
	Token, User, Password secret.Secret
}

// ReadAuth reads the token or the user and password with ReadSecret, each from its
// *_env variable or its *_file. An error names the keys (every one that failed), never a
// value.
func (n *NATS) ReadAuth(getenv func(string) string) (NATSAuth, error) {
	var a NATSAuth
	var errs []error
	for _, s := range []struct {
		key, env, file string
		dst            *secret.Secret
	}{
		{"nats.token", n.TokenEnv, n.TokenFile, &a.Token},
		{"nats.user", n.UserEnv, n.UserFile, &a.User},
		{"nats.password", n.PasswordEnv, n.PasswordFile, &a.Password},
	} {
		if s.env == "" && s.file == "" {
			continue
		}
		v, err := secret.Read(s.env, s.file, getenv)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", sourceKey(s.key, s.file), err))
		}
		*s.dst = v
	}
	if len(errs) > 0 {
		return NATSAuth{}, errors.Join(errs...)
	}
	return a, nil
}

// sourceKey is the key a secret was read through: key_file when file is set, else key_env.
func sourceKey(key, file string) string {
	if file != "" {
		return key + "_file"
	}
	return key + "_env"
}
