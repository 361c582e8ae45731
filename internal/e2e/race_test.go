//go:build race

package e2e

// raceEnabled makes TestMain build crampd with the race detector when the
// tests themselves run with it, so a data race in the daemon fails them.
const raceEnabled = true
