package channels_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/logging"
	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/httpx/httpxtest"
	"github.com/crampd/crampd/internal/notify/registry"
	"github.com/crampd/crampd/internal/outbox"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/store"
)

// lockedBuffer collects log output written from the outbox's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Every secret a profile names stays out of the log and the delivery store,
// even when the receiver echoes the whole request back: a token in a secret
// URL's path or query, userinfo, and a bearer token.
func TestSecretsReachNeitherTheLogNorTheDatabase(t *testing.T) {
	srv := httpxtest.Echo(t)
	host := strings.TrimPrefix(srv.URL, "http://")
	secrets := map[string]string{
		"path token":     "T0PATHSECRET1/B0PATHSECRET2/XXpathtokenXX",
		"query token":    "qtoken0SECRET",
		"userinfo":       "pw0SECRET",
		"bearer token":   "tk_bearer0SECRET",
		"env URL token":  "envpath0SECRET",
		"credential URL": "credpath0SECRET",
		"Basic userinfo": "cr3d0SECRET",
	}
	dir := t.TempDir()
	creds := t.TempDir()
	os.WriteFile(filepath.Join(dir, "slack.url"), []byte("http://"+host+"/services/"+secrets["path token"]+"?access-token="+secrets["query token"]+"\n"), 0o600)
	os.WriteFile(filepath.Join(creds, "discord-url"), []byte("http://bob:"+secrets["Basic userinfo"]+"@"+host+"/api/webhooks/"+secrets["credential URL"]), 0o400)
	env := map[string]string{
		"CRAMPD_NTFY_URL":       "http://alice:" + secrets["userinfo"] + "@" + host + "/" + secrets["env URL token"],
		"CRAMPD_NTFY_TOKEN":     secrets["bearer token"],
		"CREDENTIALS_DIRECTORY": creds,
	}
	getenv := func(k string) string { return env[k] }
	path := filepath.Join(dir, "profile.toml")
	os.WriteFile(path, []byte(`[[channel]]
type = "webhook"
name = "slack"
url_file = "slack.url"

[[channel]]
type = "ntfy"
name = "phone"
url_env = "CRAMPD_NTFY_URL"
secret_env = "CRAMPD_NTFY_TOKEN"

[[channel]]
type = "webhook"
name = "discord"
url_credential = "discord-url"
`), 0o600)

	p, err := profile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.CheckSecrets(getenv); err != nil {
		t.Fatal(err)
	}
	clock := clockwork.NewFakeClockAt(time.Date(2027, 5, 3, 9, 0, 0, 0, time.UTC))
	var logs lockedBuffer
	log := logging.New(&logs, slog.LevelDebug, true)
	notifiers := map[string]notify.Notifier{}
	var names []string
	for _, c := range p.Channels {
		n, err := registry.Build(c.Config, registry.Deps{Name: c.Name, Clock: clock, Logger: log, Getenv: getenv})
		if err != nil {
			t.Fatal(err)
		}
		notifiers[c.Name] = n
		names = append(names, c.Name)
	}

	st, err := store.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ob := outbox.New(st, clock, log, 4)
	ob.SetChannels(notifiers)
	settled := make(chan domain.Delivery, 16)
	ob.OnSettled(func(d domain.Delivery) { settled <- d })
	ob.Start()
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		ob.Stop(stop)
	})
	ctx := context.Background()

	now := clock.Now()
	o := domain.Occurrence{Kind: domain.KindMedication, Rule: "test", At: now, Title: "Pill", Body: "Take it.", Why: "w"}
	o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
	ds, err := st.RecordFired(ctx, now, []store.Due{{Occurrence: o, Channels: names, Expires: now.Add(2 * time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	ob.Submit(ds)
	for range names {
		select {
		case d := <-settled:
			if d.Attempts != 1 || d.Status != domain.StatusPending || !strings.Contains(d.LastError, "500") {
				t.Fatalf("delivery %s: %s after %d attempts (%s), want pending after a 500", d.Channel, d.Status, d.Attempts, d.LastError)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no attempt finished")
		}
	}

	var stored strings.Builder
	rows, err := st.DB().Query(`SELECT last_error FROM deliveries`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		stored.WriteString(s + "\n")
	}
	rows.Close()
	t.Logf("stored errors:\n%s", stored.String())
	if !strings.Contains(stored.String(), "Authorization: REDACTED") {
		t.Errorf("the stored error no longer quotes the receiver's answer: %s", stored.String())
	}
	for what, secret := range secrets {
		for _, part := range strings.Split(secret, "/") {
			if strings.Contains(stored.String(), part) {
				t.Errorf("%s %q is in the database", what, part)
			}
			if strings.Contains(logs.String(), part) {
				t.Errorf("%s %q is in the log", what, part)
			}
		}
	}
	// The Basic credentials net/http derives from userinfo and the
	// receiver echoed.
	if basic := base64.StdEncoding.EncodeToString([]byte("bob:" + secrets["Basic userinfo"])); strings.Contains(stored.String()+logs.String(), basic) {
		t.Error("the userinfo's Basic credentials leaked")
	}
	if !strings.Contains(stored.String(), "Authorization: REDACTED") {
		t.Errorf("the webhook with userinfo sent no Basic credentials to echo: %s", stored.String())
	}
	if !strings.Contains(logs.String(), "delivery will be retried") {
		t.Errorf("log lacks the failed attempts:\n%s", logs.String())
	}
}
