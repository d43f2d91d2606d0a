// Package region knows the Huawei Cloud regions the DCS SDK has endpoints for, and
// serialises the SDK's region lookups, which are not safe for concurrent use.
package region

import (
	"slices"
	"strings"
	"sync"

	dcsregion "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/dcs/v2/region"
)

// All is the regions entry of [[dcs.discover]] that means every region.
const All = "*"

// mu serialises region lookups: the SDK caches regions read from the environment in a
// map without a lock.
var mu sync.Mutex

// WithLock runs f with region lookups of the SDK serialised (see mu): any SafeValueOf of
// a service's region package goes through it.
func WithLock(f func()) {
	mu.Lock()
	defer mu.Unlock()
	f()
}

// Known reports whether the DCS SDK has an endpoint for region.
func Known(region string) bool {
	mu.Lock()
	defer mu.Unlock()
	r, err := dcsregion.SafeValueOf(region)
	return err == nil && r != nil
}

var (
	namesOnce sync.Once
	names     []string
)

// Names returns the regions the DCS SDK has endpoints for, sorted, for suggestions ("did
// you mean"). The SDK does not export its list; it names it in the error of a lookup of a
// region it does not know, which is where it is read from. Empty when that error no
// longer does.
func Names() []string {
	namesOnce.Do(func() {
		mu.Lock()
		_, err := dcsregion.SafeValueOf("notifier-no-such-region")
		mu.Unlock()
		if err == nil {
			return
		}
		msg := err.Error()
		i, j := strings.LastIndex(msg, "["), strings.LastIndex(msg, "]")
		if i < 0 || j < i {
			return
		}
		for _, n := range strings.Split(msg[i+1:j], ",") {
			if n = strings.TrimSpace(n); n != "" {
				names = append(names, n)
			}
		}
		slices.Sort(names)
	})
	return slices.Clone(names)
}
