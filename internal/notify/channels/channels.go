// Package channels links every channel type into a program. Each channel
// package registers its type with internal/notify/registry when it is
// initialised; importing this package, for its side effect, makes them all
// known. Adding a channel type adds one import here.
package channels

import (
	// Each registers its channel type in init.
	_ "github.com/crampd/crampd/internal/notify/desktop"
	_ "github.com/crampd/crampd/internal/notify/ntfy"
	_ "github.com/crampd/crampd/internal/notify/stdout"
	_ "github.com/crampd/crampd/internal/notify/webhook"
)
