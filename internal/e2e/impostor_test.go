package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/testutil/impostor"
)

// TestImpostorSocketIsRefused plays the attack on the fallback socket:
// XDG_RUNTIME_DIR is unset, so crampd's socket is $TMPDIR/crampd-UID, and
// another local user has made that directory first and serves a socket in
// it. The real daemon must refuse to start there, saying whose directory
// it is and what to do; the commands must refuse to talk to the impostor,
// so that no ack and no cramp note reaches it.
func TestImpostorSocketIsRefused(t *testing.T) {
	t.Parallel()
	impostor.RequireRoot(t)
	tmp := shortTempDir(t)
	// Like /tmp: everyone may create entries, each keeps their own.
	if err := os.Chmod(tmp, 0o1777); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(tmp, "crampd-"+strconv.Itoa(os.Getuid()))
	im := impostor.Squat(t, "", filepath.Join(dir, "crampd.sock"))

	s := newSandbox(t)
	s.writeProfile(quietBase + "\n[[channel]]\ntype = \"stdout\"\n")
	s.env = slices.DeleteFunc(s.env, func(kv string) bool { return strings.HasPrefix(kv, "XDG_RUNTIME_DIR=") })
	s.env = append(s.env, "TMPDIR="+tmp)

	d := s.crampd("crampd run", nil, "run", "--profile", s.profile, "--state", s.state)
	if st := d.wait(startTimeout); st.ExitCode() != 1 {
		t.Errorf("crampd run in a squatted socket directory exited with %v, want status 1", st)
	}
	for _, want := range []string{dir, "belongs to uid " + strconv.Itoa(impostor.UID), "Have it removed", "XDG_RUNTIME_DIR"} {
		if !strings.Contains(d.stderr.String(), want) {
			t.Errorf("crampd run's message does not say %q:\n%s", want, d.stderr.String())
		}
	}

	for _, args := range [][]string{
		{"status"},
		{"ack", "stretch-0123456789ab"},
		{"cramp", "log", "--severity", "9", "--note", "woke at three, left calf"},
	} {
		p := s.crampd("crampd "+args[0], nil, args...)
		if st := p.wait(10 * time.Second); st.ExitCode() != 1 {
			t.Errorf("crampd %s exited with %v, want status 1", strings.Join(args, " "), st)
		}
		if msg := p.stderr.String(); !strings.Contains(msg, "control socket not trusted") || !strings.Contains(msg, dir) {
			t.Errorf("crampd %s does not say it refused the socket in %s:\n%s", strings.Join(args, " "), dir, msg)
		}
		if out := p.stdout.String(); out != "" {
			t.Errorf("crampd %s printed an answer: %q", strings.Join(args, " "), out)
		}
	}
	if reqs := im.Requests(t); len(reqs) != 0 {
		t.Errorf("the impostor got %d requests: %q", len(reqs), reqs)
	}
}
