package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/alecthomas/kingpin/v2"
)

// command is a command of notifier, as commands.go declares it: its help, its flags and
// its action, or the subcommands of a nested one.
type command struct {
	name     string
	synopsis string   // the flags (and arguments) after the name, for the usage line
	summary  string   // one line, for the command list
	about    string   // what it does, a paragraph
	env      []string // the environment variables it reads, "NAME  what for"
	exits    []string // its exit codes, "N  when"
	example  string
	// declare adds the command's flags (and arguments) to c and returns what runs
	// once they are parsed; nil for a command that only groups subcommands.
	declare func(c *kingpin.CmdClause) action
	sub     []*command // the subcommands: silence add, silence list...
}

// configEnv are the environment variables every command that reads a configuration reads.
var configEnv = []string{
	"NOTIFIER_CONFIG           the configuration file when --config is not given",
}

// dcsEnv are the variables the configuration names for the DCS credentials.
var dcsEnv = []string{
	"CLOUD_SDK_AK, CLOUD_SDK_SK the DCS access key pair (or the variables dcs.ak_env and dcs.sk_env name)",
	"CLOUD_SDK_SECURITY_TOKEN  with temporary credentials (or dcs.security_token_env); optional",
}

// usage is the top-level help: every command and its summary.
func usage(cmds []*command) string {
	var b strings.Builder
	b.WriteString("usage: notifier <command> [flags]\n\ncommands:\n")
	for _, c := range cmds {
		fmt.Fprintf(&b, "  %-18s %s\n", c.name, c.summary)
	}
	b.WriteString("\n--config defaults to $NOTIFIER_CONFIG, then ./notifier.toml.\n" +
		"notifier <command> --help (or notifier help <command>) shows a command's flags, environment,\n" +
		"exit codes and an example.\n" +
		"Shell completion: eval \"$(notifier --completion-script-bash)\" (or --completion-script-zsh).\n")
	return b.String()
}

// help writes the command's full help; cmd is it as kingpin holds it, with its flags
// and arguments, and path its name with those of the commands above it.
func (c *command) help(w io.Writer, path string, cmd *kingpin.CmdModel, inherited []*kingpin.FlagModel) {
	fmt.Fprintf(w, "usage: %s\n\n%s\n", strings.TrimSpace("notifier "+path+" "+c.synopsis), c.about)
	if len(c.sub) > 0 {
		fmt.Fprint(w, "\ncommands:\n")
		for _, s := range c.sub {
			fmt.Fprintf(w, "  %-18s %s\n", s.name, s.summary)
		}
	}
	if len(cmd.Args) > 0 {
		fmt.Fprint(w, "\narguments:\n")
		for _, a := range cmd.Args {
			name := a.PlaceHolder
			if name == "" {
				name = strings.ToUpper(a.Name)
			}
			fmt.Fprintf(w, "  %s\n    \t%s\n", name, a.Help)
		}
	}
	if flags := visible(append(inherited, cmd.Flags...)); len(flags) > 0 {
		fmt.Fprint(w, "\nflags:\n")
		for _, f := range flags {
			fmt.Fprintln(w, flagHelp(f))
		}
	}
	section(w, "environment", c.env)
	section(w, "exit codes", c.exits)
	if c.example != "" {
		fmt.Fprintf(w, "\nexample:\n  %s\n", c.example)
	}
}

// visible are the flags help lists, sorted by name as Go's flag package listed them.
func visible(flags []*kingpin.FlagModel) []*kingpin.FlagModel {
	var out []*kingpin.FlagModel
	for _, f := range flags {
		if !f.Hidden {
			out = append(out, f)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// flagHelp is a flag's entry in the help, in the shape Go's flag.PrintDefaults gave it
// (which the command line was built on, and which scripts and tests read):
//
//	-timeout duration
//	  	give up on... (default 30s)
func flagHelp(f *kingpin.FlagModel) string {
	var b strings.Builder
	fmt.Fprintf(&b, "  -%s", f.Name)
	kind, shown := valueKind(f.Value), f.PlaceHolder
	if shown == "" {
		shown = kind
	}
	if shown != "" {
		b.WriteString(" " + shown)
	}
	if b.Len() <= 4 { // a one-letter bool flag: its help on the same line
		b.WriteString("\t")
	} else {
		b.WriteString("\n    \t")
	}
	b.WriteString(strings.ReplaceAll(f.Help, "\n", "\n    \t"))
	if len(f.Default) > 0 && f.Default[0] != "" {
		if kind == "string" {
			fmt.Fprintf(&b, " (default %q)", f.Default[0])
		} else {
			fmt.Fprintf(&b, " (default %s)", f.Default[0])
		}
	}
	return b.String()
}

// valueKind names what a flag takes, as Go's flag package did: "" for a bool flag.
func valueKind(v kingpin.Value) string {
	if g, ok := v.(*goValue); ok {
		v = g.Value
	}
	if b, ok := v.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
		return ""
	}
	g, ok := v.(kingpin.Getter)
	if !ok {
		return "value"
	}
	switch g.Get().(type) {
	case string:
		return "string"
	case int:
		return "int"
	case float64:
		return "float"
	case time.Duration:
		return "duration"
	}
	return "value"
}

func section(w io.Writer, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "\n%s:\n", title)
	for _, l := range lines {
		fmt.Fprintf(w, "  %s\n", l)
	}
}

// defaultConfig is the file read when --config is not given: $NOTIFIER_CONFIG, then
// ./notifier.toml when it exists.
const defaultConfig = "notifier.toml"

// configPath returns the file to read: given, else $NOTIFIER_CONFIG, else ./notifier.toml
// when it exists.
func configPath(given string, getenv func(string) string) (string, error) {
	if given != "" {
		return given, nil
	}
	if p := getenv("NOTIFIER_CONFIG"); p != "" {
		return p, nil
	}
	if _, err := os.Stat(defaultConfig); err == nil {
		return defaultConfig, nil
	}
	return "", errors.New("no configuration: pass --config FILE, set NOTIFIER_CONFIG, or put notifier.toml in the current directory")
}
