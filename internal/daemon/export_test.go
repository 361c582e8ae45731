package daemon

import (
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/engine"
	"github.com/crampd/crampd/internal/outbox"
	"github.com/crampd/crampd/internal/store"
)

// OnFired registers fn to be called with the occurrences each fire step
// newly recorded as fired and handed to the outbox. It must be set before Start.
func (d *Daemon) OnFired(fn func([]domain.Occurrence)) { d.testFired = fn }

// OnSettled registers fn to be called after each delivery attempt.
func (d *Daemon) OnSettled(fn func(domain.Delivery)) { d.out.OnSettled(fn) }

// Store exposes the state database to tests.
func (d *Daemon) Store() *store.Store { return d.store }

// Engine exposes the schedule loop to tests.
func (d *Daemon) Engine() *engine.Engine { return d.eng }

// Outbox exposes the outbox to tests.
func (d *Daemon) Outbox() *outbox.Outbox { return d.out }

// Armed returns how many jobs the loop has armed.
func (d *Daemon) Armed() int { return d.eng.Armed() }
