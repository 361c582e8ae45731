package install

import (
	_ "embed"
	"fmt"
	"path/filepath"
	"strings"
)

// The unit texts are copies of deploy/systemd, where packagers and admins
// look for them; go:embed cannot reach outside this package's directory.
// TestUnitsMatchDeploy fails when the copies drift.
//
//go:generate cp ../../deploy/systemd/crampd.service units/crampd.service
//go:generate cp ../../deploy/systemd/system/crampd.service units/system/crampd.service

//go:embed units/crampd.service
var userUnit string

//go:embed units/system/crampd.service
var systemUnit string

// UnitName is the service's name in both the user and the system manager, so
// `systemctl [--user] status crampd` works the same way in either.
const UnitName = "crampd.service"

// packagedBinary is where the shipped units expect crampd, as the Debian
// package installs it.
const packagedBinary = "/usr/bin/crampd"

// Unit returns the unit file for scope with ExecStart running binary instead
// of the packaged path.
func Unit(scope Scope, binary string) (string, error) {
	text := userUnit
	if scope == System {
		text = systemUnit
	}
	exec, err := quoteExecPath(binary)
	if err != nil {
		return "", err
	}
	const key = "ExecStart=" + packagedBinary
	lines := strings.SplitAfter(text, "\n")
	found := 0
	for i, l := range lines {
		rest, ok := strings.CutPrefix(l, key)
		// The packaged path must end there, or a longer name such as
		// /usr/bin/crampd2 would be half-rewritten.
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\n') {
			continue
		}
		lines[i] = "ExecStart=" + exec + rest
		found++
	}
	if found != 1 {
		return "", fmt.Errorf("%s unit has %d ExecStart=%s lines, want 1", scope, found, packagedBinary)
	}
	return strings.Join(lines, ""), nil
}

// quoteExecPath turns an absolute path into the first word of an ExecStart=
// line. systemd expands % specifiers there, so % is doubled; it does not
// expand $ in the executable name, so $ stays. Quotes keep a path with
// spaces one word. systemd refuses an executable name with a quote or a
// backslash, and a control character could end the line and smuggle in
// directives, so those are refused here, where the message can say what to
// do.
func quoteExecPath(path string) (string, error) {
	if !filepath.IsAbs(path) {
		return "", fmt.Errorf("binary path %q is not absolute", path)
	}
	for _, r := range path {
		if r < 0x20 || r == 0x7f || r == '"' || r == '\'' || r == '\\' {
			return "", fmt.Errorf("systemd cannot run %q: a unit's executable path may not hold quotes, backslashes or control characters; move crampd to a plainer path such as /usr/local/bin/crampd", path)
		}
	}
	s := strings.ReplaceAll(path, "%", "%%")
	if strings.ContainsAny(s, " \t;") {
		s = `"` + s + `"`
	}
	return s, nil
}
