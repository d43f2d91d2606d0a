package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// runCheck validates the configuration, and unless --offline the environment it names;
// it prints the warnings on stderr and the configuration on stdout.
func runCheck(f *checkFlags, stdout, stderr io.Writer) int {
	given, offline, strict := &f.config, &f.offline, &f.strict
	cfg, path, code := loadConfig("check-config", *given, stderr)
	if code != exitOK {
		return code
	}
	warnings := cfg.Lint()
	for _, w := range warnings {
		fmt.Fprintf(stderr, "notifier: %s: warning: %s\n", path, w)
	}
	if !*offline {
		if err := cfg.CheckEnvironment(os.Getenv); err != nil {
			// One line per problem, as for the file's own errors.
			for _, l := range strings.Split(err.Error(), "\n") {
				fmt.Fprintf(stderr, "notifier: %s: %s\n", path, l)
			}
			return exitUsage
		}
	}
	if *strict && len(warnings) > 0 {
		fmt.Fprintf(stderr, "notifier: %s: %d warning(s), and --strict\n", path, len(warnings))
		return exitUsage
	}
	var names []string
	for _, r := range cfg.Receivers() {
		names = append(names, r.Name)
	}
	env := "environment checked"
	if *offline {
		env = "environment not checked (--offline)"
	}
	fmt.Fprintf(stdout, "# %s: ok, %d project(s), receivers: %s; %s\n%s",
		path, len(cfg.DCS.Projects), orNone(names), env, cfg)
	return exitOK
}

func orNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
