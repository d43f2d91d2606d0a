package diff

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTerminalEachAsksEveryTask: terminalEach's answer for every task is IsTerminal of its
// status, across runs of one status, statuses of the shared table and statuses a state
// keeps itself (too long for the table), which may differ from one record to the next.
func TestTerminalEachAsksEveryTask(t *testing.T) {
	o := opts(t0)
	statuses := []string{"SUCCESS", "success", "FAILED", "RUNNING", "", "EXECUTING",
		strings.Repeat("S", 200), strings.Repeat("F", 201) + "AILED", "SUCCESS" + strings.Repeat(" ", 150)}
	o.Terminal = map[string]bool{"SUCCESS": true, "FAILED": true, strings.Repeat("S", 200): true}
	rng := rand.New(rand.NewPCG(5, 5))
	for round := range 50 {
		m := map[string]TaskState{}
		for i := range rng.IntN(60) {
			m[fmt.Sprintf("task-%d-%d", round, i)] = TaskState{Status: statuses[rng.IntN(len(statuses))], Created: rng.Int64N(1e12)}
		}
		ts := TasksOf(m)
		i := 0
		for terminal, created := range ts.terminalEach(&o) {
			st := ts.at(i)
			if terminal != o.IsTerminal(st.Status) || created != st.Created {
				t.Fatalf("round %d, task %d (%.20q): terminal %v created %d; want %v %d", round, i, st.Status, terminal, created, o.IsTerminal(st.Status), st.Created)
			}
			i++
		}
		if i != ts.Len() {
			t.Fatalf("round %d: %d tasks yielded of %d", round, i, ts.Len())
		}
	}
	for range (*Tasks)(nil).terminalEach(&o) {
		t.Fatal("a nil Tasks yielded a task")
	}
}
