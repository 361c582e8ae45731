package reply_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/crampd/crampd/internal/notify"
	"github.com/crampd/crampd/internal/notify/reply"
)

var press = reply.Press{OccurrenceID: "medication-0123456789ab", Action: notify.ActionDone, Nonce: "medication-0123456789ab.2"}

func mustKey(t testing.TB) reply.Key {
	t.Helper()
	k, err := reply.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignedRepliesOpenAndForgedOnesDoNot(t *testing.T) {
	k := mustKey(t)
	body, err := k.Sign(press)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k.Open(body); err != nil || got != press {
		t.Fatalf("Open(Sign(p)) = %+v, %v", got, err)
	}
	// ntfy may hand a message back with a trailing newline.
	if got, err := k.Open(body + "\n"); err != nil || got != press {
		t.Fatalf("with a newline: %+v, %v", got, err)
	}
	fields := strings.Fields(body)
	swap := func(i int, v string) string {
		f := append([]string(nil), fields...)
		f[i] = v
		return strings.Join(f, " ")
	}
	tests := []struct {
		name string
		body string
		want error
	}{
		{name: "another occurrence", body: swap(1, "medication-ba9876543210"), want: reply.ErrForged},
		{name: "another action", body: swap(2, "skip"), want: reply.ErrForged},
		{name: "another nonce", body: swap(3, "medication-0123456789ab.3"), want: reply.ErrForged},
		{name: "another MAC", body: swap(4, strings.Repeat("A", 43)), want: reply.ErrForged},
		{name: "signed with another key", body: func() string { b, _ := mustKey(t).Sign(press); return b }(), want: reply.ErrForged},
		{name: "a short MAC", body: swap(4, "AAAA"), want: reply.ErrNotReply},
		{name: "another version", body: swap(0, "crampd2"), want: reply.ErrNotReply},
		{name: "a field missing", body: strings.Join(fields[:4], " "), want: reply.ErrNotReply},
		{name: "a field too many", body: body + " x", want: reply.ErrNotReply},
		{name: "plain text", body: "Done", want: reply.ErrNotReply},
		{name: "empty", body: "", want: reply.ErrNotReply},
		{name: "huge", body: body + strings.Repeat(" ", 600), want: reply.ErrNotReply},
		{name: "control characters", body: swap(3, "a\x1bb"), want: reply.ErrNotReply},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := k.Open(tt.body); !errors.Is(err, tt.want) {
				t.Fatalf("Open(%q) = %v, want %v", tt.body, err, tt.want)
			}
		})
	}
	if _, err := (reply.Key{}).Open(body); !errors.Is(err, reply.ErrForged) {
		t.Fatalf("the zero key opened a reply: %v", err)
	}
	if _, err := k.Sign(reply.Press{OccurrenceID: "a b", Action: notify.ActionDone, Nonce: "n"}); err == nil {
		t.Fatal("signed an id with a space")
	}
}

func TestLoadKeyMakesOnePrivateKey(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "state")
	keys := make([]reply.Key, 8)
	errs := make([]error, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() { keys[i], errs[i] = reply.LoadKey(dir) })
	}
	wg.Wait()
	body, _ := keys[0].Sign(press)
	for i := range keys {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if _, err := keys[i].Open(body); err != nil {
			t.Fatalf("load %d made another key: %v", i, err)
		}
	}
	path := filepath.Join(dir, reply.KeyFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v; want mode 0600", fi.Mode(), err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("the state directory holds %d files, want the key alone", len(entries))
	}
	again, err := reply.LoadKey(dir)
	if _, oerr := again.Open(body); err != nil || oerr != nil {
		t.Fatalf("reloading the key: %v, %v", err, oerr)
	}

	os.Chmod(path, 0o644)
	if _, err := reply.LoadKey(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a key readable by others: %v", err)
	}
	os.Chmod(path, 0o600)
	os.WriteFile(path, []byte("not hex\n"), 0o600)
	if _, err := reply.LoadKey(dir); err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("a damaged key: %v", err)
	}
}

func FuzzOpen(f *testing.F) {
	k, err := reply.NewKey()
	if err != nil {
		f.Fatal(err)
	}
	body, _ := k.Sign(press)
	for _, s := range []string{body, "", "crampd1", "crampd1 a b c d", "crampd1 a b c " + strings.Repeat("A", 43)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := k.Open(s)
		if err == nil && s != body && strings.TrimSpace(s) != body {
			t.Fatalf("opened %q as %+v", s, p)
		}
	})
}
