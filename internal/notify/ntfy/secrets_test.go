package ntfy_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/notify/httpx/httpxtest"
	"github.com/crampd/crampd/internal/notify/ntfy"
)

func TestNotifyScrubsAReceiverEchoingTheRequest(t *testing.T) {
	srv := httpxtest.Echo(t)
	tests := []struct {
		name      string
		path      string
		secretURL bool
		token     string
		secrets   []string
	}{
		{name: "bearer token", path: "/cramps", token: "tk_bearer0SECRET0123456789", secrets: []string{"tk_bearer0SECRET0123456789"}},
		{name: "secret topic", path: "/my-private-topic0SECRET", secretURL: true, secrets: []string{"my-private-topic0SECRET"}},
		{name: "query token", path: "/cramps?access-token=ntq0SECRET", secrets: []string{"ntq0SECRET"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := ntfy.New(ntfy.Config{URL: srv.URL + tt.path, SecretURL: tt.secretURL, Token: tt.token, Clock: clockwork.NewFakeClockAt(now)})
			if err != nil {
				t.Fatal(err)
			}
			defer n.Close()
			err = n.Notify(context.Background(), message(domain.KindMedication, "Pill"))
			if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "Tags: pill,medication") {
				t.Fatalf("Notify = %v, want a 500 quoting the echo", err)
			}
			httpxtest.NoSecrets(t, err, tt.secrets...)
		})
	}
}

// A reload replaces every notifier; the old one's keep-alive connection
// must not stay open behind it.
func TestCloseDropsIdleConnections(t *testing.T) {
	srv, conns := httpxtest.Serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, `{"id":"abc","event":"message"}`)
	}))

	n, err := ntfy.New(ntfy.Config{URL: srv.URL + "/cramps", Clock: clockwork.NewFakeClockAt(now)})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Notify(context.Background(), message(domain.KindHydration, "Drink")); err != nil {
		t.Fatal(err)
	}
	conns.WaitFor(t, 1)
	closer, ok := any(n).(io.Closer)
	if !ok {
		t.Fatal("the ntfy notifier has no Close")
	}
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	conns.WaitFor(t, 0)
}
