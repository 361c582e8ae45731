package profile

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// decoder walks the generic TOML tree and collects every problem instead of
// stopping at the first, which a struct decoder cannot do.
type decoder struct {
	file  string
	pos   positions
	probs []Problem
	// typeKeys caches the keys each channel type reads, for messages.
	typeKeys map[string][]string
	warns    []Problem
	// dropped counts problems past MaxProblems.
	dropped int
}

// MaxProblems is how many problems a load reports: a profile with more is
// not fixed one problem at a time, and a hostile one would otherwise make
// check hold a message for each of tens of thousands of values.
const MaxProblems = 200

// problem records msg against the value at path (or the key, for keys that
// should not be there).
func (d *decoder) problem(path string, atKey bool, format string, args ...any) {
	if len(d.probs) >= MaxProblems {
		d.dropped++
		return
	}
	p := d.locate(path, atKey)
	p.Msg = fmt.Sprintf(format, args...)
	d.probs = append(d.probs, p)
}

// warnf records a warning against the value at path: something the
// profile may say but probably does not mean.
func (d *decoder) warnf(path, format string, args ...any) {
	w := d.locate(path, false)
	w.Msg = fmt.Sprintf(format, args...)
	w.Warning = true
	d.warns = append(d.warns, w)
}

// locate returns a problem without a message placed at the value at path
// (or its key).
func (d *decoder) locate(path string, atKey bool) Problem {
	p := Problem{File: d.file, Key: path}
	// Fall back to the nearest enclosing key that has a position, so a
	// missing key still points at its table.
	for q := path; ; {
		if s, ok := d.pos[q]; ok {
			p.Pos = s.value
			if atKey {
				p.Pos = s.key
			}
			break
		}
		parent := parentPath(q)
		if parent == q {
			break
		}
		q = parent
	}
	return p
}

func (d *decoder) errorf(path, format string, args ...any) {
	d.problem(path, false, format, args...)
}

// parentPath strips the last segment ("a.b[2]" gives "a.b", "a.b" gives
// "a"), or returns "" at the top.
func parentPath(p string) string {
	if p == "" {
		return ""
	}
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndexByte(p, '['); i > 0 {
			return p[:i]
		}
	}
	// A quoted segment may contain dots, so scan for the last dot outside
	// quotes.
	last, inQuote := -1, false
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '"':
			inQuote = !inQuote
		case '.':
			if !inQuote {
				last = i
			}
		}
	}
	if last < 0 {
		return ""
	}
	return p[:last]
}

// table is one TOML table being read. Every key the loader asks for is
// remembered, so that finish can call anything else unknown and suggest the
// closest known key.
type table struct {
	d     *decoder
	path  string
	m     map[string]any
	asked []string
}

func (d *decoder) root(m map[string]any) *table { return &table{d: d, m: m} }

func (t *table) child(key string) string { return join(t.path, key) }

func (t *table) get(key string) (any, bool) {
	t.asked = append(t.asked, key)
	v, ok := t.m[key]
	return v, ok
}

// forget marks key as handled without reading it, for keys that are reported
// with their own message.
func (t *table) forget(key string) { t.asked = append(t.asked, key) }

// emptyList reports whether key holds an array with nothing in it, as
// opposed to one whose elements are wrong, which are reported one by one.
func (t *table) emptyList(key string) bool {
	raw, isList := t.m[key].([]any)
	return isList && len(raw) == 0
}

// has reports whether key is present, without marking it as read.
func (t *table) has(key string) bool {
	_, ok := t.m[key]
	return ok
}

// finish reports every key of the table that the loader never asked for.
func (t *table) finish() {
	keys := make([]string, 0, len(t.m))
	for k := range t.m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if slices.Contains(t.asked, k) {
			continue
		}
		t.d.problem(t.child(k), true, "unknown key%s", hint(k, t.asked))
	}
}

// typeName names the TOML type of a decoded value for messages.
func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date or time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	}
	return fmt.Sprintf("a %T", v)
}

func (t *table) str(key string) (string, bool) {
	v, ok := t.get(key)
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		t.d.errorf(t.child(key), "want a string, not %s", typeName(v))
		return "", false
	}
	return s, true
}

// need reports whether a required key is present, reporting it missing
// (described by what) against the table when it is not.
func (t *table) need(key, what string) bool {
	if t.has(key) {
		return true
	}
	t.forget(key)
	t.d.errorf(t.path, "missing %s", what)
	return false
}

// required reads a string that must be present and non-blank.
func (t *table) required(key, what string) (string, bool) {
	if !t.need(key, what+" ("+key+" = ...)") {
		return "", false
	}
	s, ok := t.str(key)
	if ok && strings.TrimSpace(s) == "" {
		t.d.errorf(t.child(key), "%s must not be empty", key)
		return "", false
	}
	return s, ok
}

func (t *table) boolean(key string, def bool) bool {
	v, ok := t.get(key)
	if !ok {
		return def
	}
	b, ok := v.(bool)
	if !ok {
		t.d.errorf(t.child(key), "want true or false, not %s", typeName(v))
		return def
	}
	return b
}

func (t *table) integer(key string, def, lo, hi int) int {
	v, ok := t.get(key)
	if !ok {
		return def
	}
	n, ok := v.(int64)
	if !ok {
		t.d.errorf(t.child(key), "want an integer, not %s", typeName(v))
		return def
	}
	if n < int64(lo) || n > int64(hi) {
		t.d.errorf(t.child(key), "%d is out of range (want %d to %d)", n, lo, hi)
		return def
	}
	return int(n)
}

var clockRE = regexp.MustCompile(`^([01]?\d|2[0-3]):([0-5]\d)$`)

// parseClock reads "HH:MM". TOML local times (07:00:00) are accepted too.
func parseClock(v any) (Clock, string) {
	switch x := v.(type) {
	case string:
		m := clockRE.FindStringSubmatch(strings.TrimSpace(x))
		if m == nil {
			return 0, fmt.Sprintf("%q is not a time of day (want HH:MM, 24-hour, like \"07:30\")", x)
		}
		h, _ := strconv.Atoi(m[1])
		mi, _ := strconv.Atoi(m[2])
		return NewClock(h, mi), ""
	case time.Time:
		if x.Year() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return NewClock(x.Hour(), x.Minute()), ""
		}
		return 0, "want a time of day like \"07:30\", not a date"
	}
	return 0, fmt.Sprintf("want a time of day like \"07:30\", not %s", typeName(v))
}

// ParseClockString reads "HH:MM" as the profile does.
func ParseClockString(s string) (Clock, error) {
	c, msg := parseClock(s)
	if msg != "" {
		return 0, errors.New(msg)
	}
	return c, nil
}

func (t *table) clock(key string, def Clock) (Clock, bool) {
	v, ok := t.get(key)
	if !ok {
		return def, false
	}
	c, msg := parseClock(v)
	if msg != "" {
		t.d.errorf(t.child(key), "%s", msg)
		return def, false
	}
	return c, true
}

var dayRE = regexp.MustCompile(`^(\d+)d`)

// ParseDuration reads a Go duration ("45m", "1h30m") that may also start
// with a number of days ("7d", "1d12h").
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var days time.Duration
	if m := dayRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 3660 {
			return 0, fmt.Errorf("%q is too long", s)
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[len(m[0]):]
		if s == "" {
			return days, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, err
	}
	return days + d, nil
}

func (t *table) duration(key string, def, lo, hi time.Duration) time.Duration {
	v, ok := t.get(key)
	if !ok {
		return def
	}
	s, ok := v.(string)
	if !ok {
		t.d.errorf(t.child(key), "want a duration like \"45m\" or \"1h30m\", not %s", typeName(v))
		return def
	}
	d, err := ParseDuration(s)
	if err != nil {
		t.d.errorf(t.child(key), "%q is not a duration (want a number and a unit: \"90s\", \"45m\", \"1h30m\", \"7d\")", s)
		return def
	}
	if d < lo || d > hi {
		t.d.errorf(t.child(key), "%s is out of range (want %s to %s)", s, fmtDuration(lo), fmtDuration(hi))
		return def
	}
	return d
}

// fmtDuration prints d the way a profile would write it.
func fmtDuration(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	// Drop only zero units after a larger one: "1h30m0s" is "1h30m", and
	// "30m0s" must not lose its own zero.
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// list reads an array whose elements are checked by each; a single value
// is accepted where single is true ("days = "daily"").
func (t *table) list(key string, single bool) ([]any, bool) {
	v, ok := t.get(key)
	if !ok {
		return nil, false
	}
	switch x := v.(type) {
	case []any:
		return x, true
	case []map[string]any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = x[i]
		}
		return out, true
	}
	if single {
		return []any{v}, true
	}
	t.d.errorf(t.child(key), "want an array, not %s", typeName(v))
	return nil, false
}

// elem returns the path of the i-th (0-based) element of key. Paths count
// from 1, as a person reading the file would.
func (t *table) elem(key string, i int) string {
	return t.child(key) + "[" + strconv.Itoa(i+1) + "]"
}

// strings reads an array of strings.
func (t *table) strings(key string, single bool) ([]string, []string) {
	vs, ok := t.list(key, single)
	if !ok {
		return nil, nil
	}
	var out, paths []string
	for i, v := range vs {
		p := t.elem(key, i)
		if _, isList := t.m[key].([]any); !isList {
			p = t.child(key)
		}
		s, ok := v.(string)
		if !ok {
			t.d.errorf(p, "want a string, not %s", typeName(v))
			continue
		}
		out = append(out, s)
		paths = append(paths, p)
	}
	return out, paths
}

// sub returns the table at key, or an empty one when it is absent.
func (t *table) sub(key string) *table {
	v, ok := t.get(key)
	st := &table{d: t.d, path: t.child(key), m: map[string]any{}}
	if !ok {
		return st
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.d.errorf(t.child(key), "want a table ([%s]), not %s", key, typeName(v))
		return st
	}
	st.m = m
	return st
}

// tables returns the array of tables at key ([[key]] entries).
func (t *table) tables(key string) []*table {
	vs, ok := t.list(key, false)
	if !ok {
		return nil
	}
	var out []*table
	for i, v := range vs {
		m, ok := v.(map[string]any)
		if !ok {
			t.d.errorf(t.elem(key, i), "want a table ([[%s]]), not %s", key, typeName(v))
			continue
		}
		out = append(out, &table{d: t.d, path: t.elem(key, i), m: m})
	}
	return out
}
