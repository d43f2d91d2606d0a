package probe

import (
	"context"
	"fmt"
	"io"

	"github.com/rs/zerolog"

	"notifier/internal/dcs"
	"notifier/internal/fleet"
	"notifier/internal/receiver"
)

// ReceiverCheck is what the probe learned of one receiver whose kind can check its
// destination with read calls (receiver.Spec.Probe): nothing is sent to it.
type ReceiverCheck struct {
	Receiver string `json:"receiver"`
	Key      string `json:"key"`
	OK       bool   `json:"ok"`
	Problem  string `json:"problem,omitempty"`
}

// checkReceivers runs the Probe of every receiver whose kind has one, its calls on the
// request budget of its access key as the DCS calls of the same key.
func (o Options) checkReceivers(ctx context.Context, fl *fleet.Fleet) []ReceiverCheck {
	cfg := o.Config
	var out []ReceiverCheck
	for _, e := range cfg.Entries() {
		d := receiver.Deps{Log: zerolog.Nop(), Getenv: o.Getenv, Budget: fl.SharedBudget,
			DCSCredentials: func() (dcs.Credentials, error) { return fl.Credentials(cfg.DCS.Keys()) }}
		checked, err := e.Probe(ctx, d)
		if !checked {
			continue
		}
		c := ReceiverCheck{Receiver: e.Common().Name, Key: e.Key(), OK: err == nil}
		if err != nil {
			c.Problem = err.Error()
		}
		out = append(out, c)
	}
	return out
}

func writeReceivers(w io.Writer, cs []ReceiverCheck) {
	for _, c := range cs {
		if c.OK {
			fmt.Fprintf(w, "receiver %s (%s): ok\n", c.Receiver, c.Key)
		} else {
			fmt.Fprintf(w, "receiver %s (%s): %s\n", c.Receiver, c.Key, c.Problem)
		}
	}
	if len(cs) > 0 {
		fmt.Fprintln(w)
	}
}
