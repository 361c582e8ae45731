//go:build !linux

package daemon

import "errors"

func newRealtimeAlarm() (alarm, error) {
	return nil, errors.New("no realtime timer on this system")
}
