package retry_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"notifier/internal/retry"
)

func TestPermanentAndRetryAfter(t *testing.T) {
	base := errors.New("HTTP 404 Not Found")
	for _, tt := range []struct {
		name            string
		err             error
		permanent, rest bool
		after           time.Duration
	}{
		{"plain", base, false, false, 0},
		{"permanent", retry.Permanent(base), true, false, 0},
		{"permanent wrapped", fmt.Errorf("slack.webhooks[0]: %w", retry.Permanent(base)), true, false, 0},
		{"rest", retry.PermanentRest(base), true, true, 0},
		{"retry after", fmt.Errorf("post: %w", &retry.RetryAfterError{After: 3 * time.Second, Err: base}), false, false, 3 * time.Second},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := retry.IsPermanent(tt.err); got != tt.permanent {
				t.Errorf("IsPermanent = %v, want %v", got, tt.permanent)
			}
			if got := retry.IsPermanentRest(tt.err); got != tt.rest {
				t.Errorf("IsPermanentRest = %v, want %v", got, tt.rest)
			}
			if got := retry.AskedDelay(tt.err); got != tt.after {
				t.Errorf("AskedDelay = %v, want %v", got, tt.after)
			}
			if !errors.Is(tt.err, base) {
				t.Errorf("%v does not wrap %v", tt.err, base)
			}
		})
	}
	if retry.Permanent(nil) != nil || retry.PermanentRest(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
}
