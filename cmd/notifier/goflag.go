package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/alecthomas/kingpin/v2"
)

// notifier's command line was built on Go's flag package, and scripts, container images
// and habits use what it accepted: -config as well as --config, -dry-run=false, a flag
// given twice (the last wins), a value that starts with a dash. kingpin reads less (its
// -c is a short flag, it refuses a repeated flag), so goFlags reads what follows the
// command's name as the flag package did and hands kingpin the same in its own form.

// errHelp is -h, -help, --h or --help among a command's flags: its help is wanted.
var errHelp = errors.New("help requested")

// strayError is an argument beyond those the command takes (often none).
type strayError struct{ arg string }

func (e *strayError) Error() string { return fmt.Sprintf("unexpected argument %q", e.arg) }

// goFlags reads args as Go's flag package did, for a command with the flags known (by
// name) that takes up to most arguments (-1: any number): -name and --name alike,
// -name=value or -name value (taken whatever it looks like), a bool flag alone or with
// =true, =false, =1, =0..., "--" ending the flags. It returns them as kingpin reads
// them: --name=value, --name or --no-name, then "--" and the arguments. An argument
// beyond most is an error at once: for a command that takes none, as the flag package
// stopped there and found it. A command that takes some (none yet) may have flags after
// them too, as kingpin allows. The errors are the flag package's own words.
func goFlags(args []string, known map[string]*kingpin.FlagModel, most int) ([]string, error) {
	var out, positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			if len(positional) == most {
				return nil, &strayError{a}
			}
			positional = append(positional, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		if name == "" || name[0] == '-' {
			return nil, fmt.Errorf("bad flag syntax: %s", a)
		}
		f, ok := known[name]
		switch {
		case !ok && (name == "help" || name == "h"):
			return nil, errHelp
		case !ok:
			return nil, fmt.Errorf("flag provided but not defined: -%s", name)
		case f.IsBoolFlag():
			set, err := boolFlag(name, value, hasValue)
			if err != nil {
				return nil, err
			}
			out = append(out, set)
		default:
			if !hasValue {
				if i+1 == len(args) {
					return nil, fmt.Errorf("flag needs an argument: -%s", name)
				}
				i++
				value = args[i]
			}
			out = append(out, "--"+name+"="+value)
		}
	}
	if most >= 0 && len(positional) > most {
		return nil, &strayError{positional[most]}
	}
	if len(positional) > 0 {
		out = append(append(out, "--"), positional...)
	}
	return out, nil
}

// boolFlag is a bool flag as kingpin takes it: --name for true, --no-name for false.
func boolFlag(name, value string, hasValue bool) (string, error) {
	if !hasValue {
		return "--" + name, nil
	}
	v, err := strconv.ParseBool(value)
	switch {
	case err != nil:
		return "", fmt.Errorf("invalid boolean value %q for -%s: parse error", value, name)
	case v:
		return "--" + name, nil
	}
	return "--no-" + name, nil
}

// goValue is a flag's value as Go's flag package set it: given again, it is set again
// (the last value wins; a repeatable flag such as --receiver adds each), where kingpin
// refuses a repeated flag that is not cumulative; and a value that does not parse is
// refused in the flag package's words, naming the flag, which kingpin's do not.
type goValue struct {
	kingpin.Value
	name string
}

func (v *goValue) Set(s string) error {
	err := v.Value.Set(s)
	if err == nil {
		return nil
	}
	why := err.Error()
	if _, builtin := v.Value.(kingpin.Getter); builtin { // strconv's or time's words
		why = "parse error"
		if errors.Is(err, strconv.ErrRange) {
			why = "value out of range"
		}
	}
	return fmt.Errorf("invalid value %q for flag -%s: %s", s, v.name, why)
}

// IsCumulative lets kingpin set the flag as often as it is given.
func (v *goValue) IsCumulative() bool { return true }

// IsBoolFlag is the value's own: kingpin gives a bool flag no argument.
func (v *goValue) IsBoolFlag() bool {
	b, ok := v.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// goInt is an int flag read as Go's flag package read one (0x1f, 1_000; not 1.5, which
// kingpin's Int reads as 1).
type goInt int

func (i *goInt) Set(s string) error {
	v, err := strconv.ParseInt(s, 0, strconv.IntSize)
	if err != nil {
		return err
	}
	*i = goInt(v)
	return nil
}

func (i *goInt) String() string { return strconv.Itoa(int(*i)) }

// Get makes it a kingpin.Getter: help names it an int, and a Set error is worded as
// the flag package's.
func (i *goInt) Get() any { return int(*i) }
