// Package route decides who gets an event: Table.Decide weighs, for every receiver, its
// filter, the maintenance windows ([[mute]]) open at the moment, the silences active then
// (package silence; WithSilences), and the on-call rule (an
// on-call receiver still gets what may end an incident it opened), and says why for each.
// The decision is made once, when the event is committed, and recorded with it in the
// outbox: a receiver's queue holds only its own events, and a filter or window changed by
// a reload applies to events committed after it. once --render, notifier routes and
// test-notification ask the same Decide, so they cannot disagree with run.
package route

import (
	"notifier/internal/config"
	"notifier/internal/receiver"
)

// Filter is what one receiver asks for: package receiver's, where the filter settings
// every kind embeds (receiver.Common) are declared.
type Filter = receiver.Filter

// NewFilter builds the filter of a configured receiver. An empty min_severity is info.
func NewFilter(r config.Receiver) (Filter, error) { return receiver.NewFilter(r.Key, r.Common) }
