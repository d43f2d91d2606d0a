package config

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"notifier/internal/region"
	"notifier/internal/secret"
)

// Discover is one [[dcs.discover]] entry: the projects one credential can see (IAM
// KeystoneListAuthProjects) are watched, in the regions listed, and the list is read again
// every Refresh and at every reload.
type Discover struct {
	// Name, when set, prefixes the discovered projects' names: "acct-a" names the project
	// cn-north-4 of that account "acct-a/cn-north-4". Empty: the IAM project name.
	Name    string   `toml:"name"`
	Regions []string `toml:"regions"` // ["*"]: every region the SDK knows a DCS endpoint for
	// The credential to list and poll with; when ak and sk are unset, the [dcs] ones.
	AKEnv             string   `toml:"ak_env"`
	AKFile            string   `toml:"ak_file"`
	SKEnv             string   `toml:"sk_env"`
	SKFile            string   `toml:"sk_file"`
	SecurityTokenEnv  string   `toml:"security_token_env"`
	SecurityTokenFile string   `toml:"security_token_file"`
	IAMEndpoint       string   `toml:"iam_endpoint" redact:"url"` // empty: the SDK's IAM endpoint (see dcs.IAMEndpoint)
	Endpoint          string   `toml:"endpoint" redact:"url"`     // DCS endpoint of every discovered project; empty: the region's
	Refresh           Duration `toml:"refresh"`                   // default 1h
}

// DefaultDiscoverRefresh is dcs.discover[].refresh when absent.
const DefaultDiscoverRefresh = Duration(time.Hour)

// CredentialKeys say where one credential is read from: the key prefix its errors name
// (dcs, dcs.projects[2], dcs.discover[0]) and the variables or files of each part.
type CredentialKeys struct {
	Key                 string
	AKEnv, AKFile       string
	SKEnv, SKFile       string
	TokenEnv, TokenFile string
}

// Keys are the [dcs] credential keys.
func (d *DCS) Keys() CredentialKeys {
	return CredentialKeys{Key: "dcs", AKEnv: d.AKEnv, AKFile: d.AKFile, SKEnv: d.SKEnv, SKFile: d.SKFile,
		TokenEnv: d.SecurityTokenEnv, TokenFile: d.SecurityTokenFile}
}

// ProjectKeys are the credential keys of dcs.projects[i]: its own when it sets an access
// key (with its own token keys, never the [dcs] token, which belongs to another
// credential), else the [dcs] ones.
func (d *DCS) ProjectKeys(i int) CredentialKeys {
	p := &d.Projects[i]
	if p.AKEnv == "" && p.AKFile == "" {
		return d.Keys()
	}
	return CredentialKeys{Key: fmt.Sprintf("dcs.projects[%d]", i), AKEnv: p.AKEnv, AKFile: p.AKFile,
		SKEnv: p.SKEnv, SKFile: p.SKFile, TokenEnv: p.SecurityTokenEnv, TokenFile: p.SecurityTokenFile}
}

// DiscoverKeys are the credential keys of dcs.discover[i], as ProjectKeys.
func (d *DCS) DiscoverKeys(i int) CredentialKeys {
	s := &d.Discover[i]
	if s.AKEnv == "" && s.AKFile == "" {
		return d.Keys()
	}
	return CredentialKeys{Key: fmt.Sprintf("dcs.discover[%d]", i), AKEnv: s.AKEnv, AKFile: s.AKFile,
		SKEnv: s.SKEnv, SKFile: s.SKFile, TokenEnv: s.SecurityTokenEnv, TokenFile: s.SecurityTokenFile}
}

// Read reads the AK, the SK and the security token with ReadSecret, each from its *_env
// variable or its *_file. The token is optional: an empty or unset variable means none.
// An error names the keys (all the unset variables at once), never a value.
func (k CredentialKeys) Read(getenv func(string) string) (DCSCredentials, error) {
	var c DCSCredentials
	var errs []error
	var unsetKeys, unsetVars []string
	for _, s := range []struct {
		key, env, file string
		dst            *secret.Secret
	}{
		{k.Key + ".ak", k.AKEnv, k.AKFile, &c.AK},
		{k.Key + ".sk", k.SKEnv, k.SKFile, &c.SK},
	} {
		v, err := secret.Read(s.env, s.file, getenv)
		switch {
		case errors.Is(err, secret.ErrUnset):
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
	if k.TokenEnv != "" || k.TokenFile != "" {
		v, err := secret.Read(k.TokenEnv, k.TokenFile, getenv)
		if err != nil && !errors.Is(err, secret.ErrUnset) {
			errs = append(errs, fmt.Errorf("%s: %w", sourceKey(k.Key+".security_token", k.TokenFile), err))
		}
		c.SecurityToken = v
	}
	return c, errors.Join(errs...)
}

// ReadAllCredentials reads the credential of every project and discovery entry that has
// its own, and the [dcs] one when any uses it; the errors of all, each naming its keys.
func (d *DCS) ReadAllCredentials(getenv func(string) string) error {
	var errs []error
	usesDefault := len(d.Projects) == 0 && len(d.Discover) == 0
	var keys []CredentialKeys
	for i := range d.Projects {
		keys = append(keys, d.ProjectKeys(i))
	}
	for i := range d.Discover {
		keys = append(keys, d.DiscoverKeys(i))
	}
	for _, k := range keys {
		if k.Key == "dcs" {
			usesDefault = true
			continue
		}
		if _, err := k.Read(getenv); err != nil {
			errs = append(errs, err)
		}
	}
	if usesDefault {
		if _, err := d.Keys().Read(getenv); err != nil {
			errs = append([]error{err}, errs...)
		}
	}
	return errors.Join(errs...)
}

// validateOwnCredentials checks the credential keys of a project or a discovery entry:
// an access key and its secret key go together, and a token only with them.
func validateOwnCredentials(p *problems, key string, k CredentialKeys) {
	secretSource(p, key+".ak", k.AKEnv, k.AKFile, false)
	secretSource(p, key+".sk", k.SKEnv, k.SKFile, false)
	secretSource(p, key+".security_token", k.TokenEnv, k.TokenFile, false)
	ak, sk := k.AKEnv != "" || k.AKFile != "", k.SKEnv != "" || k.SKFile != ""
	switch {
	case ak && !sk:
		p.add(key+".sk_env", "must be set (or %s.sk_file) when %s.ak_env or ak_file is: an access key and its secret key go together", key, key)
	case sk && !ak:
		p.add(key+".ak_env", "must be set (or %s.ak_file) when %s.sk_env or sk_file is: an access key and its secret key go together", key, key)
	case !ak && (k.TokenEnv != "" || k.TokenFile != ""):
		p.add(key+".security_token_env", "needs %s.ak_env and sk_env (or the *_file keys): a security token belongs to its temporary AK/SK", key)
	}
}

func (d *DCS) validateFleet(p *problems) {
	// At least one request a minute: below that a poll of many projects would wait hours.
	if r := d.MaxRequestsPerSecond; !(r >= 1.0/60 && r <= 10000) {
		p.add("dcs.max_requests_per_second", "must be between 0.0167 (one a minute) and 10000, got %g", r)
	}
	for i := range d.Projects {
		pr := &d.Projects[i]
		validateOwnCredentials(p, fmt.Sprintf("dcs.projects[%d]", i), CredentialKeys{AKEnv: pr.AKEnv, AKFile: pr.AKFile,
			SKEnv: pr.SKEnv, SKFile: pr.SKFile, TokenEnv: pr.SecurityTokenEnv, TokenFile: pr.SecurityTokenFile})
	}
	for i := range d.Discover {
		s := &d.Discover[i]
		key := fmt.Sprintf("dcs.discover[%d]", i)
		validateOwnCredentials(p, key, CredentialKeys{AKEnv: s.AKEnv, AKFile: s.AKFile,
			SKEnv: s.SKEnv, SKFile: s.SKFile, TokenEnv: s.SecurityTokenEnv, TokenFile: s.SecurityTokenFile})
		if s.Name != "" && (strings.TrimSpace(s.Name) != s.Name || len(s.Name) > 32 || strings.ContainsAny(s.Name, "\x00\n\r\t")) {
			p.add(key+".name", "must be at most 32 characters, without control characters or surrounding spaces, got %q", s.Name)
		}
		switch {
		case len(s.Regions) == 0:
			p.add(key+".regions", "must list regions, or be [\"*\"] for every region")
		case slices.Contains(s.Regions, region.All) && len(s.Regions) > 1:
			p.add(key+".regions", "\"*\" means every region: list nothing else with it")
		}
		for j, r := range s.Regions {
			rk := fmt.Sprintf("%s.regions[%d]", key, j)
			switch {
			case r == region.All:
			case !regionRE.MatchString(r):
				p.add(rk, "must match [a-z0-9-]+ (or be \"*\"), got %q", r)
			case !region.Known(r):
				p.add(rk, "unknown region %q: only projects of regions the SDK knows a DCS endpoint for are discovered", r)
			}
		}
		for _, e := range [][2]string{{"iam_endpoint", s.IAMEndpoint}, {"endpoint", s.Endpoint}} {
			if e[1] != "" {
				if msg := checkEndpoint(e[1]); msg != "" {
					p.add(key+"."+e[0], "%s", msg)
				}
			}
		}
		atLeast(p, key+".refresh", s.Refresh, time.Minute)
	}
}
