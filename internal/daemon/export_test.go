package daemon

import (
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/store"
)

// OnFired registers fn to be called with the occurrences each fire step
// newly recorded as fired and handed to the outbox. It must be set before Start.
func (d *Daemon) OnFired(fn func([]domain.Occurrence)) { d.firedHook = fn }

// OnSettled registers fn to be called after each delivery attempt.
func (d *Daemon) OnSettled(fn func(domain.Delivery)) { d.out.OnSettled(fn) }

// Store exposes the state database to tests.
func (d *Daemon) Store() *store.Store { return d.store }

// Sync returns once the daemon's loop has finished what it was doing, so a
// test can move the fake clock without racing the loop's timers.
func (d *Daemon) Sync() {
	reply := make(chan struct{})
	d.pings <- reply
	<-reply
}

// Armed returns how many jobs the loop has armed.
func (d *Daemon) Armed() int {
	n := make(chan int)
	d.reloads <- reloadReq{probe: n}
	return <-n
}
