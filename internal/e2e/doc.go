// Package e2e holds crampd's end-to-end tests. They build the real binary
// once, run it as a child process with its own home and state directories,
// and talk to it only as the outside world does: signals, the sd_notify
// socket, HTTP receivers, a D-Bus notification server and its output.
//
// The unit tests elsewhere drive the daemon on a fake clock; these tests
// exist for what a fake clock cannot show: that the binary wires signals,
// environment, secrets, sockets and the state database together, and that a
// process killed mid-delivery resumes from its outbox.
package e2e
