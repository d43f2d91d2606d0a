package natssink

import (
	"context"
	"errors"
	"fmt"

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
// was not acknowledged once more, so that the batch goes now rather than never. "No
// stream answers" is either no responders at all, or, when a core subscriber listens on
// our subjects (downstream services do), an ack that never comes: such a publish is
// taken by the subscriber alone, so on an ack timeout the stream is looked up as well.
func (s *Sink) sendJetStream(ctx context.Context, evs []event.Event) (int, error) {
	n, err := s.publish(ctx, evs)
	switch {
	case streamGone(err):
		s.log.Warn().Err(err).Str("stream", s.o.Stream).Msg("no stream answered; looking it up again")
		s.forgetStream()
	case errors.Is(err, jetstream.ErrAsyncPublishTimeout):
		if !s.recreated(ctx) {
			return n, err // the stream is there and was slow: the dispatcher sends again
		}
	default:
		return n, err
	}
	m, err := s.publish(ctx, evs[n:])
	if streamGone(err) {
		// The stream is there but does not take our subjects: the dispatcher retries,
		// and the next Send looks again (its owner may be fixing it).
		s.forgetStream()
		err = fmt.Errorf("%w (does stream %s take subjects %s.>?)", err, s.o.Stream, s.o.SubjectPrefix)
	}
	return n + m, err
}

// recreated looks the stream up after an ack timed out and creates it when it is missing.
// It reports whether it was missing: only then is the batch sent again at once (each
// event's Nats-Msg-Id keeps it once in the stream). A failed look-up is left to the next
// Send, which looks again.
func (s *Sink) recreated(ctx context.Context) bool {
	s.forgetStream()
	missing, err := s.ensureStream(ctx)
	if err != nil {
		s.log.Warn().Err(err).Str("stream", s.o.Stream).Msg("a jetstream ack timed out and the stream could not be looked up")
		return false
	}
	if missing {
		s.log.Warn().Str("stream", s.o.Stream).Msg("a jetstream ack timed out: the stream was missing and is there again")
	}
	return missing
}

// publish sends evs and waits until none of them is in flight any more: a publish still
// being retried by the client could otherwise land after a later send of the same batch.
func (s *Sink) publish(ctx context.Context, evs []event.Event) (int, error) {
	if _, err := s.ensureStream(ctx); err != nil {
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
