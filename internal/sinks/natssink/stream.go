package natssink

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// ensureStream looks the stream up once, and again after forgetStream, creating it
// when it is missing. It reports whether it was missing (and is there now, created by us or
// by another replica at the same time).
func (s *Sink) ensureStream(ctx context.Context) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streamReady {
		return false, nil
	}
	want := s.streamConfig()
	missing := false
	st, err := s.js.Stream(ctx, s.o.Stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		_, err = s.js.CreateStream(ctx, want)
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return false, fmt.Errorf("jetstream: creating stream %s: %w", s.o.Stream, err)
		}
		missing = true
		if err == nil {
			s.log.Info().Str("stream", s.o.Stream).Str("subjects", want.Subjects[0]).
				Str("max_age", age(want.MaxAge)).Str("max_bytes", size(want.MaxBytes)).Int("replicas", want.Replicas).
				Msg("jetstream stream created")
		}
	case err != nil:
		return false, fmt.Errorf("jetstream: looking up stream %s: %w", s.o.Stream, err)
	default:
		s.logDrift(st.CachedInfo().Config, want)
	}
	// An existing stream is used as it is: its owner may have chosen wider subjects,
	// replicas or limits. If it does not take our subjects, publishes fail and retry.
	s.streamReady = true
	return missing, nil
}

// streamConfig is the stream the sink creates when it is missing.
func (s *Sink) streamConfig() jetstream.StreamConfig {
	dup := duplicateWindow
	if s.o.MaxAge > 0 {
		dup = min(dup, s.o.MaxAge) // JetStream refuses a window longer than the max age
	}
	return jetstream.StreamConfig{
		Name:        s.o.Stream,
		Description: "Huawei Cloud DCS task events from dcs-notifier",
		Subjects:    []string{s.o.SubjectPrefix + ".>"},
		Duplicates:  dup,
		MaxAge:      s.o.MaxAge,
		MaxBytes:    streamBytes(s.o.MaxBytes),
		Replicas:    max(1, s.o.Replicas),
	}
}

// logDrift warns, setting by setting, where the existing stream differs from the limits
// [nats] sets for one it creates. The stream is never changed: it may hold months of
// events, and its owner may have chosen its limits on purpose; the warning says how to
// make them agree.
func (s *Sink) logDrift(has, want jetstream.StreamConfig) {
	for _, d := range []struct{ key, has, want string }{
		{"nats.stream_max_age", age(has.MaxAge), age(want.MaxAge)},
		{"nats.stream_max_bytes", size(streamBytes(has.MaxBytes)), size(want.MaxBytes)},
		{"nats.stream_replicas", strconv.Itoa(max(1, has.Replicas)), strconv.Itoa(want.Replicas)},
	} {
		if d.has != d.want {
			s.log.Warn().Str("stream", s.o.Stream).Str("setting", d.key).Str("stream_has", d.has).Str("config_wants", d.want).
				Msg("the existing jetstream stream differs from the config and is left as it is (change the stream, e.g. with nats stream edit, or the config)")
		}
	}
}

// streamBytes maps the ways of writing "no size limit" (0 in the config, -1 in JetStream)
// to JetStream's.
func streamBytes(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}

// age writes a max age as the config does: in days when it is whole days.
func age(d time.Duration) string {
	switch {
	case d <= 0:
		return "unlimited"
	case d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	}
	return d.String()
}

// size writes a max bytes, -1 being no limit.
func size(n int64) string {
	if n < 0 {
		return "unlimited"
	}
	return strconv.FormatInt(n, 10)
}
