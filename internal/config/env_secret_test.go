package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"notifier/internal/secret"
)

// Secrets pasted where the name of their variable goes: a webhook URL, which cannot be a
// variable's name, and an access key, which can.
const (
	pastedURL = "https://hooks.slack.com/services/T0/B0/S3cr3tW3bh00kPath"
	pastedKey = "AK7Q2XR9ZL0M4B8N1CVD"
)

// notShown is what every error about such a value says after the key.
const notShown = ": must name an environment variable; the value given is not shown"

// envKeyCases puts v in every *_env key of the file, one case each, named by its key.
func envKeyCases(v string) map[string]string {
	q := fmt.Sprintf("%q", v)
	disc := "[[dcs.discover]]\nregions = [\"cn-north-4\"]\n"
	cases := map[string]string{
		"dcs.ak_env":                              "[dcs]\nak_env = " + q + "\n" + project,
		"dcs.sk_env":                              "[dcs]\nsk_env = " + q + "\n" + project,
		"dcs.security_token_env":                  "[dcs]\nsecurity_token_env = " + q + "\n" + project,
		"dcs.projects[0].ak_env":                  project + "ak_env = " + q + "\nsk_env = \"P_SK\"\n",
		"dcs.projects[0].sk_env":                  project + "ak_env = \"P_AK\"\nsk_env = " + q + "\n",
		"dcs.projects[0].security_token_env":      project + "ak_env = \"P_AK\"\nsk_env = \"P_SK\"\nsecurity_token_env = " + q + "\n",
		"dcs.discover[0].ak_env":                  disc + "ak_env = " + q + "\nsk_env = \"D_SK\"\n",
		"dcs.discover[0].sk_env":                  disc + "ak_env = \"D_AK\"\nsk_env = " + q + "\n",
		"dcs.discover[0].security_token_env":      disc + "ak_env = \"D_AK\"\nsk_env = \"D_SK\"\nsecurity_token_env = " + q + "\n",
		"nats.token_env":                          project + "[nats]\ntoken_env = " + q + "\n",
		"nats.user_env":                           project + "[nats]\nuser_env = " + q + "\n",
		"nats.password_env":                       project + "[nats]\nuser_env = \"N_USER\"\npassword_env = " + q + "\n",
		"slack.webhooks[0].url_env":               project + "[[slack.webhooks]]\nname = \"w\"\nurl_env = " + q + "\n",
		"slack.channels[0].bot_token_env":         project + "[[slack.channels]]\nname = \"c\"\nchannel = \"C1\"\nbot_token_env = " + q + "\n",
		"pagerduty[0].routing_key_env":            project + "[[pagerduty]]\nname = \"pd\"\nrouting_key_env = " + q + "\n",
		"alertmanager[0].basic_auth_user_env":     project + amEntry + "basic_auth_user_env = " + q + "\nbasic_auth_password_env = \"AM_PW\"\n",
		"alertmanager[0].basic_auth_password_env": project + amEntry + "basic_auth_user_env = \"AM_USER\"\nbasic_auth_password_env = " + q + "\n",
		"alertmanager[0].bearer_token_env":        project + amEntry + "bearer_token_env = " + q + "\n",
	}
	kindEnvCases(cases, q)
	return cases
}

// kindEnvCases adds, for every *_env key of a receiver kind that cases lack, its kind's
// Example entry with that key set to q: a kind whose keys need no partner is covered
// without a case of its own here.
func kindEnvCases(cases map[string]string, q string) {
	var c Config
	for _, k := range c.kinds() {
		info := k.Info()
		header, key := "[["+info.Key+"]]\n", info.Key+"[0]"
		if info.Name != "" {
			header, key = "["+info.Key+"]\n", info.Key
		}
		cfg, err := Load([]byte(project + header + info.Example))
		if err != nil {
			continue // TestEveryKindIsComplete says so
		}
		var entry any
		for _, e := range cfg.entries() {
			if e.Key() == key {
				entry = e.Config()
			}
		}
		for _, env := range envKeysOf(reflect.TypeOf(entry).Elem()) {
			if _, ok := cases[key+"."+env]; ok {
				continue
			}
			var lines []string
			for _, l := range strings.Split(info.Example, "\n") {
				if l != "" && !strings.HasPrefix(l, env+" ") {
					lines = append(lines, l)
				}
			}
			cases[key+"."+env] = project + header + strings.Join(lines, "\n") + "\n" + env + " = " + q + "\n"
		}
	}
}

// envKeysOf lists the *_env keys of a table of type t, those of embedded structs too.
func envKeysOf(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		key := strings.Split(f.Tag.Get("toml"), ",")[0]
		switch {
		case f.Anonymous && f.Type.Kind() == reflect.Struct:
			out = append(out, envKeysOf(f.Type)...)
		case f.Type.Kind() == reflect.String && strings.HasSuffix(key, "_env"):
			out = append(out, key)
		}
	}
	return out
}

const amEntry = "[[alertmanager]]\nname = \"am\"\nurl = \"http://am:9093\"\n"

// The table covers every *_env key there is: a new one must be added to it.
func TestEnvKeyCasesCoverEveryEnvKey(t *testing.T) {
	var want []string
	var walk func(reflect.Type, string)
	walk = func(t reflect.Type, path string) {
		for i := range t.NumField() {
			f := t.Field(i)
			key := strings.Split(f.Tag.Get("toml"), ",")[0]
			if f.Anonymous && key == "" && f.Type.Kind() == reflect.Struct { // embedded: its keys are the table's
				walk(f.Type, path)
				continue
			}
			if path != "" {
				key = path + "." + key
			}
			ft := f.Type
			if ft.Kind() == reflect.Slice {
				ft = ft.Elem()
			}
			switch {
			case ft.Kind() == reflect.Struct && ft != reflect.TypeOf(Duration(0)):
				walk(ft, key)
			case ft.Kind() == reflect.String && strings.HasSuffix(key, "_env"):
				want = append(want, key)
			}
		}
	}
	walk(reflect.TypeOf(Config{}), "")
	var got []string
	for k := range envKeyCases("X") {
		got = append(got, indexRE.ReplaceAllString(k, ""))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("envKeyCases covers %v, want every *_env key %v", got, want)
	}
}

// A value of a *_env key that cannot name a variable (here a webhook URL pasted in its
// place) is refused by Load, naming the key and never the value: the error goes to the
// log, to check-config and to the answer of POST /-/reload.
func TestEnvKeyRefusesValueWithoutShowingIt(t *testing.T) {
	for key, doc := range envKeyCases(pastedURL) {
		t.Run(key, func(t *testing.T) {
			_, err := Load([]byte(doc))
			if err == nil {
				t.Fatal("a webhook URL as a variable name loaded")
			}
			if !strings.Contains(err.Error(), key+notShown) {
				t.Errorf("error does not say %q:\n%v", key+notShown, err)
			}
			if strings.Contains(err.Error(), "S3cr3t") {
				t.Errorf("error shows the value:\n%v", err)
			}
		})
	}
}

// A value that is a valid name but looks like a secret (an access key pasted in ak_env)
// loads, since a variable may have that name; when no variable has it, the environment
// check says so without showing it, and String never shows it.
func TestEnvKeyThatLooksLikeASecretIsNeverShown(t *testing.T) {
	getenv := func(name string) string {
		if name == pastedKey {
			return ""
		}
		return "https://hooks.example.test/set"
	}
	for key, doc := range envKeyCases(pastedKey) {
		t.Run(key, func(t *testing.T) {
			c, err := Load([]byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			if s := c.String(); strings.Contains(s, pastedKey) {
				t.Errorf("String shows the value:\n%s", s)
			} else if _, err := Load([]byte(s)); err != nil {
				t.Errorf("String's output does not load: %v", err)
			}
			err = c.CheckEnvironment(getenv)
			if err == nil || !strings.Contains(err.Error(), key+notShown) {
				t.Errorf("environment check does not say %q:\n%v", key+notShown, err)
			}
			if err != nil && strings.Contains(err.Error(), pastedKey) {
				t.Errorf("environment check shows the value:\n%v", err)
			}
		})
	}
}

// A variable of a secret-looking name that is set is read as any other: the check is
// only about what to show.
func TestEnvKeyThatLooksLikeASecretIsReadWhenSet(t *testing.T) {
	got, err := secret.Read(pastedKey, "", func(string) string { return "value" })
	if err != nil || got.Reveal() != "value" {
		t.Errorf("ReadSecret = %q, %v; want the variable's value", got.Reveal(), err)
	}
}

// What ReadSecret refuses as a variable's name is an error of its own, not secret.ErrUnset: an
// optional secret (the security token) must not be taken as absent because its value was
// pasted in the wrong key.
func TestReadSecretRefusesWhatIsNotAName(t *testing.T) {
	for _, v := range []string{pastedURL, pastedKey} {
		_, err := secret.Read(v, "", func(string) string { return "" })
		if !errors.Is(err, secret.ErrNotEnvName) || errors.Is(err, secret.ErrUnset) {
			t.Errorf("secret.Read(%.12s...) = %v, want secret.ErrNotEnvName and not secret.ErrUnset", v, err)
		}
		if err != nil && strings.Contains(err.Error(), v) {
			t.Errorf("ReadSecret's error shows the value: %v", err)
		}
	}
	_, err := secret.Read(pastedKey, "/some/file", nil)
	if err == nil || strings.Contains(err.Error(), pastedKey) {
		t.Errorf("ReadSecret with both set = %v, want an error without the value", err)
	}
}
