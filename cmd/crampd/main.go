// Command crampd helps people who suffer leg cramps prevent them, with
// reminders built from a personal profile. See `crampd --help`.
//
// The daemon spends most of its life asleep. Go's sysmon still wakes once a
// minute, and since Go 1.25 re-reads the cgroup CPU limit on each wake to
// update GOMAXPROCS; crampd needs a fraction of one core whatever the
// limit, so it keeps GOMAXPROCS from start-up and the wakes cheap.
//
//go:debug updatemaxprocs=0
package main

import (
	"context"
	"os"

	"github.com/crampd/crampd/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:]))
}
