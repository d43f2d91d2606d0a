package web

import (
	"net"
	"os"

	"go.yaml.in/yaml/v3"
)

// URL is where a browser on this machine finds the status page: http or https as the
// web config file says, an address on every interface (0.0.0.0, [::]) as localhost; ""
// for a nil Server.
func (s *Server) URL() string {
	if s == nil {
		return ""
	}
	return s.scheme + "://" + Browsable(s.addr) + "/"
}

// Browsable is addr as a browser on this machine reaches it: every interface's address
// (the container image's default, 0.0.0.0 shown as [::]) as localhost.
func Browsable(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsUnspecified() {
		return net.JoinHostPort("localhost", port)
	}
	return addr
}

// schemeOf is "https" when the web config file turns TLS on (a certificate in
// tls_server_config, as exporter-toolkit decides), else "http". The file was validated by
// Listen; one that cannot be read now is taken as plain HTTP, for a log line only.
func schemeOf(webConfig string) string {
	if webConfig == "" {
		return "http"
	}
	b, err := os.ReadFile(webConfig)
	if err != nil {
		return "http"
	}
	var c struct {
		TLS struct {
			CertFile string `yaml:"cert_file"`
			Cert     string `yaml:"cert"`
		} `yaml:"tls_server_config"`
	}
	if yaml.Unmarshal(b, &c) != nil || c.TLS.CertFile == "" && c.TLS.Cert == "" {
		return "http"
	}
	return "https"
}
