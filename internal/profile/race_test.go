//go:build race

package profile_test

// allocSlack widens allocation limits under the race detector, which
// disables sync.Pool reuse and so makes fmt and friends allocate more.
const allocSlack = 2
