//go:build !((linux || freebsd || netbsd || openbsd || illumos) && !nodbus)

package desktop

// buttonsPlatform reports whether notifications go over D-Bus here; see
// dbus_unix.go.
const buttonsPlatform = false
