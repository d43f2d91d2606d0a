package config

import (
	"errors"
	"fmt"
	"strings"
)

// DCSCredentials are the AK/SK, and the security token of temporary credentials, read
// from where [dcs] says.
type DCSCredentials struct {
	AK, SK, SecurityToken Secret
}

// ReadCredentials reads the AK, the SK and the security token with ReadSecret, each from
// its *_env variable or its *_file. The token is optional: an empty or unset variable
// means none. An error names the keys (all the unset variables at once), never a value.
func (d *DCS) ReadCredentials(getenv func(string) string) (DCSCredentials, error) {
	var c DCSCredentials
	var errs []error
	var unsetKeys, unsetVars []string
	for _, s := range []struct {
		key, env, file string
		dst            *Secret
	}{
		{"dcs.ak", d.AKEnv, d.AKFile, &c.AK},
		{"dcs.sk", d.SKEnv, d.SKFile, &c.SK},
	} {
		v, err := ReadSecret(s.env, s.file, getenv)
		switch {
		case errors.Is(err, ErrUnset):
			unsetKeys, unsetVars = append(unsetKeys, s.key+"_env"), append(unsetVars, s.env)
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", sourceKey(s.key, s.file), err))
		}
		*s.dst = v
	}
	if len(unsetKeys) > 0 {
		errs = append([]error{fmt.Errorf("%s: not set in the environment: %s",
			strings.Join(unsetKeys, ", "), strings.Join(unsetVars, ", "))}, errs...)
	}
	if d.SecurityTokenEnv != "" || d.SecurityTokenFile != "" {
		v, err := ReadSecret(d.SecurityTokenEnv, d.SecurityTokenFile, getenv)
		if err != nil && !errors.Is(err, ErrUnset) {
			errs = append(errs, fmt.Errorf("%s: %w", sourceKey("dcs.security_token", d.SecurityTokenFile), err))
		}
		c.SecurityToken = v
	}
	return c, errors.Join(errs...)
}

// NATSAuth is the token, or the user and password, that NATS authenticates with; all
// empty when [nats] sets neither.
type NATSAuth struct {
	Token, User, Password Secret
}

// ReadAuth reads the token or the user and password with ReadSecret, each from its
// *_env variable or its *_file. An error names the keys (every one that failed), never a
// value.
func (n *NATS) ReadAuth(getenv func(string) string) (NATSAuth, error) {
	var a NATSAuth
	var errs []error
	for _, s := range []struct {
		key, env, file string
		dst            *Secret
	}{
		{"nats.token", n.TokenEnv, n.TokenFile, &a.Token},
		{"nats.user", n.UserEnv, n.UserFile, &a.User},
		{"nats.password", n.PasswordEnv, n.PasswordFile, &a.Password},
	} {
		if s.env == "" && s.file == "" {
			continue
		}
		v, err := ReadSecret(s.env, s.file, getenv)
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
