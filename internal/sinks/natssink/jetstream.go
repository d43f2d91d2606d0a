package natssink

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"notifier/internal/event"
)

// sendJetStream publishes asynchronously (bounded in flight) and waits for every ack.
// It reports the longest acknowledged prefix; anything after a failure is sent again
// later and dropped by the stream as a duplicate if it had arrived.
//
// When no stream answers (deleted to change its settings, lost with a single-replica
// node's store), it looks the stream up again, creates it when missing and sends what
// was not acknowledged once more, so that the batch goes now rather than never.
func (s *Sink) sendJetStream(ctx context.Context, evs []event.Event) (int, error) {
	n, err := s.publish(ctx, evs)
	if !streamGone(err) {
		return n, err
	}
	s.log.Warn().Err(err).Str("stream", s.o.Stream).Msg("no stream answered; looking it up again")
	s.forgetStream()
	m, err := s.publish(ctx, evs[n:])
	if streamGone(err) {
		// The stream is there but does not take our subjects: the dispatcher retries,
		// and the next Send looks again (its owner may be fixing it).
		s.forgetStream()
		err = fmt.Errorf("%w (does stream %s take subjects %s.>?)", err, s.o.Stream, s.o.SubjectPrefix)
	}
	return n + m, err
}

// publish sends evs and waits until none of them is in flight any more: a publish still
// being retried by the client could otherwise land after a later send of the same batch.
func (s *Sink) publish(ctx context.Context, evs []event.Event) (int, error) {
	if err := s.ensureStream(ctx); err != nil {
		return 0, err
	}
	futures := make([]jetstream.PubAckFuture, 0, len(evs))
	var perr error
	for i := range evs {
		m, err := s.msg(&evs[i])
		if err != nil {
			perr = err
			break
		}
		f, err := s.js.PublishMsgAsync(m, jetstream.WithMsgID(evs[i].ID), jetstream.WithStallWait(s.o.PublishTimeout))
		if err != nil {
			perr = classify(fmt.Errorf("jetstream publish: %w", err))
			break
		}
		futures = append(futures, f)
	}
	n, ferr := len(futures), error(nil)
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			if ferr == nil {
				n, ferr = i, classify(fmt.Errorf("jetstream publish of event %s: %w", evs[i].ID, err))
			}
		case <-ctx.Done():
			return min(n, i), fmt.Errorf("jetstream: waiting for acks: %w", ctx.Err())
		}
	}
	if ferr != nil {
		return n, ferr
	}
	return n, perr
}

// streamGone reports whether err says that no stream took the publish.
func streamGone(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrStreamNotFound) {
		return true
	}
	var apiErr *jetstream.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode == jetstream.JSErrCodeStreamNotFound
}

// forgetStream makes the next publish look the stream up again.
func (s *Sink) forgetStream() {
	s.mu.Lock()
	s.streamReady = false
	s.mu.Unlock()
}

// ensureStream looks the stream up once, and again after forgetStream, creating it
// when it is missing.
func (s *Sink) ensureStream(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.streamReady {
		return nil
	}
	subject := s.o.SubjectPrefix + ".>"
	_, err := s.js.Stream(ctx, s.o.Stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		_, err = s.js.CreateStream(ctx, jetstream.StreamConfig{
			Name:        s.o.Stream,
			Description: "Huawei Cloud DCS task events from dcs-notifier",
			Subjects:    []string{subject},
			Duplicates:  10 * time.Minute,
			Replicas:    max(1, s.o.Replicas),
		})
		if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			return fmt.Errorf("jetstream: creating stream %s: %w", s.o.Stream, err)
		}
		s.log.Info().Str("stream", s.o.Stream).Str("subjects", subject).Msg("jetstream stream created")
	case err != nil:
		return fmt.Errorf("jetstream: looking up stream %s: %w", s.o.Stream, err)
	}
	// An existing stream is used as it is: its owner may have chosen wider subjects,
	// replicas or limits. If it does not take our subjects, publishes fail and retry.
	s.streamReady = true
	return nil
}
