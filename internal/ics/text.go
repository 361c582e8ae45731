package ics

import (
	"bufio"
	"strings"
	"unicode/utf8"
)

// maxLineOctets is RFC 5545's limit on a content line, not counting the
// CRLF. Phone calendars are known to reject or mangle longer lines.
const maxLineOctets = 75

// lineWriter writes content lines with CRLF endings, folded to
// maxLineOctets. It keeps the first write error so that building a calendar
// reads as a plain sequence of lines, checked once at the end.
type lineWriter struct {
	w   *bufio.Writer
	err error
}

// prop writes NAME:value. The value must already be in its wire form (TEXT
// escaped, date-times formatted).
func (lw *lineWriter) prop(name, value string) {
	lw.line(name + ":" + value)
}

// propTZID writes NAME;TZID=tzid:value.
func (lw *lineWriter) propTZID(name, tzid, value string) {
	lw.line(name + ";TZID=" + paramValue(tzid) + ":" + value)
}

// text writes a TEXT property, escaping value.
func (lw *lineWriter) text(name, value string) {
	lw.prop(name, escapeText(value))
}

func (lw *lineWriter) line(s string) {
	if lw.err != nil {
		return
	}
	_, lw.err = lw.w.WriteString(fold(s))
}

// fold splits s into physical lines of at most maxLineOctets octets, each
// continuation starting with one space (which counts towards the limit), all
// ending in CRLF. It cuts only at UTF-8 sequence boundaries: RFC 5545 forbids
// splitting a character, and readers that decode each physical line on its
// own would otherwise show replacement characters.
func fold(s string) string {
	var b strings.Builder
	b.Grow(len(s) + len(s)/maxLineOctets*3 + 2)
	limit := maxLineOctets
	for len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		b.WriteString(s[:cut])
		b.WriteString("\r\n ")
		s = s[cut:]
		limit = maxLineOctets - 1
	}
	b.WriteString(s)
	b.WriteString("\r\n")
	return b.String()
}

// escapeText renders s as an RFC 5545 TEXT value. Backslash, semicolon and
// comma are escaped because readers split on them (CATEGORIES and other
// list properties use commas); newlines become \n. Other control characters
// are not allowed in TEXT at all, so they are dropped rather than produce a
// file some importer refuses, and invalid UTF-8 is replaced for the same
// reason.
func escapeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\\' || r == ';' || r == ',':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n' || r == '\r':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			// dropped: CONTROL characters are not TSAFE-CHARs.
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// paramValue quotes a parameter value when it holds a character that would
// end it. IANA zone names never do, but a zone built by hand might.
func paramValue(v string) string {
	v = strings.ReplaceAll(v, `"`, "")
	if strings.ContainsAny(v, ";:,") {
		return `"` + v + `"`
	}
	return v
}
