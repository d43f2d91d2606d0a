package main

import (
	"context"
	"fmt"
	"os"

	"github.com/rs/zerolog"

	"notifier/internal/app"
	"notifier/internal/config"
)

// builder makes the App for a configuration, with the logger that configuration asks for.
type builder func(*config.Config) (*app.App, zerolog.Logger, error)

// serve runs an App for cfg until ctx ends, and returns nil then. Every value received on
// hup re-reads the file at path:
//   - if it is invalid, the error is logged and the running App goes on untouched;
//   - if it is valid, the running App stops the way it does at SIGTERM (polling stops,
//     pending events get shutdown.timeout to go out, the state is saved and its lock
//     released by Close) and an App for the new configuration starts. Should that App fail
//     to start (a missing environment variable, say), the previous configuration starts
//     again, so a bad reload never leaves the process without a running notifier.
//
// It returns an error if the first App cannot start, if an App stops by itself with an
// error, or if neither the new nor the previous configuration can start after a reload.
// Signals are the caller's business: hup is only a channel, so tests drive it directly.
func serve(ctx context.Context, path string, cfg *config.Config, hup <-chan os.Signal, build builder) error {
	a, log, err := build(cfg)
	if err != nil {
		return err
	}
	for {
		next, err := runUntilReload(ctx, a, log, path, hup)
		a.Close()
		if err != nil || next == nil || ctx.Err() != nil {
			return err
		}
		na, nlog, err := build(next)
		if err != nil {
			log.Error().Err(err).Str("config", path).
				Msg("reload: the new configuration cannot start; starting the previous one again")
			if na, nlog, err = build(cfg); err != nil {
				return fmt.Errorf("reload: restarting the previous configuration: %w", err)
			}
		} else {
			cfg = next
			nlog.Info().Str("config", path).Int("projects", len(cfg.DCS.Projects)).Msg("reload: new configuration running")
		}
		a, log = na, nlog
	}
}

// runUntilReload runs a until ctx ends (it returns nil, nil) or a valid configuration is
// read after a value on hup (it stops a and returns that configuration). An error is one
// of a.Run.
func runUntilReload(ctx context.Context, a *app.App, log zerolog.Logger, path string, hup <-chan os.Signal) (*config.Config, error) {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	for {
		select {
		case err := <-done:
			return nil, err
		case <-hup:
			next, err := config.LoadFile(path)
			if err != nil {
				log.Error().Err(err).Str("config", path).
					Msg("reload: the configuration file is invalid; the running configuration is kept")
				continue
			}
			log.Info().Str("config", path).Msg("reload: configuration valid; stopping to apply it")
			stop()
			if err := <-done; err != nil {
				return nil, err
			}
			return next, nil
		}
	}
}
