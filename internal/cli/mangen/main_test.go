package main

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/spf13/cobra"

	"github.com/crampd/crampd/internal/cli"
)

func TestGenerate(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "man1")
	env := map[string]string{"SOURCE_DATE_EPOCH": "1805011200"} // 2027-03-14 08:00 UTC
	clock := clockwork.NewFakeClockAt(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := generate(dir, "1.2.3", func(k string) string { return env[k] }, clock); err != nil {
		t.Fatal(err)
	}

	// One page per command a user can run, and none for hidden ones.
	var want []string
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.IsAvailableCommand() && c.HasParent() {
			return
		}
		want = append(want, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	root := cli.NewRoot(cli.Env{Stdout: io.Discard, Stderr: io.Discard, Getenv: os.Getenv, Clock: clock})
	root.InitDefaultCompletionCmd()
	walk(root)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("pages:\n%v\nwant:\n%v", got, want)
	}
	for _, page := range []string{"crampd.1", "crampd-plan.1", "crampd-cramp-log.1", "crampd-version.1"} {
		if !slices.Contains(got, page) {
			t.Errorf("no %s", page)
		}
	}

	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tt := range []struct {
		page string
		want []string
	}{
		{page: "crampd.1", want: []string{
			`.TH "CRAMPD" "1" "Mar 2027" "crampd 1.2.3" "crampd manual"`,
			"crampd - Reminders that help prevent leg cramps",
			"It is not medical advice",
			"crampd-plan(1)",
		}},
		{page: "crampd-plan.1", want: []string{
			`.TH "CRAMPD-PLAN" "1" "Mar 2027"`,
			`\fB--no-alarms\fP`,
			"--from",
		}},
	} {
		text := read(tt.page)
		for _, w := range tt.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s lacks %q", tt.page, w)
			}
		}
	}
	for _, name := range got {
		if strings.Contains(read(name), "Auto generated") {
			t.Errorf("%s carries cobra's auto-generated tag", name)
		}
	}
}

func TestPageDate(t *testing.T) {
	clock := clockwork.NewFakeClockAt(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC))
	tests := []struct {
		name    string
		epoch   string
		want    time.Time
		wantErr bool
	}{
		{name: "clock without SOURCE_DATE_EPOCH", want: clock.Now()},
		{name: "SOURCE_DATE_EPOCH", epoch: "1805011200", want: time.Date(2027, 3, 14, 8, 0, 0, 0, time.UTC)},
		{name: "not a number", epoch: "yesterday", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pageDate(func(string) string { return tt.epoch }, clock)
			if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
				t.Errorf("pageDate = %v, %v; want %v, error %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
