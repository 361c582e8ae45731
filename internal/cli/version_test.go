package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
)

func TestVersionText(t *testing.T) {
	built := "built with go1.26.8 for linux/amd64\n"
	settings := func(kv ...string) []debug.BuildSetting {
		var out []debug.BuildSetting
		for i := 0; i < len(kv); i += 2 {
			out = append(out, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return out
	}
	platform := settings("GOOS", "linux", "GOARCH", "amd64")
	tests := []struct {
		name string
		bi   *debug.BuildInfo
		ok   bool
		want string
	}{
		{
			name: "release from a clean tree",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v1.2.3"},
				Settings: append(settings("vcs", "git", "vcs.revision", "0123456789abcdef0123456789abcdef01234567", "vcs.time", "2027-03-14T09:00:00Z", "vcs.modified", "false"), platform...)},
			ok:   true,
			want: "crampd version v1.2.3\ncommit 0123456789abcdef0123456789abcdef01234567 of 2027-03-14T09:00:00Z\n" + built,
		},
		{
			name: "modified tree",
			bi: &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "v0.0.0-20270314090000-0123456789ab+dirty"},
				Settings: append(settings("vcs.revision", "0123456789abcdef0123456789abcdef01234567", "vcs.time", "2027-03-14T09:00:00Z", "vcs.modified", "true"), platform...)},
			ok: true,
			want: "crampd version v0.0.0-20270314090000-0123456789ab+dirty\n" +
				"commit 0123456789abcdef0123456789abcdef01234567 of 2027-03-14T09:00:00Z, with uncommitted changes\n" + built,
		},
		{
			name: "no version control information",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: platform},
			ok:   true,
			want: "crampd version (devel)\ncommit unknown (the build recorded no version control information)\n" + built,
		},
		{
			name: "no module version",
			bi:   &debug.BuildInfo{GoVersion: "go1.26.8", Settings: append(settings("vcs.revision", "abc"), platform...)},
			ok:   true,
			want: "crampd version (devel)\ncommit abc\n" + built,
		},
		{
			name: "no build information",
			ok:   false,
			want: "crampd version unknown (no build information)\nbuilt with " + runtime.Version() + " for " + runtime.GOOS + "/" + runtime.GOARCH + "\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := version(tt.bi, tt.ok); got != tt.want {
				t.Errorf("version:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}
