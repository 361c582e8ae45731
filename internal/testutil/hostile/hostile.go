// Package hostile holds profiles of at most 1 MiB shaped to cost a
// loader time or memory: deep nesting, many entries, long strings, and
// many problems. The profile loader's tests and the check command's memory
// test both run them.
package hostile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crampd/crampd/internal/profile"
)

// Case is one hostile profile.
type Case struct {
	Name string
	Src  string
}

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

// Profiles returns the hostile profiles; one names a 64 KiB secret file it
// writes in a temporary directory of t's.
func Profiles(t testing.TB) []Case {
	t.Helper()
	secret := filepath.Join(t.TempDir(), "big.key")
	if err := os.WriteFile(secret, []byte(strings.Repeat("k", 64<<10)), 0o600); err != nil {
		t.Fatal(err)
	}
	return []Case{
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
}
