package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/alecthomas/kingpin/v2"
)

// action is a command with its flags parsed (commands.go's runFlags, onceFlags...):
// run runs it and returns the exit code.
type action interface {
	run(stdout, stderr io.Writer) int
}

// commandLine is the command line of one run: the commands, declared in a kingpin
// application anew for each run so that no flag's value outlives it (tests run many).
type commandLine struct {
	app            *kingpin.Application
	top            []*node
	stdout, stderr io.Writer
}

// node is a command as declared for this run.
type node struct {
	*command
	path   string // "routes", "silence add"
	clause *kingpin.CmdClause
	act    action
	subs   []*node
	// flags are those it reads: its own and, inherited, those of the commands above it.
	flags     map[string]*kingpin.FlagModel
	inherited []*kingpin.FlagModel
}

func init() {
	// An argument such as @file is itself, as under Go's flag package, never the
	// arguments written in that file.
	kingpin.EnableFileExpansion = false
}

// newCLI declares cmds (commands.go's, or a test's) for a run writing to stdout and stderr.
func newCLI(cmds []*command, stdout, stderr io.Writer) *commandLine {
	app := kingpin.New("notifier", "").UsageWriter(stdout).ErrorWriter(stderr).Terminate(func(int) {})
	c := &commandLine{app: app, stdout: stdout, stderr: stderr}
	c.top = build(app.Command, cmds, nil)
	return c
}

// build adds cmds with add (the application's Command, or a command's), with their
// flags and their subcommands; each flag takes values as Go's flag package did.
func build(add func(name, help string) *kingpin.CmdClause, cmds []*command, parent *node) []*node {
	var nodes []*node
	for _, cmd := range cmds {
		n := &node{command: cmd, path: cmd.name, clause: add(cmd.name, cmd.summary), flags: map[string]*kingpin.FlagModel{}}
		if parent != nil {
			n.path = parent.path + " " + cmd.name
			for name, f := range parent.flags {
				n.flags[name] = f
				n.inherited = append(n.inherited, f)
			}
		}
		if cmd.declare != nil {
			n.act = cmd.declare(n.clause)
		}
		for _, f := range n.clause.Model().Flags {
			f.Value = &goValue{Value: f.Value, name: f.Name}
			n.clause.GetFlag(f.Name).SetValue(f.Value)
			n.flags[f.Name] = f
		}
		n.subs = build(n.clause.Command, cmd.sub, n)
		nodes = append(nodes, n)
	}
	return nodes
}

// run runs the command args name, with the rest of args as its flags, and returns the
// exit code.
func (c *commandLine) run(args []string) int {
	act, code := c.parse(args)
	if act == nil {
		return code
	}
	return act.run(c.stdout, c.stderr)
}

// parse returns the command args name, with its flags parsed; or nil and the exit code
// when there is nothing to run: help was asked for and written, or the command line is
// wrong (exitUsage, said on stderr).
func (c *commandLine) parse(args []string) (action, int) {
	if len(args) == 0 {
		fmt.Fprint(c.stderr, c.usage())
		return nil, exitUsage
	}
	switch args[0] {
	case "help", "--help", "-h":
		return nil, c.help(args[1:])
	case "--version", "-v":
		if n := lookup(c.top, "version"); n != nil {
			return n.act, exitOK
		}
	case "--completion-script-bash":
		return nil, c.script(kingpin.BashCompletionTemplate)
	case "--completion-script-zsh":
		return nil, c.script(kingpin.ZshCompletionTemplate)
	case "--completion-bash": // what the scripts ask: kingpin writes the words on os.Stdout
		_, _ = c.app.Parse(args)
		return nil, exitOK
	}
	n, rest := c.walk(args)
	switch {
	case n == nil:
		fmt.Fprintf(c.stderr, "notifier: unknown command %q\n\n%s", args[0], c.usage())
		return nil, exitUsage
	case len(n.subs) > 0:
		return nil, c.group(n, rest)
	}
	return c.flags(n, rest)
}

// flags reads the flags (and arguments) of the command n as Go's flag package did, and
// sets them through kingpin.
func (c *commandLine) flags(n *node, args []string) (action, int) {
	most := maxArgs(n.clause.Model().Args)
	kargs, err := goFlags(args, n.flags, most)
	var stray *strayError
	switch {
	case errors.Is(err, errHelp):
		c.helpOf(c.stdout, n)
		return nil, exitOK
	case errors.As(err, &stray) && most == 0:
		fmt.Fprintf(c.stderr, "notifier %s: unexpected argument %q (flags only; see --help)\n", n.path, stray.arg)
		return nil, exitUsage
	case errors.As(err, &stray):
		fmt.Fprintf(c.stderr, "notifier %s: unexpected argument %q (see --help)\n", n.path, stray.arg)
		return nil, exitUsage
	case err == nil:
		_, err = c.app.Parse(append(strings.Fields(n.path), kargs...))
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "%v\nrun 'notifier %s --help' for usage\n", err, n.path)
		return nil, exitUsage
	}
	return n.act, exitOK
}

// maxArgs is how many arguments a command takes: -1 when its last takes every one left.
func maxArgs(args []*kingpin.ArgModel) int {
	if len(args) > 0 {
		if r, ok := args[len(args)-1].Value.(interface{ IsCumulative() bool }); ok && r.IsCumulative() {
			return -1
		}
	}
	return len(args)
}

// group answers a command that only groups others (silence) given none of them, as
// notifier answers being given no command: its help on stdout when asked for it, else
// on stderr with exitUsage.
func (c *commandLine) group(n *node, args []string) int {
	switch {
	case len(args) == 0:
		c.helpOf(c.stderr, n)
	case isHelp(args[0]):
		c.helpOf(c.stdout, n)
		return exitOK
	default:
		fmt.Fprintf(c.stderr, "notifier %s: unknown command %q\n\n", n.path, args[0])
		c.helpOf(c.stderr, n)
	}
	return exitUsage
}

// isHelp is what Go's flag package took as asking for help.
func isHelp(arg string) bool {
	switch arg {
	case "-h", "--h", "-help", "--help":
		return true
	}
	return false
}

// help is notifier help [COMMAND...]: the help of the command named, or notifier's when
// it names none.
func (c *commandLine) help(args []string) int {
	if n, _ := c.walk(args); n != nil {
		c.helpOf(c.stdout, n)
	} else {
		fmt.Fprint(c.stdout, c.usage())
	}
	return exitOK
}

// walk follows args down the commands as far as they name one: the command named last
// (nil: none) and what follows it.
func (c *commandLine) walk(args []string) (*node, []string) {
	var found *node
	for nodes := c.top; len(args) > 0; args = args[1:] {
		n := lookup(nodes, args[0])
		if n == nil {
			break
		}
		found, nodes = n, n.subs
	}
	return found, args
}

func lookup(nodes []*node, name string) *node {
	for _, n := range nodes {
		if n.name == name {
			return n
		}
	}
	return nil
}

func (c *commandLine) usage() string {
	cmds := make([]*command, len(c.top))
	for i, n := range c.top {
		cmds[i] = n.command
	}
	return usage(cmds)
}

// helpOf writes the help of n, with its flags and those of the commands above it.
func (c *commandLine) helpOf(w io.Writer, n *node) { n.help(w, n.path, n.clause.Model(), n.inherited) }

// script writes a shell's completion script, which asks notifier --completion-bash for
// the words that may follow those typed.
func (c *commandLine) script(template string) int {
	ctx, err := c.app.ParseContext(nil)
	if err == nil {
		err = c.app.UsageForContextWithTemplate(ctx, 2, template)
	}
	if err != nil {
		fmt.Fprintf(c.stderr, "notifier: %v\n", err)
		return exitRuntime
	}
	return exitOK
}
