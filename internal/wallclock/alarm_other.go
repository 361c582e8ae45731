//go:build !linux

package wallclock

import "errors"

func newRealtime() (Alarm, error) {
	return nil, errors.New("no realtime timer on this system")
}
