package webhook_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/crampd/crampd/internal/notify/httpx/httpxtest"
	"github.com/crampd/crampd/internal/notify/webhook"
)

func TestNotifyScrubsAReceiverEchoingTheRequest(t *testing.T) {
	srv := httpxtest.Echo(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	tests := []struct {
		name      string
		url       string
		secretURL bool
		secrets   []string
	}{
		{name: "token in a secret URL's path", url: "http://" + host + "/services/T0PATH1/B0PATH2/XXwhpathtokenXX", secretURL: true,
			secrets: []string{"T0PATH1", "B0PATH2", "XXwhpathtokenXX"}},
		{name: "token in the query", url: "http://" + host + "/hook?private_token=whq0SECRET&x-api-key=whk0SECRET",
			secrets: []string{"whq0SECRET", "whk0SECRET"}},
		{name: "userinfo sent as Basic credentials", url: "http://carol:whu0SECRET@" + host + "/hook",
			secrets: []string{"whu0SECRET", base64.StdEncoding.EncodeToString([]byte("carol:whu0SECRET"))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNotifier(t, webhook.Config{URL: tt.url, SecretURL: tt.secretURL})
			defer n.Close()
			err := n.Notify(context.Background(), message(1))
			if err == nil || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "Webhook-Id: "+message(1).ID) {
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
		w.WriteHeader(http.StatusNoContent)
	}))

	n := newNotifier(t, webhook.Config{URL: srv.URL})
	if err := n.Notify(context.Background(), message(1)); err != nil {
		t.Fatal(err)
	}
	conns.WaitFor(t, 1)
	closer, ok := any(n).(io.Closer)
	if !ok {
		t.Fatal("the webhook notifier has no Close")
	}
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	conns.WaitFor(t, 0)
	// A closed notifier still delivers, on a new connection.
	if err := n.Notify(context.Background(), message(2)); err != nil {
		t.Fatal(err)
	}
	conns.WaitFor(t, 1)
	closer.Close()
	conns.WaitFor(t, 0)
}
