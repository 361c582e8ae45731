package profile_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
)

// fill repeats unit(i) for i = 0, 1, ... until the next one would take the
// profile past MaxSize.
func fill(head string, unit func(i int) string) string {
	var b strings.Builder
	b.WriteString(head)
	for i := 0; ; i++ {
		u := unit(i)
		if b.Len()+len(u) > profile.MaxSize {
			return b.String()
		}
		b.WriteString(u)
	}
}

// under fills up to n entries' worth of unit, and at most MaxSize.
func under(n int, unit func(i int) string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		u := unit(i)
		if b.Len()+len(u) > profile.MaxSize {
			break
		}
		b.WriteString(u)
	}
	return b.String()
}

// checkAlloc is how much `crampd check` may allocate on any profile under
// 1 MiB, all garbage included: what it holds at once, and so its memory,
// is less.
const checkAlloc = 64 << 20 * allocSlack

// Loading a hostile profile of up to 1 MiB, as `crampd check` does (load,
// read secrets, plan a day), stays far below 100 MB: every profile is
// measured by the bytes it makes the loader allocate.
func TestCheckMemoryOnHostileProfiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "big.key")
	os.WriteFile(secret, []byte(strings.Repeat("k", 64<<10)), 0o600)
	tests := []struct {
		name string
		src  string
	}{
		{"deep inline tables", "x = " + strings.Repeat("{a = ", profile.MaxSize/10) + "1" + strings.Repeat("}", profile.MaxSize/10)},
		{"deep arrays", "x = " + strings.Repeat("[", profile.MaxSize/2-10) + strings.Repeat("]", profile.MaxSize/2-10)},
		{"a long dotted key", strings.Repeat("a.", profile.MaxSize/2-10) + "a = 1"},
		{"unknown keys", fill("", func(i int) string { return fmt.Sprintf("k%d = 1\n", i) })},
		// A key and its value are two entries.
		{"unknown keys, just under the entry limit", under(profile.MaxEntries/2-1, func(i int) string { return fmt.Sprintf("k%d = 1\n", i) })},
		{"a wide array", "x = [" + strings.Repeat("1,", profile.MaxEntries-3) + "]"},
		{"a wide array of inline tables", "x = [" + strings.Repeat("{},", profile.MaxEntries-3) + "]"},
		{"unknown foods", "[diet]\navoid = [" + strings.Repeat(`"xnuts",`, profile.MaxEntries-3) + "]"},
		{"array tables", fill("", func(int) string { return "[[exercise]]\n" })},
		{"valid exercises", under(profile.MaxEntries/9-1, func(i int) string {
			return fmt.Sprintf("[[exercise]]\nname = \"e%d\"\ndays = \"daily\"\nstart = \"%02d:%02d\"\nduration = \"1h\"\n", i, i/60%24, i%60)
		})},
		{"valid medications", under(profile.MaxEntries/8-1, func(i int) string {
			return fmt.Sprintf("[[medication]]\nname = \"m%d\"\ntimes = [\"%02d:%02d\"]\nmax_repeats = 0\n", i, i/60%24, i%60)
		})},
		{"channels at the cap, each with a big secret", under(profile.MaxChannels, func(i int) string {
			return fmt.Sprintf("[[channel]]\ntype = \"webhook\"\nurl = \"https://e.example/%d\"\nsecret_file = %q\n", i, secret)
		})},
		{"too many channels", fill("", func(int) string { return "[[channel]]\ntype = \"stdout\"\n" })},
		{"a custom reminder at the volume limit", "[[custom]]\nname = \"c\"\ntitle = \"t\"\ncron = \"*/2 * * * * *\"\n"},
		{"a long cron spec", "[[custom]]\nname = \"c\"\ntitle = \"t\"\ncron = \"" + strings.Repeat("1,", profile.MaxSize/2-40) + "1 * * * *\"\n"},
		{"a long time zone", "timezone = \"" + strings.Repeat("x", profile.MaxSize-20) + "\""},
		{"a long time zone of escapes", "timezone = \"" + strings.Repeat(`\U0001F600`, profile.MaxSize/10-5) + "\""},
		{"a long unknown key", strings.Repeat("x", profile.MaxSize-10) + " = 1"},
		{"a long unknown food", "[diet]\navoid = [\"" + strings.Repeat("x", profile.MaxSize-30) + "\"]"},
	}
	from := time.Date(2027, 3, 13, 12, 0, 0, 0, time.UTC)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.src) > profile.MaxSize {
				t.Fatalf("the profile is %d bytes, over MaxSize", len(tt.src))
			}
			path := filepath.Join(t.TempDir(), "profile.toml")
			if err := os.WriteFile(path, []byte(tt.src), 0o600); err != nil {
				t.Fatal(err)
			}
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			p, err := profile.Load(path)
			if err == nil {
				err = p.CheckSecrets(os.Getenv)
				plan.Days(p, from, 1)
			}
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			msg := fmt.Sprint(err)
			if len(msg) > 120 {
				msg = msg[:120] + "..."
			}
			t.Logf("%d KiB: allocated %.1f MB in %v: %s", len(tt.src)>>10, float64(alloc)/(1<<20), took.Round(time.Millisecond), msg)
			if alloc > checkAlloc {
				t.Errorf("checking it allocated %d MB, want at most %d MB", alloc>>20, checkAlloc>>20)
			}
		})
	}
}
