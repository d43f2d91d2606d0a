// Package logx is what every logger of the notifier shares: durations written as Go
// duration strings ("retry_in":"463ms", never a bare number whose unit the reader must
// guess), times in RFC 3339 with nanoseconds, and the logger the configuration asks for.
// A package that logs a duration imports it (for Round), which sets the format in every
// program and test that logs one.
package logx

import (
	"io"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/rs/zerolog"
)

func init() {
	zerolog.DurationFieldFormat = zerolog.DurationFormatString
	zerolog.TimeFieldFormat = time.RFC3339Nano
}

// Round rounds a duration for a log line: to the millisecond from a millisecond up
// ("463ms", "2m3.457s"), to the microsecond below.
func Round(d time.Duration) time.Duration {
	if d >= time.Millisecond || d <= -time.Millisecond {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

// New returns the logger [log] asks for (log.level, log.format), writing to w: JSON
// lines, or with format "console" human-readable lines, coloured only when w is a
// terminal. It takes the two values rather than config.Log so that the packages below
// config (sinks, which log durations with Round) can import logx.
func New(levelName, format string, w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(levelName)
	if err != nil || level == zerolog.NoLevel {
		level = zerolog.InfoLevel // ParseLevel("") is NoLevel, which would silence nearly everything
	}
	out := w
	if format == "console" {
		out = zerolog.ConsoleWriter{Out: w, TimeFormat: time.DateTime, NoColor: !terminal(w)}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}

// terminal reports whether w is a terminal.
func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
