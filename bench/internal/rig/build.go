package rig

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ModuleRoot returns the directory of the go.mod the go command uses.
func ModuleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module; run from the crampd repository")
	}
	return filepath.Dir(gomod), nil
}

// Build compiles ./cmd/crampd into dir and returns the binary's path. With
// rev empty it builds the working tree; otherwise it builds that commit,
// exported with git archive, so that other people's unfinished edits in the
// same checkout do not end up in the figures.
func Build(ctx context.Context, root, dir, rev string) (string, error) {
	src := root
	if rev != "" {
		src = filepath.Join(dir, "src")
		if err := os.MkdirAll(src, 0o755); err != nil {
			return "", err
		}
		archive := exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", rev)
		var tarball, stderr bytes.Buffer
		archive.Stdout, archive.Stderr = &tarball, &stderr
		if err := archive.Run(); err != nil {
			return "", fmt.Errorf("git archive %s: %w: %s", rev, err, stderr.String())
		}
		untar := exec.CommandContext(ctx, "tar", "-x", "-C", src)
		untar.Stdin = &tarball
		if out, err := untar.CombinedOutput(); err != nil {
			return "", fmt.Errorf("unpack %s: %w: %s", rev, err, out)
		}
	}
	bin := filepath.Join(dir, "crampd")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/crampd")
	cmd.Dir = src
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/crampd in %s: %w\n%s", src, err, out)
	}
	return bin, nil
}

// Describe names what Build built, for the record: the commit, and, for a
// build of the working tree, whether it had changes outside bench/.
func Describe(ctx context.Context, root, rev string) string {
	worktree := rev == ""
	if worktree {
		rev = "HEAD"
	}
	out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short=12", rev).Output()
	if err != nil {
		return "unknown commit"
	}
	desc := strings.TrimSpace(string(out))
	if !worktree {
		return desc
	}
	status, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--", ".", ":!bench").Output()
	if err == nil && len(bytes.TrimSpace(status)) > 0 {
		desc += " + uncommitted changes"
	}
	return desc
}
