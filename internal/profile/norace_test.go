//go:build !race

package profile_test

// allocSlack widens allocation limits under the race detector only.
const allocSlack = 1
