// Command crampd helps people who suffer leg cramps prevent them, with
// reminders built from a personal profile. See `crampd --help`.
package main

import (
	"context"
	"os"

	"github.com/crampd/crampd/internal/cli"
)

func main() {
	os.Exit(cli.Main(context.Background(), os.Args[1:]))
}
