package profile_test

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/profile"
)

func nest(open, close string, n int, inner string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

// dotted returns a key of n segments.
func dotted(n int) string { return strings.TrimSuffix(strings.Repeat("a.", n), ".") }

func TestShapeLimits(t *testing.T) {
	const deep = "1:%d: tables, arrays and dotted keys nest more than 16 levels deep here; crampd refuses such a profile"
	tests := []struct {
		name string
		src  string
		want string // the single problem, or "" when the shape is accepted
	}{
		{name: "inline tables at the limit", src: "x = " + nest("{a = ", "}", 15, "1") + "\n", want: "unknown key"},
		{name: "inline tables over the limit", src: "x = " + nest("{a = ", "}", 16, "1") + "\n", want: fmt.Sprintf(deep, 81)},
		{name: "arrays at the limit", src: "x = " + nest("[", "]", 15, "1") + "\n", want: "unknown key"},
		{name: "arrays over the limit", src: "x = " + nest("[", "]", 16, "1") + "\n", want: fmt.Sprintf(deep, 20)},
		{name: "tables in arrays over the limit", src: "x = " + nest("[{a = ", "}]", 8, "1") + "\n", want: fmt.Sprintf(deep, 49)},
		{name: "dotted key at the limit", src: dotted(16) + " = 1\n", want: "unknown key"},
		{name: "dotted key over the limit", src: dotted(17) + " = 1\n", want: fmt.Sprintf(deep, 1)},
		{name: "table header over the limit", src: "[" + dotted(17) + "]\n", want: fmt.Sprintf(deep, 1)},
		{name: "array of tables header over the limit", src: "[[" + dotted(16) + "]]\n", want: fmt.Sprintf(deep, 1)},
		{name: "key under a deep header", src: "[" + dotted(10) + "]\n" + dotted(7) + " = 1\n", want: "2:1: tables, arrays and dotted keys nest"},
		{name: "brackets in strings do not count", src: `x = "` + strings.Repeat("[{", 40) + `"` + "\ny = '" + strings.Repeat("[", 40) + "'\n", want: "unknown key"},
		{name: "brackets in multi-line strings do not count", src: "x = \"\"\"\n" + strings.Repeat("[", 40) + "\n\\\"\"\"\n" + strings.Repeat("{", 40) + "\"\"\"\"\"\ny = '''" + strings.Repeat("[", 40) + "'''\n", want: "unknown key"},
		{name: "brackets in comments do not count", src: "# " + strings.Repeat("[", 40) + "\nx = [ # " + strings.Repeat("[", 40) + "\n 1,\n]\n", want: "unknown key"},
		{name: "quoted keys with dots are one segment", src: `"` + dotted(40) + `" = 1` + "\n", want: "unknown key"},
		{name: "too many values", src: "x = [" + strings.Repeat("1,", profile.MaxEntries) + "]\n", want: fmt.Sprintf("1:%d: the profile holds more than %d keys and values; crampd refuses it", 6+2*(profile.MaxEntries-2), profile.MaxEntries)},
		{name: "too many tables", src: strings.Repeat("[[exercise]]\n", profile.MaxEntries+1), want: fmt.Sprintf("%d:1: the profile holds more than", profile.MaxEntries+1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := profile.Parse("p.toml", []byte(tt.src))
			var perr *profile.Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse = %v, want problems", err)
			}
			got := strings.TrimPrefix(perr.Problems[0].String(), "p.toml:")
			if !strings.Contains(got, tt.want) {
				t.Errorf("first problem %q, want one containing %q", got, tt.want)
			}
		})
	}
}

// The profiles that took seconds and gigabytes are refused at once.
func TestDeepProfilesAreRefusedCheaply(t *testing.T) {
	tests := []struct {
		name string
		src  string
	}{
		{"7,000 nested inline tables", "x = " + nest("{a = ", "}", 7000, "1")},
		{"10,000 nested inline tables", "[sleep]\nwake = " + nest("{a = ", "}", 10000, "1")},
		{"100,000 nested arrays", "x = " + nest("[", "]", 100000, "")},
		{"a 10,000-segment key", dotted(10000) + " = 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			_, err := profile.Parse("p.toml", []byte(tt.src))
			took := time.Since(start)
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), "nest more than 16 levels deep") {
				t.Fatalf("Parse = %v", err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("refusing it allocated %d bytes", n)
			}
			t.Logf("refused in %v", took)
		})
	}
}
