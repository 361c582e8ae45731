package profile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"github.com/crampd/crampd/internal/notify/registry"
	"github.com/crampd/crampd/internal/profile"
)

// secretProblems loads the profile at path, which must load, and returns
// what CheckSecrets finds, each problem without the path prefix.
func secretProblems(t *testing.T, path string, getenv func(string) string) []string {
	t.Helper()
	p, err := profile.Load(path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	err = p.CheckSecrets(getenv)
	if err == nil {
		return nil
	}
	var perr *profile.Error
	if !errors.As(err, &perr) {
		t.Fatalf("CheckSecrets returned %T, want *profile.Error: %v", err, err)
	}
	var out []string
	for _, pr := range perr.Problems {
		out = append(out, strings.TrimPrefix(pr.String(), path+":"))
	}
	return out
}

func noEnv(string) string { return "" }

// othersFile returns a readable file that belongs to another user, and that
// user's uid. Root gives a file of its own away; anyone else uses
// /etc/passwd, which root owns and everyone may read.
func othersFile(t *testing.T, dir string) (string, int) {
	t.Helper()
	if os.Geteuid() != 0 {
		fi, err := os.Stat("/etc/passwd")
		if err != nil || fi.Sys().(*syscall.Stat_t).Uid != 0 {
			t.Skip("no file of another user to try: /etc/passwd is missing or not root's")
		}
		return "/etc/passwd", 0
	}
	const nobody = 65534
	name := filepath.Join(dir, "theirs.key")
	if err := os.WriteFile(name, []byte("s3cret-theirs"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(name, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	return name, nobody
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string, mode os.FileMode) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		return path
	}
	link := func(name, target string) string {
		path := filepath.Join(dir, name)
		if err := os.Symlink(target, path); err != nil {
			t.Fatal(err)
		}
		return path
	}
	private := write("private.key", "whsec_c2VjcmV0\n", 0o600)
	shared := write("shared.key", "s3cret-shared", 0o644)
	theirs, uid := othersFile(t, dir)
	belongs := fmt.Sprintf(" belongs to another user (uid %d); it must be a file you own, readable only by you", uid)
	big := filepath.Join(dir, "big.key")
	f, err := os.OpenFile(big, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	// 200 MB without writing them: a sparse file.
	if err := f.Truncate(200 << 20); err != nil {
		t.Fatal(err)
	}
	f.Close()
	exact := write("exact.key", strings.Repeat("k", registry.MaxSecretSize), 0o600)
	fifo := filepath.Join(dir, "fifo.key")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	subdir := filepath.Join(dir, "keys.d")
	os.Mkdir(subdir, 0o700)

	tests := []struct {
		name string
		file string
		want string // the single problem after "4:15: channel[1].secret_file: ", or "" for none
	}{
		{name: "private file", file: private},
		{name: "relative to the profile", file: "private.key"},
		{name: "link to a private file", file: link("link.key", private)},
		{name: "exactly the size limit", file: exact},
		{name: "missing", file: "nope.key", want: "secret file " + filepath.Join(dir, "nope.key") + " does not exist"},
		{name: "group readable", file: shared, want: "secret file " + shared + " is readable by group or others (mode 0644); run: chmod 600 " + shared},
		{name: "another user's file", file: theirs, want: "secret file " + theirs + belongs},
		{name: "link to another user's file", file: link("theirs-link.key", theirs),
			want: "secret file " + filepath.Join(dir, "theirs-link.key") + " (a link to " + theirs + ")" + belongs},
		{name: "the process environment", file: "/proc/self/environ", want: "secret file /proc/self/environ (a link to /proc/"},
		{name: "link to the process environment", file: link("env.key", "/proc/self/environ"), want: "is a kernel interface on procfs, not a file of yours; put the secret in a file you own"},
		{name: "huge file", file: big, want: "secret file " + big + " is larger than 64 KiB; a secret is a few hundred bytes at most"},
		{name: "named pipe", file: fifo, want: "secret file " + fifo + " is a named pipe, not a regular file"},
		{name: "directory", file: subdir, want: "secret file " + subdir + " is a directory, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeProfile(t, dir, "[[channel]]\ntype = \"webhook\"\nurl = \"https://example.com/hook\"\nsecret_file = \""+tt.file+"\"\n")
			done := make(chan []string, 1)
			go func() { done <- secretProblems(t, path, noEnv) }()
			var got []string
			select {
			case got = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("reading the secret blocked")
			}
			if tt.want == "" {
				if got != nil {
					t.Fatalf("problems: %v", got)
				}
				return
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], "4:15: channel[1].secret_file: ") || !strings.Contains(got[0], tt.want) {
				t.Fatalf("problems: %q\nwant one at 4:15 containing %q", got, tt.want)
			}
			if strings.Contains(got[0], "s3cret") || strings.Contains(got[0], "chmod 600") && tt.name != "group readable" {
				t.Fatalf("problem %q leaks the secret or gives the wrong advice", got[0])
			}
		})
	}
}

// A huge secret file is refused from its size, not by reading it.
func TestHugeSecretFileIsNotRead(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.key")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(200 << 20)
	f.Close()
	os.Chmod(big, 0o600)
	path := writeProfile(t, dir, "[[channel]]\ntype = \"ntfy\"\nurl = \"https://ntfy.example.com/legs\"\nsecret_file = \"big.key\"\n")
	p, err := profile.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err = p.CheckSecrets(noEnv)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "larger than 64 KiB") {
		t.Fatalf("CheckSecrets = %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("refusing a 200 MB secret file allocated %d bytes", n)
	}
}

func TestSecretEnvAndCredential(t *testing.T) {
	dir := t.TempDir()
	path := writeProfile(t, dir, `[[channel]]
type = "ntfy"
url = "https://ntfy.example.com/legs"
secret_env = "CRAMPD_TEST_TOKEN"

[[channel]]
type = "webhook"
url = "https://example.com/hook"
credential = "webhook-key"
`)
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	got := secretProblems(t, path, getenv)
	if len(got) != 2 {
		t.Fatalf("problems = %q, want two", got)
	}
	if !strings.HasPrefix(got[0], "4:14: channel[1].secret_env: ") || !strings.Contains(got[0], "CRAMPD_TEST_TOKEN is empty or unset") {
		t.Errorf("problem 1 = %s", got[0])
	}
	if !strings.HasPrefix(got[1], "9:14: channel[2].credential: ") || !strings.Contains(got[1], "CREDENTIALS_DIRECTORY") {
		t.Errorf("problem 2 = %s", got[1])
	}

	creds := t.TempDir()
	env["CRAMPD_TEST_TOKEN"] = "tk_t0ken"
	env["CREDENTIALS_DIRECTORY"] = creds
	got = secretProblems(t, path, getenv)
	if len(got) != 1 || !strings.Contains(got[0], `credential "webhook-key" is not in $CREDENTIALS_DIRECTORY; add LoadCredential=webhook-key:PATH`) {
		t.Fatalf("problems = %q", got)
	}
	// systemd owns credential files and grants access with ACLs, so their
	// mode is not the user's to choose.
	os.WriteFile(filepath.Join(creds, "webhook-key"), []byte("k3y-value\n"), 0o440)
	if got := secretProblems(t, path, getenv); got != nil {
		t.Fatalf("problems = %q", got)
	}
}

// `crampd check` and the daemon read secrets through one function, so a
// secret check accepts is one the daemon can use, and the reverse.
func TestCheckAndBuildAgreeOnSecrets(t *testing.T) {
	tests := []struct {
		name, typ, secret string
		want              string // "" when both accept it
	}{
		{name: "ntfy token", typ: "ntfy", secret: "tk_abcdefghijklmnop"},
		{name: "ntfy token with an inner newline", typ: "ntfy", secret: "tk_abc\ndefghijklmnop", want: "token must be printable ASCII without spaces or line breaks"},
		{name: "ntfy token with a space", typ: "ntfy", secret: "tk_abc defghijklmnop", want: "token must be printable ASCII"},
		{name: "webhook whsec key", typ: "webhook", secret: "whsec_c2VjcmV0LWtleS0wMTIz"},
		{name: "webhook passphrase", typ: "webhook", secret: "a plain shared passphrase"},
		{name: "webhook whsec key with bad base64", typ: "webhook", secret: "whsec_not*base64!", want: `webhook secret after "whsec_" is not valid base64`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := writeProfile(t, dir, "[[channel]]\ntype = \""+tt.typ+"\"\nurl = \"https://example.com/x\"\nsecret_env = \"CRAMPD_TEST_SECRET\"\n")
			getenv := func(k string) string {
				if k == "CRAMPD_TEST_SECRET" {
					return tt.secret
				}
				return ""
			}
			got := secretProblems(t, path, getenv)
			p, err := profile.Load(path)
			if err != nil {
				t.Fatal(err)
			}
			c := p.Channels[0]
			n, buildErr := registry.Build(c.Config, registry.Deps{Name: c.Name, Clock: clockwork.NewFakeClock(), Getenv: getenv})
			if tt.want == "" {
				if got != nil || buildErr != nil {
					t.Fatalf("check: %q; build: %v", got, buildErr)
				}
				if cl, ok := n.(interface{ Close() error }); ok {
					cl.Close()
				}
				return
			}
			if len(got) != 1 || !strings.HasPrefix(got[0], "4:14: channel[1].secret_env: ") || !strings.Contains(got[0], tt.want) {
				t.Errorf("check: %q, want one problem at 4:14 containing %q", got, tt.want)
			}
			if buildErr == nil || !strings.Contains(buildErr.Error(), tt.want) {
				t.Errorf("build: %v, want an error containing %q", buildErr, tt.want)
			}
			for _, e := range append(got, errString(buildErr)) {
				if strings.Contains(e, tt.secret) || strings.Contains(e, "not*base64") {
					t.Errorf("message quotes the secret: %s", e)
				}
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A secret that cannot be read is reported together with the profile's
// other problems, not only once they are fixed.
func TestSecretProblemsComeWithTheOthers(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "profile.toml")
	os.WriteFile(path, []byte("[sleep]\nbedtime = \"23:00\"\n[[channel]]\ntype = \"ntfy\"\nurl = \"https://ntfy.example.com/legs\"\nsecret_env = \"CRAMPD_NOPE_TOKEN\"\n"), 0o600)
	_, err := profile.LoadWith(path, func(string) string { return "" })
	var perr *profile.Error
	if !errors.As(err, &perr) || len(perr.Problems) != 2 {
		t.Fatalf("problems %v, want the unknown key and the unset variable", err)
	}
	if got := perr.Problems[1].String(); !strings.Contains(got, "6:14: channel[1].secret_env:") {
		t.Fatalf("second problem %s", got)
	}
}
