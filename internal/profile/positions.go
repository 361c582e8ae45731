package profile

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// Pos is a 1-based line and column in a profile. Columns count characters,
// not bytes, so they match what an editor shows.
type Pos struct {
	Line, Col int
}

// spot records where a key and its value start.
type spot struct {
	key, value Pos
}

// positions maps a key path ("sleep.wake", "exercise[2].days[1]") to where it
// appears. BurntSushi/toml keeps its own key positions private, so crampd
// indexes the source itself. The indexer only ever sees documents that the
// TOML parser has already accepted, so it can skip over values without
// validating them; on anything unexpected it stops and returns what it has.
type positions map[string]spot

// indexPositions scans src and records the position of every key, table
// header and array element.
func indexPositions(src string) positions {
	ix := &indexer{src: src, line: 1, col: 1, out: positions{}, arrays: map[string]int{}}
	defer func() {
		// A document the parser accepted should never trip the indexer, but a
		// missing position must not turn into a crash.
		_ = recover()
	}()
	ix.document()
	return ix.out
}

type indexer struct {
	src       string
	off       int
	line, col int
	prefix    string
	out       positions
	// arrays counts the entries of each array of tables seen so far, by
	// resolved path.
	arrays map[string]int
}

func (ix *indexer) eof() bool { return ix.off >= len(ix.src) }

func (ix *indexer) peek() byte {
	if ix.eof() {
		return 0
	}
	return ix.src[ix.off]
}

func (ix *indexer) hasPrefix(s string) bool { return strings.HasPrefix(ix.src[ix.off:], s) }

func (ix *indexer) pos() Pos { return Pos{Line: ix.line, Col: ix.col} }

// next consumes one character, keeping line and column up to date.
func (ix *indexer) next() {
	if ix.eof() {
		return
	}
	r, size := utf8.DecodeRuneInString(ix.src[ix.off:])
	ix.off += size
	if r == '\n' {
		ix.line++
		ix.col = 1
	} else {
		ix.col++
	}
}

func (ix *indexer) skip(n int) {
	for i := 0; i < n; i++ {
		ix.next()
	}
}

// space skips blanks on the current line.
func (ix *indexer) space() {
	for c := ix.peek(); c == ' ' || c == '\t'; c = ix.peek() {
		ix.next()
	}
}

// gap skips blanks, newlines and comments.
func (ix *indexer) gap() {
	for !ix.eof() {
		switch c := ix.peek(); {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			ix.next()
		case c == '#':
			for !ix.eof() && ix.peek() != '\n' {
				ix.next()
			}
		default:
			return
		}
	}
}

func (ix *indexer) document() {
	for {
		ix.gap()
		if ix.eof() {
			return
		}
		start := ix.pos()
		switch {
		case ix.hasPrefix("[["):
			ix.skip(2)
			parent, last := ix.headerPath()
			ix.skip(2)
			base := join(parent, last)
			ix.arrays[base]++
			ix.prefix = base + "[" + strconv.Itoa(ix.arrays[base]) + "]"
			ix.out[ix.prefix] = spot{key: start, value: start}
			if _, ok := ix.out[base]; !ok {
				ix.out[base] = spot{key: start, value: start}
			}
		case ix.peek() == '[':
			ix.next()
			parent, last := ix.headerPath()
			ix.next()
			ix.prefix = join(parent, last)
			ix.out[ix.prefix] = spot{key: start, value: start}
		default:
			ix.keyValue(ix.prefix)
		}
	}
}

// headerPath reads the dotted key of a table header and resolves every
// segment that names an array of tables to its latest entry.
func (ix *indexer) headerPath() (parent, last string) {
	ix.space()
	segs, _ := ix.key()
	ix.space()
	path := ""
	for i, s := range segs {
		if i == len(segs)-1 {
			return path, s
		}
		path = join(path, s)
		if n := ix.arrays[path]; n > 0 {
			path += "[" + strconv.Itoa(n) + "]"
		}
	}
	return path, ""
}

// keyValue reads `key = value` under prefix.
func (ix *indexer) keyValue(prefix string) {
	keyPos := ix.pos()
	segs, ok := ix.key()
	if !ok {
		// Not a key: give up rather than misattribute positions.
		ix.off = len(ix.src)
		return
	}
	path := prefix
	for _, s := range segs {
		path = join(path, s)
		if _, seen := ix.out[path]; !seen {
			ix.out[path] = spot{key: keyPos, value: keyPos}
		}
	}
	ix.space()
	if ix.peek() == '=' {
		ix.next()
	}
	ix.space()
	ix.value(path, keyPos)
}

// value records where the value at path starts and skips over it.
func (ix *indexer) value(path string, keyPos Pos) {
	ix.out[path] = spot{key: keyPos, value: ix.pos()}
	switch c := ix.peek(); {
	case ix.hasPrefix(`"""`):
		ix.multiline(`"""`, true)
	case ix.hasPrefix("'''"):
		ix.multiline("'''", false)
	case c == '"':
		ix.quoted('"', true)
	case c == '\'':
		ix.quoted('\'', false)
	case c == '[':
		ix.next()
		for i := 1; ; i++ {
			ix.gap()
			if ix.eof() || ix.peek() == ']' {
				ix.next()
				return
			}
			el := path + "[" + strconv.Itoa(i) + "]"
			ix.value(el, ix.pos())
			ix.gap()
			if ix.peek() == ',' {
				ix.next()
			}
		}
	case c == '{':
		ix.next()
		for {
			ix.gap()
			if ix.eof() || ix.peek() == '}' {
				ix.next()
				return
			}
			ix.keyValue(path)
			ix.gap()
			if ix.peek() == ',' {
				ix.next()
			}
		}
	default:
		// A number, boolean or date: it ends at a separator. Dates may hold
		// one inner space, which the separators below do not include.
		for !ix.eof() {
			switch ix.peek() {
			case ',', ']', '}', '\n', '#', '\r':
				return
			}
			ix.next()
		}
	}
}

// key reads a dotted key and returns its segments.
func (ix *indexer) key() ([]string, bool) {
	var segs []string
	for {
		ix.space()
		var s string
		switch c := ix.peek(); {
		case c == '"':
			s = ix.quoted('"', true)
		case c == '\'':
			s = ix.quoted('\'', false)
		case isBare(c):
			start := ix.off
			for !ix.eof() && isBare(ix.peek()) {
				ix.next()
			}
			s = ix.src[start:ix.off]
		default:
			return segs, len(segs) > 0
		}
		segs = append(segs, s)
		ix.space()
		if ix.peek() != '.' {
			return segs, true
		}
		ix.next()
	}
}

// quoted skips a one-line string and returns its contents; escapes are
// decoded well enough for the quoted keys a profile might use.
func (ix *indexer) quoted(q byte, escapes bool) string {
	ix.next()
	var b strings.Builder
	for !ix.eof() {
		c := ix.peek()
		if c == q {
			ix.next()
			break
		}
		if escapes && c == '\\' {
			start := ix.off
			ix.next()
			ix.next()
			if u, err := strconv.Unquote(`"` + ix.src[start:ix.off] + `"`); err == nil {
				b.WriteString(u)
			}
			continue
		}
		start := ix.off
		ix.next()
		b.WriteString(ix.src[start:ix.off])
	}
	return b.String()
}

// multiline skips a triple-quoted string, including up to two quotes that
// TOML allows right before the closing delimiter.
func (ix *indexer) multiline(delim string, escapes bool) {
	ix.skip(3)
	for !ix.eof() {
		if escapes && ix.peek() == '\\' {
			ix.skip(2)
			continue
		}
		if ix.hasPrefix(delim) {
			ix.skip(3)
			for ix.peek() == delim[0] {
				ix.next()
			}
			return
		}
		ix.next()
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// join appends a key segment to a path, quoting it when it is not bare.
func join(path, seg string) string {
	if seg == "" {
		return path
	}
	if !bareKey(seg) {
		seg = strconv.Quote(seg)
	}
	if path == "" {
		return seg
	}
	return path + "." + seg
}

func bareKey(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isBare(s[i]) {
			return false
		}
	}
	return s != ""
}
