package config

import (
	"notifier/internal/dcs"
)

// DCSCredentials are the AK/SK, and the security token of temporary credentials, read
// from where [dcs] says: the dcs client's Credentials.
type DCSCredentials = dcs.Credentials

// ReadCredentials reads the [dcs] credential (see CredentialKeys.Read); a project or a
// discovery entry may have its own (ProjectKeys, DiscoverKeys).
func (d *DCS) ReadCredentials(getenv func(string) string) (DCSCredentials, error) {
	return d.Keys().Read(getenv)
}

// sourceKey is the key a secret was read through: key_file when file is set, else key_env.
func sourceKey(key, file string) string {
	if file != "" {
		return key + "_file"
	}
	return key + "_env"
}
