package config

import (
	"errors"
	"os"
)

// CheckEnvironment reads everything the configuration names outside the file, as run
// would at start: the DCS credentials; what each receiver reads (its kind's Check: the
// NATS token, user, password, credentials, seed and TLS files, every webhook URL, which
// must be an absolute http(s) URL, every Slack bot token, the on-call receivers' keys,
// credentials and CA files); and http.web_config_file with the certificate and key it
// names. It reports every problem, one per line, each naming the key and the variable or
// file, never a value. The security token stays optional, as for run: an unset variable
// means none. getenv is os.Getenv when nil.
func (c *Config) CheckEnvironment(getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	var errs []error
	if err := c.DCS.ReadAllCredentials(getenv); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.checkReceivers(getenv)...)
	if err := c.HTTP.CheckWebConfig(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
