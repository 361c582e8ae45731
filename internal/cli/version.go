package cli

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// buildInfo reads the binary's build information; tests replace it.
var buildInfo = debug.ReadBuildInfo

// versionPrefix starts the version text, as cobra's --version starts it.
const versionPrefix = "crampd version "

// version describes this binary in a few lines: the module version, the
// commit it was built from (and whether the tree had changes that are not
// in that commit), and the Go toolchain. The go command records all of it
// at build time, so a bug report can name exactly what ran.
func version(bi *debug.BuildInfo, ok bool) string {
	if !ok {
		return fmt.Sprintf("%sunknown (no build information)\nbuilt with %s for %s/%s\n", versionPrefix, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s%s\n", versionPrefix, v)
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	if rev := settings["vcs.revision"]; rev != "" {
		fmt.Fprintf(&b, "commit %s", rev)
		if t := settings["vcs.time"]; t != "" {
			fmt.Fprintf(&b, " of %s", t)
		}
		if settings["vcs.modified"] == "true" {
			b.WriteString(", with uncommitted changes")
		}
		b.WriteString("\n")
	} else {
		b.WriteString("commit unknown (the build recorded no version control information)\n")
	}
	goos, goarch := settings["GOOS"], settings["GOARCH"]
	if goos == "" {
		goos, goarch = runtime.GOOS, runtime.GOARCH
	}
	fmt.Fprintf(&b, "built with %s for %s/%s\n", cmp.Or(bi.GoVersion, runtime.Version()), goos, goarch)
	return b.String()
}

// versionText is version for the running binary.
func versionText() string {
	bi, ok := buildInfo()
	return version(bi, ok)
}

func newVersionCmd(env Env) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print crampd's version and the commit it was built from",
		Long: `Version prints the module version, the source commit this binary was built
from (and whether the tree had uncommitted changes), and the Go version. The
same as crampd --version.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprint(env.Stdout, versionText())
			return err
		},
	}
}

// ModuleVersion is the running binary's module version, such as v1.2.3 or
// a pseudo-version, or "(devel)" when the build recorded none.
func ModuleVersion() string {
	if bi, ok := buildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
