package desktop_test

import (
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/desktop"
	"github.com/crampd/crampd/internal/notify/registry"
	"github.com/crampd/crampd/internal/notify/stdout"
	"github.com/crampd/crampd/internal/profile"
)

// A reload keeps the running desktop notifier, so the buttons on the
// notifications it has shown keep working; anything else is replaced.
func TestReloadKeepsTheRunningDesktopNotifier(t *testing.T) {
	p, err := profile.Parse("p.toml", []byte("[[channel]]\ntype = \"desktop\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := p.Channels[0].Config
	running := desktop.New(nil)
	t.Cleanup(func() { running.Close() })
	tests := []struct {
		name     string
		previous notify.Notifier
		wantSame bool
	}{
		{name: "first start", previous: nil},
		{name: "reload", previous: running, wantSame: true},
		{name: "the channel was another type", previous: stdout.New(nil, clockwork.NewFakeClock())},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := registry.Build(cfg, registry.Deps{Name: "desktop", Clock: clockwork.NewFakeClock(), Previous: tt.previous})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := n.(*desktop.Notifier); !ok {
				t.Fatalf("Build gave a %T", n)
			}
			if same := n == tt.previous; same != tt.wantSame {
				t.Errorf("kept the previous notifier: %v, want %v", same, tt.wantSame)
			}
			if n != running {
				n.(*desktop.Notifier).Close()
			}
		})
	}
}

// A profile with no channel delivers to the desktop.
func TestDesktopIsTheDefaultChannel(t *testing.T) {
	typ, ok := registry.DefaultType()
	if !ok || typ.Name != "desktop" {
		t.Fatalf("default type = %q, %v", typ.Name, ok)
	}
}
