package config

import (
	"fmt"
	"strings"

	"github.com/prometheus/exporter-toolkit/web"
)

// CheckWebConfig reads http.web_config_file as the listener will (exporter-toolkit's
// web.Validate): the YAML, the bcrypt hash of every basic_auth_users entry, and the
// certificate and key tls_server_config names, which must load as a pair. Nothing to
// check without a listener or a file.
func (h *HTTP) CheckWebConfig() error {
	if h.Listen == "" || h.WebConfigFile == "" {
		return nil
	}
	if err := web.Validate(h.WebConfigFile); err != nil {
		return fmt.Errorf("http.web_config_file: %s: %w", h.WebConfigFile, webConfigError(err))
	}
	return nil
}

// webConfigError is err without what it may quote of a password: bcrypt's errors name
// the first character of a value that is not a hash, which a plain password put in
// basic_auth_users by mistake would be.
func webConfigError(err error) error {
	if strings.HasPrefix(err.Error(), "crypto/bcrypt:") {
		return fmt.Errorf("basic_auth_users: a password is not a bcrypt hash (make one with: htpasswd -nBC 10 \"\" | tr -d ':\\n')")
	}
	return err
}
