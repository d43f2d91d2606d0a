// Package soak holds the chaos soak test (build tag soak): the real notifier binary runs
// against the DCS simulator, an in-process JetStream server and a fake Slack while all
// three misbehave and the notifier itself is killed with SIGKILL; at the end every
// transition must be in the stream exactly once. Run it with scripts/soak [duration].
package soak
