package main

import (
	"fmt"
	"slices"
	"strings"

	"notifier/internal/config"
)

// receiverEnv are the lines of the help's "environment" that the receivers' secrets add:
// the configuration keys that name an environment variable, as each kind of receiver
// lists them (config.Kinds). It is the one part of the help that knows the kinds of
// receiver, and it asks them.
func receiverEnv() []string { return config.ReceiverEnv() }

// secretEnv are every variable the configuration names for a secret: the DCS credentials
// and the receivers'.
func secretEnv() []string { return slices.Concat(dcsEnv, receiverEnv()) }

// receiverKinds lists every kind of receiver, its table and what it is, one a line, for
// check-config's help.
func receiverKinds() string {
	var b strings.Builder
	b.WriteString("The kinds of receiver:\n")
	for _, k := range config.Kinds() {
		table := "[[" + k.Key + "]]"
		if k.Name != "" {
			table = "[" + k.Key + "]"
		}
		fmt.Fprintf(&b, "  %-20s %s\n", table, k.Help)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
