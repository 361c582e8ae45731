package install

import (
	"context"
	"os/exec"
)

// ExecRunner runs commands as child processes. It is the Runner crampd uses
// outside tests.
type ExecRunner struct{}

// Run runs argv and returns its combined output, so that systemctl's
// explanations, which it prints on stderr, reach the user.
func (ExecRunner) Run(ctx context.Context, argv ...string) (string, error) {
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
	return string(out), err
}
