package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"notifier/internal/config"
	"notifier/internal/route"
	"notifier/internal/silence"
	"notifier/internal/state"
	"notifier/internal/web"
)

// routesSilencesTimeout bounds routes' question to the running notifier.
const routesSilencesTimeout = 2 * time.Second

// routesSilences are the silences notifier routes weighs: the running notifier's, from
// its API (every replica's, nats-kv included) when it answers; otherwise, with the file
// backend, those kept in state.path (what the notifier applies when it runs again);
// otherwise none, and the first line says so. src says where they came from.
func routesSilences(cfg *config.Config, configPath string) (set *silence.Set, src string) {
	var l web.SilenceList
	c := &silenceConn{config: configPath, timeout: routesSilencesTimeout}
	apiErr := c.call(http.MethodGet, "", nil, &l)
	if cfg.HTTP.Listen != "" && apiErr == nil {
		set, _ = silence.NewSet(l.Silences)
		return set, "the running notifier"
	}
	if cfg.State.Backend != "nats-kv" {
		all, err := state.NewFileSilences(cfg.State.Path).Load(context.Background())
		if err == nil {
			set, _ = silence.NewSet(all)
			return set, "state.path " + cfg.State.Path
		}
		return nil, fmt.Sprintf("none read (%v)", err)
	}
	return nil, fmt.Sprintf("none read: the running notifier did not answer (%v)", apiErr)
}

// showSilences prints one line per silence active at at, or why none is known.
func showSilences(w io.Writer, set *silence.Set, src string, at time.Time) {
	if set == nil {
		fmt.Fprintf(w, "# silences: %s\n", src)
		return
	}
	for _, s := range set.Active(at) {
		fmt.Fprintf(w, "# silence %s (%s): %s, by %s, until %s (from %s)\n", s.ID, s.Matchers, s.Comment, s.CreatedBy,
			s.EndsAt.UTC().Format(time.RFC3339), src)
	}
}

// heldText says a window's or a silence's hold: "muted by NAME until WHEN", "silenced
// by ID (comment) until WHEN".
func heldText(h route.Hold, at time.Time) string {
	if h.Cause == route.Silenced {
		return fmt.Sprintf("silenced by %s (%s) until %s", h.Name, h.Detail, h.UntilText(at))
	}
	return fmt.Sprintf("muted by %s until %s", h.Name, h.UntilText(at))
}
