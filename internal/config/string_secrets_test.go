package config

import (
	"strings"
	"testing"
)

// check-config prints String(). A NATS token written in the URL's user part
// (nats://TOKEN@host, the nats.go form natssink's own redact knows and hides) must be
// hidden as a password is (TestStringHidesURLPasswords).
func TestStringHidesNATSTokenInURL(t *testing.T) {
	c, err := Load([]byte(project + "[nats]\nurl = \"nats://S3cr3tNatsT0ken@127.0.0.1:4222\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(c.String(), "\n") {
		if strings.Contains(line, "S3cr3tNatsT0ken") {
			t.Errorf("String (printed by check-config) leaks the NATS token: %s", line)
		}
	}
}

// Every URL String prints hides what its user info holds: a password, or a token written
// alone as the user; what it prints still loads, and the Config itself is unchanged.
func TestStringHidesCredentialsInEveryURL(t *testing.T) {
	const secret = "S3cr3tUs3rInf0"
	tests := []struct {
		name, toml string
		get        func(*Config) string
	}{
		{"nats user and password", "[nats]\nurl = \"nats://u:" + secret + "@127.0.0.1:4222,nats://" + secret + "@10.0.0.2:4222\"\n",
			func(c *Config) string { return c.NATS.URL }},
		{"alertmanager token", "[[alertmanager]]\nname = \"am\"\nurl = \"https://" + secret + "@am.example:9093\"\n",
			func(c *Config) string { return c.Alertmanager[0].URL }},
		{"alertmanager user and password", "[[alertmanager]]\nname = \"am\"\nurl = \"http://am1:9093,https://u:" + secret + "@am2:9093\"\n",
			func(c *Config) string { return c.Alertmanager[0].URL }},
		{"slack api_url token", "[[slack.channels]]\nname = \"c\"\nbot_token_env = \"T\"\nchannel = \"C1\"\napi_url = \"https://" + secret + "@proxy.example/api/\"\n",
			func(c *Config) string { return c.Slack.Channels[0].APIURL }},
		{"slack api_url user and password", "[[slack.channels]]\nname = \"c\"\nbot_token_env = \"T\"\nchannel = \"C1\"\napi_url = \"https://u:" + secret + "@proxy.example/api/\"\n",
			func(c *Config) string { return c.Slack.Channels[0].APIURL }},
		{"pagerduty token", "[[pagerduty]]\nname = \"pd\"\nrouting_key_env = \"K\"\nurl = \"https://" + secret + "@pd.example/v2/enqueue\"\n",
			func(c *Config) string { return c.PagerDuty[0].URL }},
		{"project endpoint", "endpoint = \"https://" + secret + "@dcs.example\"\n",
			func(c *Config) string { return c.DCS.Projects[0].Endpoint }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Load([]byte(project + tc.toml))
			if err != nil {
				t.Fatal(err)
			}
			before := tc.get(c)
			s := c.String()
			if strings.Contains(s, secret) {
				t.Errorf("String leaks the URL's credentials:\n%s", s)
			}
			if !strings.Contains(s, "xxxxx") {
				t.Errorf("String does not show where the credentials were hidden:\n%s", s)
			}
			if got := tc.get(c); got != before || !strings.Contains(got, secret) {
				t.Errorf("String changed the config: %q", got)
			}
			if _, err := Load([]byte(s)); err != nil {
				t.Errorf("String's output does not load: %v\n%s", err, s)
			}
		})
	}
}

// A URL without user info is printed as written, and a user with a password keeps its
// user name, which helps to tell the entries apart.
func TestStringKeepsURLsWithoutSecrets(t *testing.T) {
	c, err := Load([]byte(project + "[nats]\nurl = \"nats://u:pw@127.0.0.1:4222, nats://10.0.0.2:4222\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := redactURLs(c.NATS.URL), "nats://u:xxxxx@127.0.0.1:4222, nats://10.0.0.2:4222"; got != want {
		t.Errorf("redactURLs = %q, want %q", got, want)
	}
}
