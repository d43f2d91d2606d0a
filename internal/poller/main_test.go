package poller

import (
	"testing"

	"notifier/internal/dcs"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine they started is still running. A
// page's body is overwritten when it is released, so a task used after its poll shows.
func TestMain(m *testing.M) {
	dcs.PoisonReleased(true)
	goleak.VerifyTestMain(m)
}
