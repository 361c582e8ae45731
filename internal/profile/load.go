package profile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // profiles name IANA zones; do not depend on the host's copy
	"unicode/utf8"

	"github.com/BurntSushi/toml"
	"github.com/robfig/cron/v3"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/regfile"
)

// Limits on what a profile may ask for.
const (
	// MaxSize is the largest profile file crampd reads.
	MaxSize = 1 << 20
	// MaxPerDay is the most reminders one day of a profile may yield. It is
	// far above any personal plan and keeps a typo in a cron spec ("*" in
	// the seconds field) from flooding the daemon.
	MaxPerDay = 50_000
)

// Limits, in bytes, on a custom reminder's texts. A notification's text is
// its message, a blank line and its why, and all of it must fit in one ntfy
// message (4,096 bytes; a longer one becomes a file attachment, or is
// refused); the title is a notification's one line.
const (
	MaxTitle   = 250
	MaxMessage = 3000
	MaxWhy     = 800
)

// CronParser parses custom reminders' cron specs with the options gocron
// uses for cron jobs with seconds: five fields, or six with leading seconds,
// descriptors such as @daily, and an optional CRON_TZ= or TZ= prefix.
var CronParser = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// Defaults, documented in config/reference.toml.
var (
	defaultWake = NewClock(7, 0)
	defaultBed  = NewClock(23, 0)
	// defaultEvery is the hydration cadence per climate: denser where the
	// user sweats more.
	defaultEvery = map[Climate]time.Duration{
		Temperate: 2 * time.Hour,
		Cold:      2 * time.Hour,
		Hot:       90 * time.Minute,
		Humid:     90 * time.Minute,
		HotHumid:  time.Hour,
	}
	defaultFoodAt = []Clock{NewClock(12, 30), NewClock(18, 30)}
	// checkinAfterWake places the default check-in: late enough to be up,
	// early enough that the night is fresh.
	checkinAfterWake = NewClock(0, 30)
	// DefaultGrace is how late a missed occurrence of each kind may still
	// fire.
	DefaultGrace = map[domain.Kind]time.Duration{
		domain.KindHydration:        15 * time.Minute,
		domain.KindStretch:          30 * time.Minute,
		domain.KindFood:             30 * time.Minute,
		domain.KindElectrolytes:     30 * time.Minute,
		domain.KindMedication:       2 * time.Hour,
		domain.KindMedicationReview: 24 * time.Hour,
		domain.KindCustom:           15 * time.Minute,
		domain.KindDoctor:           24 * time.Hour,
		domain.KindCheckin:          2 * time.Hour,
	}
)

// DefaultPath returns $XDG_CONFIG_HOME/crampd/profile.toml, falling back to
// ~/.config when XDG_CONFIG_HOME is unset.
func DefaultPath() string {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = "."
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "crampd", "profile.toml")
}

// Load reads and validates the profile at path. The file must be a regular
// file: it is opened without blocking and checked before it is read, so a
// profile replaced by a named pipe cannot hang a reload until someone feeds
// the pipe. At most MaxSize+1 bytes are read.
func Load(path string) (*Profile, error) { return LoadWith(path, nil) }

// LoadWith is Load that, given getenv, also reads every channel's secrets
// and checks each the way its channel will use it (see CheckSecrets), and
// reports their problems together with every other: a profile is fixed in
// one round, not one kind of problem at a time. `crampd check` and the
// daemon both load this way.
func LoadWith(path string, getenv func(string) string) (*Profile, error) {
	data, msg := readProfile(path)
	if msg != "" {
		return nil, &Error{Problems: []Problem{{File: path, Msg: msg}}}
	}
	return parse(path, data, getenv)
}

// readProfile reads the profile file, or describes why it cannot.
func readProfile(path string) ([]byte, string) {
	f, _, err := regfile.Open(path)
	var nr *regfile.NotRegularError
	switch {
	case errors.As(err, &nr):
		return nil, nr.Error() + "; crampd reads a profile only from a plain file"
	case err != nil:
		return nil, describeOpenError(path, err)
	}
	defer f.Close()
	// Read one byte past the limit to tell "exactly 1 MiB" from "more":
	// Parse reports a larger profile.
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Sprintf("read profile: %v", err)
	}
	return data, ""
}

// describeOpenError says why path cannot be opened. The problem already
// starts with the path, so the error's own copy of it is left out.
func describeOpenError(path string, err error) string {
	switch {
	case errors.Is(err, os.ErrNotExist):
		init := "crampd init"
		if path != DefaultPath() {
			init += " --profile " + shellQuote(path)
		}
		return "no such file (create one with `" + init + "`)"
	case errors.Is(err, os.ErrPermission):
		return "permission denied"
	}
	return withoutPath(err)
}

// withoutPath returns err's message without the "op path: " a
// *fs.PathError puts in front.
func withoutPath(err error) string {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err.Error()
	}
	return err.Error()
}

// shellQuote quotes s for a POSIX shell when it holds anything but the
// characters paths are usually made of, so a suggested command can be
// pasted as it is.
func shellQuote(s string) string {
	if s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+,:@%=", r))
	}) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Parse validates a profile held in memory; path is used in messages and to
// resolve relative secret files.
func Parse(path string, data []byte) (p *Profile, err error) { return parse(path, data, nil) }

func parse(path string, data []byte, getenv func(string) string) (p *Profile, err error) {
	if len(data) > MaxSize {
		return nil, &Error{Problems: []Problem{{File: path, Msg: fmt.Sprintf("profile is larger than %d KiB; crampd refuses it", MaxSize>>10)}}}
	}
	if perr := checkShape(path, data); perr != nil {
		return nil, &Error{Problems: []Problem{*perr}}
	}
	var raw map[string]any
	if perr := decodeTOML(data, &raw); perr != nil {
		perr.File = path
		return nil, &Error{Problems: []Problem{*perr}}
	}
	d := &decoder{file: path, pos: indexPositions(string(data))}
	p = d.profile(path, d.root(raw))
	if getenv != nil {
		var serr *Error
		if errors.As(p.CheckSecrets(getenv), &serr) {
			d.probs = append(d.probs, serr.Problems...)
		}
	}
	if len(d.probs) > 0 {
		sortProblems(d.probs)
		if d.dropped > 0 {
			d.probs = append(d.probs, Problem{File: path, Msg: fmt.Sprintf("and %d more problems; fix these first", d.dropped)})
		}
		return nil, &Error{Problems: d.probs}
	}
	sortProblems(d.warns)
	p.Warnings = d.warns
	return p, nil
}

// sortProblems puts problems in file order.
func sortProblems(probs []Problem) {
	slices.SortStableFunc(probs, func(a, b Problem) int {
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Col - b.Pos.Col
	})
}

// decodeTOML parses data, turning a syntax error into a located problem.
func decodeTOML(data []byte, raw *map[string]any) (prob *Problem) {
	defer func() {
		// The TOML parser must never take the daemon down on a bad file.
		if r := recover(); r != nil {
			prob = &Problem{Msg: fmt.Sprintf("cannot parse TOML: %v", r)}
		}
	}()
	_, err := toml.Decode(string(data), raw)
	if err == nil {
		return nil
	}
	var pe toml.ParseError
	if errors.As(err, &pe) {
		msg := pe.Message
		if pe.Usage != "" {
			msg += " (" + strings.Join(strings.Fields(pe.Usage), " ") + ")"
		}
		return &Problem{Pos: posAt(data, pe.Position.Start), Msg: "TOML syntax: " + msg}
	}
	return &Problem{Msg: "TOML: " + err.Error()}
}

// posAt returns the line and column of byte offset off in data, counting
// columns in characters like the key index does. The parser's own line is
// one too far when the offending character is a line's newline (an
// unclosed "[sleep" on line 1 is on line 1, not 2:7), and its column
// counts bytes.
func posAt(data []byte, off int) Pos {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	lineStart := bytes.LastIndexByte(data[:off], '\n') + 1
	return Pos{Line: line, Col: 1 + utf8.RuneCount(data[lineStart:off])}
}

func (d *decoder) profile(path string, root *table) *Profile {
	p := &Profile{Path: path, Grace: map[domain.Kind]time.Duration{}}
	p.Location = d.location(root)

	sleep := root.sub("sleep")
	p.Sleep.Wake, _ = sleep.clock("wake", defaultWake)
	p.Sleep.Bed, _ = sleep.clock("bed", defaultBed)
	if p.Sleep.Wake == p.Sleep.Bed && sleep.has("bed") {
		d.errorf(sleep.child("bed"), "bed time equals wake time")
	}
	sleep.finish()

	climate := root.sub("climate")
	p.Climate = Temperate
	if s, ok := climate.str("kind"); ok {
		if c, ok := oneOf(Climates(), s); ok {
			p.Climate = c
		} else {
			d.errorf(climate.child("kind"), "unknown climate %q%s", s, wantHint("want one of "+joinNames(Climates()), s, names(Climates())))
		}
	}
	climate.finish()

	p.Exercises = d.exercises(root)
	p.Medications = d.medications(root)

	diet := root.sub("diet")
	avoid, paths := diet.strings("avoid", false)
	known := advice.FoodNames()
	for i, a := range avoid {
		n := advice.NormalizeFood(a)
		if !slices.Contains(known, n) {
			d.errorf(paths[i], "unknown food %q%s", a, wantHint("crampd knows "+strings.Join(known, ", "), n, known))
			continue
		}
		p.Diet.Avoid = append(p.Diet.Avoid, n)
	}
	diet.finish()

	quiet := root.sub("quiet")
	p.Quiet.Enabled = quiet.boolean("enabled", true)
	p.Quiet.From, _ = quiet.clock("from", p.Sleep.Bed)
	p.Quiet.To, _ = quiet.clock("to", p.Sleep.Wake)
	if p.Quiet.Enabled && p.Quiet.From == p.Quiet.To && (quiet.has("from") || quiet.has("to")) {
		d.errorf(quiet.child("to"), "quiet hours start and end at the same time; set enabled = false to turn them off")
	}
	quiet.finish()

	hyd := root.sub("hydration")
	p.Hydration.Enabled = hyd.boolean("enabled", true)
	p.Hydration.Every = hyd.duration("every", defaultEvery[p.Climate], 15*time.Minute, 12*time.Hour)
	p.Hydration.BeforeWorkout = hyd.duration("before_workout", 20*time.Minute, 0, 3*time.Hour)
	hyd.finish()

	st := root.sub("stretch")
	p.Stretch.Enabled = st.boolean("enabled", true)
	p.Stretch.BeforeBed = st.duration("before_bed", 30*time.Minute, 0, 6*time.Hour)
	st.finish()

	food := root.sub("food")
	p.Food.Enabled = food.boolean("enabled", true)
	p.Food.At = d.clocks(food, "at", defaultFoodAt)
	if p.Food.Enabled && len(p.Food.At) > 0 {
		d.checkFoodsLeft(food, p.Diet.Avoid)
	}
	food.finish()

	el := root.sub("electrolytes")
	p.Electrolytes.Enabled = el.boolean("enabled", true)
	p.Electrolytes.AfterWorkout = el.duration("after_workout", 15*time.Minute, 0, 6*time.Hour)
	el.finish()

	mr := root.sub("medication_review")
	p.MedicationReview.Enabled = mr.boolean("enabled", true)
	p.MedicationReview.EveryMonths = mr.integer("every_months", 3, 1, 12)
	p.MedicationReview.Day = mr.integer("day", 1, 1, 28)
	p.MedicationReview.At, _ = mr.clock("at", NewClock(10, 0))
	mr.finish()

	ci := root.sub("checkin")
	p.Checkin.Enabled = ci.boolean("enabled", false)
	p.Checkin.At, _ = ci.clock("at", (p.Sleep.Wake+checkinAfterWake)%(24*60))
	if p.Checkin.Enabled && p.Quiet.Contains(p.Checkin.At) {
		path := ci.child("at")
		if !ci.has("at") {
			path = ci.child("enabled")
		}
		d.warnf(path, "the check-in at %s falls in quiet hours (%s to %s), which silence it: it never comes", p.Checkin.At, p.Quiet.From, p.Quiet.To)
	}
	ci.finish()

	p.Customs = d.customs(root, p.Location)
	p.Channels = d.channels(root, filepath.Dir(path))
	p.Web = d.web(root, filepath.Dir(path))

	doc := root.sub("doctor")
	p.Doctor.Enabled = doc.boolean("enabled", true)
	p.Doctor.Severity = doc.integer("severity", 8, 1, 10)
	p.Doctor.Count = doc.integer("count", 3, 1, 100)
	p.Doctor.Within = doc.duration("within", 7*24*time.Hour, time.Hour, 365*24*time.Hour)
	p.Doctor.Cooldown = doc.duration("cooldown", 7*24*time.Hour, 0, 365*24*time.Hour)
	doc.finish()

	p.Weather = d.weather(root)

	grace := root.sub("grace")
	for _, k := range domain.Kinds() {
		p.Grace[k] = grace.duration(string(k), DefaultGrace[k], 0, 7*24*time.Hour)
	}
	grace.finish()

	root.finish()
	d.checkVolume(p)
	return p
}

func (d *decoder) location(root *table) *time.Location {
	name, ok := root.str("timezone")
	if !ok {
		return LocalZone()
	}
	if name == "" || name == "Local" {
		d.errorf("timezone", "want an IANA zone name like \"Europe/Berlin\"; leave timezone out to use the machine's zone")
		return time.UTC
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		d.errorf("timezone", "unknown time zone %q%s", name, hint(name, zoneNames()))
		return time.UTC
	}
	return loc
}

// LocalZone returns the machine's zone under its IANA name when it can be
// found ($TZ, then the /etc/localtime link), so that plans and calendars name
// it; otherwise Go's Local.
func LocalZone() *time.Location {
	name := strings.TrimPrefix(os.Getenv("TZ"), ":")
	if name == "" {
		if target, err := os.Readlink("/etc/localtime"); err == nil {
			name = target
		}
	}
	if i := strings.Index(name, "zoneinfo/"); i >= 0 {
		name = name[i+len("zoneinfo/"):]
	}
	if name != "" {
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.Local
}

// zoneNames lists zone names for "did you mean" hints, when the host has a
// zone table; hints are a courtesy, so no table means no hint.
func zoneNames() []string {
	data, err := os.ReadFile("/usr/share/zoneinfo/tzdata.zi")
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 2 && f[0] == "Z":
			out = append(out, f[1])
		case len(f) >= 3 && f[0] == "L":
			out = append(out, f[2])
		}
	}
	return out
}

var weekdayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// days reads a days list: weekday names and the groups daily, weekdays and
// weekends, as one string or an array.
func (d *decoder) days(t *table, key string, def Days) Days {
	if !t.has(key) {
		t.forget(key)
		return def
	}
	vals, paths := t.strings(key, true)
	var out Days
	for i, v := range vals {
		s := strings.ToLower(strings.TrimSpace(v))
		switch s {
		case "daily":
			out = Daily
		case "weekdays":
			for w := time.Monday; w <= time.Friday; w++ {
				out[w] = true
			}
		case "weekends":
			out[time.Saturday], out[time.Sunday] = true, true
		default:
			w := slices.Index(weekdayNames, s)
			if w < 0 && len(s) > 3 {
				// Accept full names ("tuesday").
				w = slices.Index(weekdayNames, s[:3])
				if w >= 0 && !strings.HasPrefix(time.Weekday(w).String(), strings.ToUpper(s[:1])+s[1:]) {
					w = -1
				}
			}
			if w < 0 {
				all := append(slices.Clone(weekdayNames), "daily", "weekdays", "weekends")
				d.errorf(paths[i], "unknown day %q%s", v, wantHint("want mon..sun, daily, weekdays or weekends", s, all))
				continue
			}
			out[w] = true
		}
	}
	if t.emptyList(key) {
		d.errorf(t.child(key), "no days given")
	}
	return out
}

// clocks reads an array of distinct times of day.
func (d *decoder) clocks(t *table, key string, def []Clock) []Clock {
	if !t.has(key) {
		t.forget(key)
		return def
	}
	vs, ok := t.list(key, false)
	if !ok {
		return def
	}
	var out []Clock
	for i, v := range vs {
		c, msg := parseClock(v)
		if msg != "" {
			d.errorf(t.elem(key, i), "%s", msg)
			continue
		}
		if slices.Contains(out, c) {
			d.errorf(t.elem(key, i), "%s is listed twice", c)
			continue
		}
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// uniqueName reads an entry's required name and reports a name that an
// earlier entry of the same array already has.
func (d *decoder) uniqueName(t *table, seen map[string]bool, array, what string) string {
	name, _ := t.required("name", what)
	if name != "" {
		if seen[name] {
			d.errorf(t.child("name"), "another [[%s]] is already named %q", array, name)
		}
		seen[name] = true
	}
	return name
}

func (d *decoder) exercises(root *table) []Exercise {
	var out []Exercise
	seen := map[string]bool{}
	for _, t := range root.tables("exercise") {
		var e Exercise
		e.Name = d.uniqueName(t, seen, "exercise", "exercise name")
		if t.need("days", `days (days = ["tue", "thu"], or "daily", "weekdays", "weekends")`) {
			e.Days = d.days(t, "days", Daily)
		}
		if t.need("start", `start time (start = "18:30")`) {
			e.Start, _ = t.clock("start", 0)
		}
		if t.need("duration", `duration (duration = "45m")`) {
			e.Duration = t.duration("duration", 0, time.Minute, 12*time.Hour)
		}
		e.Intensity = Moderate
		if s, ok := t.str("intensity"); ok {
			all := []Intensity{Light, Moderate, High}
			if in, ok := oneOf(all, s); ok {
				e.Intensity = in
			} else {
				d.errorf(t.child("intensity"), "unknown intensity %q%s", s, wantHint("want one of "+joinNames(all), s, names(all)))
			}
		}
		t.finish()
		out = append(out, e)
	}
	return out
}

func (d *decoder) medications(root *table) []Medication {
	var out []Medication
	seen := map[string]bool{}
	for _, t := range root.tables("medication") {
		var m Medication
		m.Name = d.uniqueName(t, seen, "medication", "medication name")
		if t.need("times", `dose times (times = ["09:00"])`) {
			m.Times = d.clocks(t, "times", nil)
			// Times that are there but wrong have their own problems.
			if t.emptyList("times") {
				d.errorf(t.child("times"), "no dose times given")
			}
		}
		m.Days = d.days(t, "days", Daily)
		lowers, paths := t.strings("lowers", false)
		for i, s := range lowers {
			mineral, ok := oneOf(advice.Minerals(), strings.ToLower(s))
			if !ok {
				d.errorf(paths[i], "unknown mineral %q%s", s, wantHint("want one of "+joinNames(advice.Minerals()), s, names(advice.Minerals())))
				continue
			}
			if !slices.Contains(m.Lowers, mineral) {
				m.Lowers = append(m.Lowers, mineral)
			}
		}
		m.Repeat = t.duration("repeat", 10*time.Minute, time.Minute, 6*time.Hour)
		m.MaxRepeats = t.integer("max_repeats", 3, 0, 20)
		t.finish()
		out = append(out, m)
	}
	return out
}

// cronAnchor is a fixed instant from which custom specs are checked for ever
// firing, so that check gives the same answer on every day.
var cronAnchor = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func (d *decoder) customs(root *table, loc *time.Location) []Custom {
	var out []Custom
	seen := map[string]bool{}
	for _, t := range root.tables("custom") {
		var c Custom
		c.Name = d.uniqueName(t, seen, "custom", "reminder name")
		c.Title, _ = t.required("title", "title")
		c.Message, _ = t.str("message")
		c.Why, _ = t.str("why")
		d.checkLength(t.child("title"), c.Title, MaxTitle)
		d.checkLength(t.child("message"), c.Message, MaxMessage)
		d.checkLength(t.child("why"), c.Why, MaxWhy)
		if spec, ok := t.required("cron", "cron spec"); ok {
			c.Cron = spec
			c.Schedule = d.cron(t.child("cron"), spec, loc)
		}
		t.finish()
		out = append(out, c)
	}
	return out
}

// maxCronLen is the longest cron spec crampd parses.
const maxCronLen = 256

// checkLength reports a text longer than max bytes, which a phone would
// not show as a notification.
func (d *decoder) checkLength(path, s string, max int) {
	if len(s) > max {
		d.errorf(path, "too long: %d bytes, and at most %d fit in one notification", len(s), max)
	}
}

// cron parses spec exactly as the scheduler's parser does, then applies the
// profile's zone unless the spec names one.
func (d *decoder) cron(path, spec string, loc *time.Location) *cron.SpecSchedule {
	// The cron parser's cost grows with the spec; no real one is this long.
	if len(spec) > maxCronLen {
		d.errorf(path, "the cron spec is %d characters long; crampd accepts up to %d", len(spec), maxCronLen)
		return nil
	}
	if strings.HasPrefix(spec, "@every") {
		d.errorf(path, "%q: %s", spec, everyAdvice(spec))
		return nil
	}
	s, err := CronParser.Parse(spec)
	if err != nil {
		d.errorf(path, "bad cron spec %q: %v (want 5 fields \"min hour dom month dow\", or 6 with leading seconds)", spec, err)
		return nil
	}
	ss, ok := s.(*cron.SpecSchedule)
	if !ok {
		d.errorf(path, "%q is not supported; write the times as a cron expression", spec)
		return nil
	}
	if !strings.HasPrefix(spec, "CRON_TZ=") && !strings.HasPrefix(spec, "TZ=") {
		ss.Location = loc
	}
	if ss.Next(cronAnchor.In(ss.Location)).IsZero() {
		d.errorf(path, "cron spec %q never fires (no date matches it)", spec)
		return nil
	}
	for _, w := range cronStepWarnings(spec) {
		d.warnf(path, "%s", w)
	}
	return ss
}

// everyAdvice says what to write instead of an @every spec, which gocron's
// cron jobs do not take: the cron expression that fires at the same
// interval, aligned to the hour or the day, when there is one.
func everyAdvice(spec string) string {
	const refuse = "@every is not supported"
	d, err := time.ParseDuration(strings.TrimSpace(strings.TrimPrefix(spec, "@every")))
	if err != nil || d <= 0 {
		return refuse + "; write the times as a cron expression"
	}
	// divides reports whether d is a whole number n of unit with n
	// dividing per, so that the steps line up with the next field.
	divides := func(unit time.Duration, per int) (int, bool) {
		n := int(d / unit)
		return n, d%unit == 0 && n >= 1 && n <= per && per%n == 0
	}
	var expr string
	if n, ok := divides(time.Second, 60); ok && d < time.Minute {
		expr = fmt.Sprintf("*/%d * * * * *", n)
	} else if n, ok := divides(time.Minute, 60); ok && d < time.Hour {
		expr = fmt.Sprintf("*/%d * * * *", n)
	} else if n, ok := divides(time.Hour, 24); ok && n < 24 {
		expr = fmt.Sprintf("0 */%d * * *", n)
	} else if d == 24*time.Hour {
		expr = "0 0 * * *"
	}
	if expr == "" {
		return fmt.Sprintf("%s, and no cron expression fires every %s; write the times you want as one", refuse, fmtDuration(d))
	}
	// "*/1" is just "*".
	expr = strings.Replace(expr, "*/1 ", "* ", 1)
	return fmt.Sprintf("%s; write it as the cron expression %q", refuse, expr)
}

// cronField is one field of a cron spec and the values it can hold.
type cronField struct {
	name   string
	lo, hi int
}

var cronFields = []cronField{{"minute", 0, 59}, {"hour", 0, 23}, {"day-of-month", 1, 31}, {"month", 1, 12}, {"day-of-week", 0, 6}}

// cronStepWarnings finds steps that are at least as long as the range they
// step through, so that only its first value matches: "*/90" in the hour
// field means hour 0 and nothing else, which is legal but is never what
// "every 90 minutes" meant. Fields written with names (MON, JAN) are left
// alone.
func cronStepWarnings(spec string) []string {
	if strings.HasPrefix(spec, "CRON_TZ=") || strings.HasPrefix(spec, "TZ=") {
		_, spec, _ = strings.Cut(spec, " ")
	}
	fields := strings.Fields(spec)
	defs := cronFields
	if len(fields) == 6 {
		defs = append([]cronField{{"second", 0, 59}}, cronFields...)
	}
	if len(fields) != len(defs) {
		return nil
	}
	var out []string
	for i, f := range fields {
		def := defs[i]
		for _, part := range strings.Split(f, ",") {
			span, stepText, ok := strings.Cut(part, "/")
			step, err := strconv.Atoi(stepText)
			if !ok || err != nil {
				continue
			}
			lo, hi := def.lo, def.hi
			if span != "*" && span != "?" {
				from, to, isRange := strings.Cut(span, "-")
				var err1, err2 error
				lo, err1 = strconv.Atoi(from)
				if isRange {
					hi, err2 = strconv.Atoi(to)
				}
				if err1 != nil || err2 != nil {
					continue
				}
			}
			if step > hi-lo {
				out = append(out, fmt.Sprintf("%q steps by %d, past the end of the %s field's range %d-%d, so it matches only %s %d",
					part, step, def.name, lo, hi, def.name, lo))
			}
		}
	}
	return out
}

// checkFoodsLeft refuses a diet that leaves no food to suggest.
func (d *decoder) checkFoodsLeft(food *table, avoid []string) {
	for _, m := range advice.FoodNutrients() {
		if len(advice.FoodsFor(m, avoid)) > 0 {
			return
		}
	}
	d.errorf("diet.avoid", "diet.avoid leaves no food to suggest; set [food] enabled = false instead")
}

// checkVolume refuses a profile whose busiest possible day exceeds
// MaxPerDay, blaming the custom reminder that contributes most.
func (d *decoder) checkVolume(p *Profile) {
	total := 0
	worst, worstN := -1, 0
	for i, c := range p.Customs {
		if c.Schedule == nil {
			continue
		}
		n := CronPerDay(c.Schedule)
		total += n
		if n > worstN {
			worst, worstN = i, n
		}
	}
	total += BuiltinPerDay(p)
	if total <= MaxPerDay {
		return
	}
	path := ""
	if worst >= 0 {
		path = fmt.Sprintf("custom[%d].cron", worst+1)
	}
	d.errorf(path, "the profile yields up to %d reminders a day; the limit is %d", total, MaxPerDay)
}

// CronPerDay is the most times s can fire on one day.
func CronPerDay(s *cron.SpecSchedule) int {
	const star = 1 << 63
	return bits.OnesCount64(s.Hour&^star) * bits.OnesCount64(s.Minute&^star) * bits.OnesCount64(s.Second&^star)
}

// BuiltinPerDay bounds the built-in reminders one day can yield.
func BuiltinPerDay(p *Profile) int {
	n := 0
	if p.Hydration.Enabled {
		every := p.Hydration.Every
		if p.Weather != nil {
			// The heat can tighten the cadence to its densest.
			every = min(every, DensestHeatCadence)
		}
		n += int(24*time.Hour/every) + 1 + len(p.Exercises)
	}
	n += 1 + len(p.Food.At) + len(p.Exercises) + 1
	if p.Weather != nil {
		n++ // the hot day's electrolyte prompt
	}
	if p.Checkin.Enabled {
		n++
	}
	for _, m := range p.Medications {
		n += len(m.Times) * (1 + m.MaxRepeats)
	}
	return n
}

func oneOf[T ~string](all []T, s string) (T, bool) {
	for _, v := range all {
		if string(v) == s {
			return v, true
		}
	}
	return "", false
}

func names[T ~string](all []T) []string {
	out := make([]string, len(all))
	for i, v := range all {
		out[i] = string(v)
	}
	return out
}

func joinNames[T ~string](all []T) string { return strings.Join(names(all), ", ") }
