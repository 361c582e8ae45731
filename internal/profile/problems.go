package profile

import (
	"fmt"
	"strings"
)

// Problem is one thing wrong with a profile, located in its file.
type Problem struct {
	File string
	// Pos is where the problem is; Col is 0 when only the line is known and
	// Line is 0 when the problem concerns the file as a whole.
	Pos Pos
	// Key is the key path ("exercise[1].days[2]"), empty for file-level
	// problems.
	Key string
	Msg string
	// Warning marks something the profile may say but probably does not
	// mean; it does not stop the profile from loading.
	Warning bool
}

// String formats the problem as PATH:LINE:COL: key.path: message, with
// "warning: " before the message of a warning.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Pos.Line > 0 {
		fmt.Fprintf(&b, ":%d", p.Pos.Line)
		if p.Pos.Col > 0 {
			fmt.Fprintf(&b, ":%d", p.Pos.Col)
		}
	}
	b.WriteString(": ")
	if p.Key != "" {
		b.WriteString(p.Key)
		b.WriteString(": ")
	}
	if p.Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(p.Msg)
	return b.String()
}

// Error is returned by Load and Parse when a profile has problems. It holds
// all of them, in file order.
type Error struct {
	Problems []Problem
}

func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// suggest returns the candidate closest to s when it is close enough to be a
// likely typo, for "did you mean" hints. Failing that, it returns the
// longest candidate of three or more letters that s starts with: a known
// word with a suffix ("bedtime", "wake_time") is far from it by edit
// distance but plainly meant it.
func suggest(s string, candidates []string) string {
	lower := strings.ToLower(s)
	ra := []rune(lower)
	best, bestDist := "", len(ra)/3+2
	var buf []int
	for _, c := range candidates {
		rb := []rune(strings.ToLower(c))
		// The distance is at least the difference in length: skipping a
		// candidate that cannot win keeps a hostile megabyte-long value
		// from costing a megabyte per candidate.
		if diff := len(rb) - len(ra); diff >= bestDist || -diff >= bestDist {
			continue
		}
		if need := 2 * (len(rb) + 1); cap(buf) < need {
			buf = make([]int, need)
		}
		if d := distance(ra, rb, buf); d < bestDist {
			best, bestDist = c, d
		}
	}
	if best != "" {
		return best
	}
	for _, c := range candidates {
		if len(c) >= 3 && len(c) > len(best) && strings.HasPrefix(lower, strings.ToLower(c)) {
			best = c
		}
	}
	return best
}

// distance is the Levenshtein edit distance between a and b; buf holds at
// least 2*(len(b)+1) ints of scratch space.
func distance(ra, rb []rune, buf []int) int {
	prev, cur := buf[:len(rb)+1], buf[len(rb)+1:2*(len(rb)+1)]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// hint formats a "did you mean" suffix, or nothing.
func hint(s string, candidates []string) string {
	if m := suggest(s, candidates); m != "" {
		return fmt.Sprintf(" (did you mean %q?)", m)
	}
	return ""
}

// wantHint formats what a value should be, with a "did you mean" in the
// same parentheses when one applies: " (want a, b; did you mean "a"?)".
func wantHint(want, s string, candidates []string) string {
	if m := suggest(s, candidates); m != "" {
		return fmt.Sprintf(" (%s; did you mean %q?)", want, m)
	}
	return " (" + want + ")"
}
