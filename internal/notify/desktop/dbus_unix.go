//go:build (linux || freebsd || netbsd || openbsd || illumos) && !nodbus

package desktop

// buttonsPlatform reports whether notifications go over D-Bus here, which
// is where beeep itself uses D-Bus: elsewhere there is no session bus to
// ask for buttons, and beeep's platform path is the only one.
const buttonsPlatform = true
