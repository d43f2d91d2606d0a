package dcs

import (
	"errors"
	"fmt"
	"testing"
)

func TestIsTransient(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{&APIError{Status: 500}, true},
		{&APIError{Status: 503, RetryAfter: 1}, true},
		{fmt.Errorf("page 2: %w", &APIError{Status: 502}), true},
		{&APIError{Status: 408}, true},
		{&TransportError{Err: errors.New("connection refused")}, true},
		{&APIError{Status: 401}, false},
		{&APIError{Status: 403}, false},
		{&APIError{Status: 429}, false},
		{&APIError{Status: 500, Code: "APIGW.0308"}, false},
		{&APIError{Status: 400, Code: "111400063"}, false},
		{errors.New("decoding the answer: unexpected end"), false},
	} {
		if got := IsTransient(tc.err); got != tc.want {
			t.Errorf("IsTransient(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
