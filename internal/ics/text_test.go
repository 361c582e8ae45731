package ics

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // physical lines, without CRLF
	}{
		{name: "short", in: "SUMMARY:hi", want: []string{"SUMMARY:hi"}},
		{name: "exactly 75 octets", in: strings.Repeat("a", 75), want: []string{strings.Repeat("a", 75)}},
		{name: "76 octets", in: strings.Repeat("a", 76), want: []string{strings.Repeat("a", 75), " a"}},
		{
			name: "continuations hold 74 octets after the space",
			in:   strings.Repeat("b", 75+74+1),
			want: []string{strings.Repeat("b", 75), " " + strings.Repeat("b", 74), " b"},
		},
		{
			// 74 ASCII octets leave one octet, too few for "é" (2 octets),
			// so it moves whole to the next line.
			name: "two-octet character straddling the limit",
			in:   strings.Repeat("c", 74) + "éé",
			want: []string{strings.Repeat("c", 74), " éé"},
		},
		{
			name: "four-octet character straddling the limit",
			in:   strings.Repeat("d", 73) + "🦵x",
			want: []string{strings.Repeat("d", 73), " 🦵x"},
		},
		{name: "empty", in: "", want: []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fold(tt.in)
			if !strings.HasSuffix(got, "\r\n") {
				t.Fatalf("fold(%q) = %q, want a CRLF ending", tt.in, got)
			}
			lines := strings.Split(strings.TrimSuffix(got, "\r\n"), "\r\n")
			if strings.Join(lines, "|") != strings.Join(tt.want, "|") {
				t.Errorf("fold(%q) lines = %q, want %q", tt.in, lines, tt.want)
			}
			for _, l := range lines {
				if len(l) > maxLineOctets || !utf8.ValidString(l) {
					t.Errorf("line %q: %d octets, valid UTF-8 %v", l, len(l), utf8.ValidString(l))
				}
			}
			if unfolded := strings.ReplaceAll(strings.TrimSuffix(got, "\r\n"), "\r\n ", ""); unfolded != tt.in {
				t.Errorf("unfolded = %q, want %q", unfolded, tt.in)
			}
		})
	}
}

func TestEscapeText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "plain", in: "Drink water", want: "Drink water"},
		{name: "list and field separators", in: "salt, water; rest", want: `salt\, water\; rest`},
		{name: "backslash first", in: `a\n`, want: `a\\n`},
		{name: "newlines of every kind", in: "a\nb\r\nc\rd", want: `a\nb\nc\nd`},
		{name: "colon and quotes need nothing", in: `at 09:00 "now"`, want: `at 09:00 "now"`},
		{name: "tab kept, other controls dropped", in: "a\tb\x00c\x1bd\x7f", want: "a\tbcd"},
		{name: "invalid UTF-8 replaced", in: "a\xffb", want: "a\uFFFDb"},
		{name: "non-ASCII untouched", in: "Wadenkrämpfe, ふくらはぎ", want: `Wadenkrämpfe\, ふくらはぎ`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := escapeText(tt.in); got != tt.want {
				t.Errorf("escapeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestUTCOffset(t *testing.T) {
	tests := []struct {
		name string
		secs int
		want string
	}{
		{name: "zero is positive", secs: 0, want: "+0000"},
		{name: "new york winter", secs: -5 * 3600, want: "-0500"},
		{name: "lord howe winter", secs: 10*3600 + 30*60, want: "+1030"},
		{name: "chatham summer", secs: 13*3600 + 45*60, want: "+1345"},
		{name: "local mean time keeps seconds", secs: -(4*3600 + 56*60 + 2), want: "-045602"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := utcOffset(tt.secs); got != tt.want {
				t.Errorf("utcOffset(%d) = %q, want %q", tt.secs, got, tt.want)
			}
		})
	}
}
