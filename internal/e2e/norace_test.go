//go:build !race

package e2e

// raceEnabled is false: without -race, crampd is built plainly too.
const raceEnabled = false
