package registry_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/registry"
)

type nothing struct{}

func (nothing) Load(func(string) string) (registry.Loaded, error) { return nothing{}, nil }

func (nothing) Build(registry.Deps) (notify.Notifier, error) { return nil, errors.New("nothing") }

func decodeNothing(registry.Table) registry.Config { return nothing{} }

func TestRegisterRefusesProgrammingErrors(t *testing.T) {
	registry.Register(registry.Type{Name: "test-a", Order: 2, Default: true, Decode: decodeNothing})
	t.Cleanup(func() { registry.Unregister("test-a") })
	tests := []struct {
		name string
		typ  registry.Type
	}{
		{name: "no name", typ: registry.Type{Decode: decodeNothing}},
		{name: "no decoder", typ: registry.Type{Name: "test-b"}},
		{name: "a name twice", typ: registry.Type{Name: "test-a", Decode: decodeNothing}},
		{name: "a second default", typ: registry.Type{Name: "test-b", Default: true, Decode: decodeNothing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%+v) did not panic", tt.typ)
				}
				registry.Unregister("test-b")
			}()
			registry.Register(tt.typ)
		})
	}
}

func TestTypesInDisplayOrder(t *testing.T) {
	registry.Register(registry.Type{Name: "test-z", Order: 1, Decode: decodeNothing})
	registry.Register(registry.Type{Name: "test-y", Order: 1, Decode: decodeNothing})
	registry.Register(registry.Type{Name: "test-x", Order: 3, Decode: decodeNothing})
	t.Cleanup(func() {
		for _, n := range []string{"test-x", "test-y", "test-z"} {
			registry.Unregister(n)
		}
	})
	if got, want := registry.Names(), []string{"test-y", "test-z", "test-x"}; !slices.Equal(got, want) {
		t.Errorf("Names = %v, want %v", got, want)
	}
	if _, ok := registry.DefaultType(); ok {
		t.Error("a default type without any registered as default")
	}
}

func TestKeyErrorsSplitsJoinedProblems(t *testing.T) {
	plain := errors.New("no route")
	err := errors.Join(&registry.KeyError{Key: "url_env", Err: errors.New("unset")}, plain,
		errors.Join(&registry.KeyError{Key: "replies.token_file", Err: errors.New("missing")}))
	got := registry.KeyErrors(err)
	var keys []string
	for _, ke := range got {
		keys = append(keys, ke.Key+"="+ke.Err.Error())
	}
	if want := []string{"url_env=unset", "=no route", "replies.token_file=missing"}; !slices.Equal(keys, want) {
		t.Errorf("KeyErrors = %v, want %v", keys, want)
	}
	if registry.KeyErrors(nil) != nil {
		t.Error("KeyErrors(nil) is not empty")
	}
}

func TestBuildNamesTheChannel(t *testing.T) {
	_, err := registry.Build(nothing{}, registry.Deps{Name: "pager"})
	if err == nil || err.Error() != "channel pager: nothing" {
		t.Errorf("Build = %v", err)
	}
}
