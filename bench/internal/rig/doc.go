// Package rig is the harness side of crampd's benchmarks and reliability
// tests: it builds the crampd binary, runs it as a child process that owns
// nothing of the developer's (its own HOME, state and NOTIFY_SOCKET),
// receives its webhooks, and reads its resource use from /proc.
//
// crampd is only ever driven from the outside, through its profile, its
// signals and its channels, so the figures describe the binary a user runs.
package rig
