package app

import (
	"os"
	"testing"

	"notifier/internal/dcs"
)

// TestMain overwrites every page's body when it is released (dcs.PoisonReleased), so an
// event or a state that kept a piece of a page after its poll shows in these end-to-end
// tests as garbage.
func TestMain(m *testing.M) {
	dcs.PoisonReleased(true)
	os.Exit(m.Run())
}
