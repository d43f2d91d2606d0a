//go:build soak

package soak

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the soak if any goroutine it started is still running.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
