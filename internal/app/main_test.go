package app

import (
	"flag"
	"fmt"
	"os"
	"testing"

	"notifier/internal/dcs"
	"notifier/internal/poller"
)

// TestMain overwrites every page's body when it is released (dcs.PoisonReleased), so an
// event or a state that kept a piece of a page after its poll shows in these end-to-end
// tests as garbage. And every poll a poller would skip as settled is read and diffed
// instead (poller.VerifySkips): one that finds something the skip would have missed fails
// the package.
func TestMain(m *testing.M) {
	dcs.PoisonReleased(true)
	poller.VerifySkips(true)
	code := m.Run()
	faults, checked := poller.SkipFaults()
	for _, f := range faults {
		fmt.Fprintln(os.Stderr, "skip fault:", f)
	}
	if len(faults) > 0 {
		code = 1
	}
	if code == 0 && checked == 0 && !testing.Short() && flagRun() == "" {
		fmt.Fprintln(os.Stderr, "poller.VerifySkips checked no poll: the tests no longer poll a quiet project twice")
		code = 1
	}
	os.Exit(code)
}

// flagRun is -test.run: a run of some tests only may poll no quiet project twice.
func flagRun() string {
	if f := flag.Lookup("test.run"); f != nil {
		return f.Value.String()
	}
	return ""
}
