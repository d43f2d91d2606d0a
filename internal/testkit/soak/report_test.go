//go:build soak

package soak

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"
)

// report is what the soak prints at the end.
type report struct {
	tasks, transitions          int
	streamMsgs                  int
	dupIDs, dupContent          int
	missing                     int
	missingKeys, unexpected     []string
	slackPosts                  int64
	slackThrottled, slackFailed int64
	kills, natsRestarts         int
	faults                      int
	faultKinds                  map[string]int
	pending                     int
	chaos, converge             time.Duration
	logFiles, logLines          int
	leaks, panics               []string
}

func (r *report) print(t *testing.T) {
	var kinds []string
	for k, n := range r.faultKinds {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(kinds)
	var b strings.Builder
	fmt.Fprintf(&b, "\n== soak report\n")
	fmt.Fprintf(&b, "chaos                  %v (then %v to converge)\n", r.chaos.Round(time.Second), r.converge.Round(100*time.Millisecond))
	fmt.Fprintf(&b, "transitions made       %d (%d tasks over 3 projects)\n", r.transitions, r.tasks)
	fmt.Fprintf(&b, "events in the stream   %d\n", r.streamMsgs)
	fmt.Fprintf(&b, "duplicates             %d by Nats-Msg-Id, %d by transition\n", r.dupIDs, r.dupContent)
	fmt.Fprintf(&b, "missing                %d\n", r.missing)
	fmt.Fprintf(&b, "unexpected             %d (in the stream, never made)\n", len(r.unexpected))
	fmt.Fprintf(&b, "slack deliveries       %d posts accepted; %d answered 429, %d answered 5xx\n", r.slackPosts, r.slackThrottled, r.slackFailed)
	fmt.Fprintf(&b, "pending at the end     %d\n", r.pending)
	fmt.Fprintf(&b, "notifier restarts      %d (SIGKILL)\n", r.kills)
	fmt.Fprintf(&b, "nats restarts          %d\n", r.natsRestarts)
	fmt.Fprintf(&b, "api faults injected    %d (%s)\n", r.faults, strings.Join(kinds, " "))
	fmt.Fprintf(&b, "logs scanned           %d lines in %d files; %d secret leaks, %d crashes\n", r.logLines, r.logFiles, len(r.leaks), len(r.panics))
	for i, k := range r.missingKeys {
		if i == 20 {
			fmt.Fprintf(&b, "  ... and %d more missing\n", len(r.missingKeys)-20)
			break
		}
		fmt.Fprintf(&b, "  missing %s\n", k)
	}
	for i, k := range r.unexpected {
		if i == 20 {
			break
		}
		fmt.Fprintf(&b, "  unexpected %s\n", k)
	}
	t.Log(b.String())
}
