package profile

import "fmt"

// Limits on a profile's shape, checked before it is parsed. The TOML parser
// spends time and memory quadratic in how deeply a document nests (7,000
// nested inline tables took 8 s and 2 GB), and some per value, so both are
// bounded by a linear scan first. A real profile nests four levels at most
// ([[channel]], [channel.replies], a key, a list) and holds a few hundred
// values; the bound on entries leaves room for ten thousand custom
// reminders (seven entries each), which `check` still reads within a
// second and 100 MB.
const (
	// MaxDepth is how deeply tables, arrays and dotted keys may nest.
	MaxDepth = 16
	// MaxEntries is how many keys, table headers and values (each array
	// element counts) a profile may hold.
	MaxEntries = 75_000
)

// scanner walks a TOML document just well enough to measure its nesting and
// count its entries: it knows strings (so brackets inside them do not
// count), comments, keys, table headers and inline containers. It never
// builds anything and reads each byte once. A document it cannot follow is
// left to the parser, which reports the syntax error.
type scanner struct {
	src       []byte
	off       int
	line, col int
	entries   int
}

// frame is an open inline array or table: depth is the depth of its
// elements, or of the table itself.
type frame struct {
	array bool
	depth int
}

type scanMode int

const (
	wantKey   scanMode = iota // a key, or at the top a table header
	wantValue                 // the value after '=' or an array element
	afterValue
)

// checkShape returns a problem when src nests deeper than MaxDepth or holds
// more than MaxEntries entries, placed where the limit was crossed.
func checkShape(file string, src []byte) *Problem {
	s := &scanner{src: src, line: 1, col: 1}
	if msg := s.scan(); msg != "" {
		return &Problem{File: file, Pos: Pos{Line: s.line, Col: s.col}, Msg: msg}
	}
	return nil
}

func (s *scanner) peek(ahead int) byte {
	if s.off+ahead < len(s.src) {
		return s.src[s.off+ahead]
	}
	return 0
}

// next consumes one byte, counting lines and (UTF-8) columns.
func (s *scanner) next() {
	c := s.src[s.off]
	s.off++
	switch {
	case c == '\n':
		s.line++
		s.col = 1
	case c&0xC0 != 0x80:
		s.col++
	}
}

// blanks skips spaces and tabs.
func (s *scanner) blanks() {
	for c := s.peek(0); c == ' ' || c == '\t'; c = s.peek(0) {
		s.next()
	}
}

// over describes what is over a limit at the current position, or "".
func (s *scanner) over(depth int) string {
	if depth > MaxDepth {
		return fmt.Sprintf("tables, arrays and dotted keys nest more than %d levels deep here; crampd refuses such a profile", MaxDepth)
	}
	s.entries++
	if s.entries > MaxEntries {
		return fmt.Sprintf("the profile holds more than %d keys and values; crampd refuses it", MaxEntries)
	}
	return ""
}

func (s *scanner) scan() string {
	var stack []frame
	mode, base, depth := wantKey, 0, 0
	for s.off < len(s.src) {
		c := s.src[s.off]
		switch {
		case c == ' ' || c == '\t' || c == '\r':
			s.next()
			continue
		case c == '\n':
			s.next()
			if len(stack) == 0 {
				mode = wantKey
			}
			continue
		case c == '#':
			for s.off < len(s.src) && s.src[s.off] != '\n' {
				s.next()
			}
			continue
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		switch mode {
		case wantKey:
			switch {
			case top == nil && c == '[':
				line, col := s.line, s.col
				s.next()
				array := s.peek(0) == '['
				if array {
					s.next()
				}
				base = s.key()
				if array {
					base++
				}
				if msg := s.over(base); msg != "" {
					s.line, s.col = line, col
					return msg
				}
				for s.peek(0) == ']' || s.peek(0) == ' ' || s.peek(0) == '\t' {
					s.next()
				}
				mode = afterValue
			case top != nil && !top.array && c == '}':
				s.next()
				stack = stack[:len(stack)-1]
				mode = afterValue
			default:
				line, col := s.line, s.col
				n := s.key()
				if n == 0 {
					s.next()
					continue
				}
				parent := base
				if top != nil {
					parent = top.depth
				}
				depth = parent + n
				if msg := s.over(depth); msg != "" {
					s.line, s.col = line, col
					return msg
				}
				s.blanks()
				if s.peek(0) == '=' {
					s.next()
				}
				mode = wantValue
			}
		case wantValue:
			switch c {
			case '[':
				if msg := s.over(depth + 1); msg != "" {
					return msg
				}
				s.next()
				depth++
				stack = append(stack, frame{array: true, depth: depth})
			case '{':
				s.next()
				stack = append(stack, frame{depth: depth})
				mode = wantKey
			case ']':
				s.next()
				if top != nil && top.array {
					stack = stack[:len(stack)-1]
				}
				mode = afterValue
			case '"', '\'':
				if msg := s.over(depth); msg != "" {
					return msg
				}
				s.str()
				mode = afterValue
			default:
				if msg := s.over(depth); msg != "" {
					return msg
				}
				for s.off < len(s.src) {
					switch s.src[s.off] {
					case ',', ']', '}', '\n', '#':
					default:
						s.next()
						continue
					}
					break
				}
				mode = afterValue
			}
		case afterValue:
			s.next()
			switch {
			case c == ',' && top != nil && top.array:
				mode, depth = wantValue, top.depth
			case c == ',' && top != nil:
				mode = wantKey
			case c == ']' && top != nil && top.array, c == '}' && top != nil && !top.array:
				stack = stack[:len(stack)-1]
			}
		}
	}
	return ""
}

// key skips a dotted key and returns how many segments it has.
func (s *scanner) key() int {
	n := 0
	for {
		s.blanks()
		switch c := s.peek(0); {
		case c == '"' || c == '\'':
			s.str()
		case isBare(c):
			for isBare(s.peek(0)) {
				s.next()
			}
		default:
			return n
		}
		n++
		s.blanks()
		if s.peek(0) != '.' {
			return n
		}
		s.next()
	}
}

// str skips a basic or literal string, one-line or multi-line. A one-line
// string ends at the end of its line whatever it holds, as the parser will
// say.
func (s *scanner) str() {
	q := s.peek(0)
	escapes := q == '"'
	if s.peek(1) == q && s.peek(2) == q {
		s.next()
		s.next()
		s.next()
		for s.off < len(s.src) {
			c := s.src[s.off]
			if escapes && c == '\\' {
				s.next()
				if s.off < len(s.src) {
					s.next()
				}
				continue
			}
			if c == q && s.peek(1) == q && s.peek(2) == q {
				s.next()
				s.next()
				s.next()
				// Up to two quotes may end the content right before
				// the delimiter.
				for i := 0; i < 2 && s.peek(0) == q; i++ {
					s.next()
				}
				return
			}
			s.next()
		}
		return
	}
	s.next()
	for s.off < len(s.src) {
		c := s.src[s.off]
		if c == '\n' {
			return
		}
		s.next()
		if c == q {
			return
		}
		if escapes && c == '\\' && s.off < len(s.src) && s.src[s.off] != '\n' {
			s.next()
		}
	}
}
