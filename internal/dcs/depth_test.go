package dcs

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// TestDecodeTooDeepIsRefused: a body nested deeper than encoding/json accepts (10,000
// levels) must fail with ErrDecode or leave the task out; it must never crash the process,
// and whatever is kept must be valid JSON for encoding/json, because every later step
// (the event, the NATS message, the state file) is encoded with it. The decode runs in a
// child process, because a stack overflow cannot be recovered.
func TestDecodeTooDeepIsRefused(t *testing.T) {
	if d := os.Getenv("DCS_DEEP_CHILD"); d != "" {
		depth, _ := strconv.Atoi(d)
		body := `{"tasks":[{"id":"x","details":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}]}`
		p, err := Decode([]byte(body))
		switch {
		case errors.Is(err, ErrDecode):
			os.Exit(0)
		case err != nil:
			os.Stdout.WriteString("error without ErrDecode: " + err.Error())
			os.Exit(3)
		}
		for _, task := range p.Tasks {
			if !json.Valid(task.Raw) {
				os.Stdout.WriteString("kept a task that encoding/json refuses (exceeded max depth)")
				os.Exit(4)
			}
		}
		os.Exit(0)
	}
	for _, depth := range []int{20_000, 10_000_000} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestDecodeTooDeepIsRefused$")
		cmd.Env = append(os.Environ(), "DCS_DEEP_CHILD="+strconv.Itoa(depth))
		out, err := cmd.CombinedOutput()
		if err != nil {
			first, _, _ := strings.Cut(string(out), "\n")
			t.Errorf("depth %d: %v: %s", depth, err, first)
		}
	}
}
