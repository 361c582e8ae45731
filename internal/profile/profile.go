// Package profile loads and validates a crampd profile: the TOML file that
// describes a person's sleep, exercise, climate, medications and diet, and
// where their reminders go. The loader is strict: an unknown key is an
// error, and every problem is reported at once with its file, line and
// column. `crampd check` and the daemon share it, so both accept exactly the
// same files.
package profile

import (
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/domain"
)

// Profile is a validated profile with every default filled in.
type Profile struct {
	// Path is the file the profile was read from.
	Path string
	// Location is the profile's time zone; every wall-clock time in the
	// profile is read in it.
	Location *time.Location

	Sleep            Sleep
	Climate          Climate
	Exercises        []Exercise
	Medications      []Medication
	Diet             Diet
	Quiet            Quiet
	Hydration        Hydration
	Stretch          Stretch
	Food             Food
	Electrolytes     Electrolytes
	MedicationReview MedicationReview
	Checkin          Checkin
	Customs          []Custom
	Channels         []Channel
	Doctor           Doctor
	// Weather is where to fetch the forecast the hydration plan follows;
	// nil without a [weather] section.
	Weather *Weather
	// Web is the local web page, nil when the profile has no [web] table.
	Web *Web
	// Grace is how long after its instant a missed occurrence of each kind
	// may still fire (after a restart, a suspend or a clock jump).
	Grace map[domain.Kind]time.Duration
	// Warnings are things the file says that are allowed but probably not
	// meant (a cron step longer than its field's range), in file order.
	Warnings []Problem
}

// Clock is a wall-clock time of day, in minutes since midnight.
type Clock int

// NewClock returns the Clock for h:m.
func NewClock(h, m int) Clock { return Clock(h*60 + m) }

// Hour returns the hour of c.
func (c Clock) Hour() int { return int(c) / 60 }

// Minute returns the minute of c.
func (c Clock) Minute() int { return int(c) % 60 }

// String formats c as HH:MM.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c.Hour(), c.Minute()) }

// Days is a set of weekdays.
type Days [7]bool

// Has reports whether d includes w.
func (d Days) Has(w time.Weekday) bool { return d[w] }

// Daily is the set of every weekday.
var Daily = Days{true, true, true, true, true, true, true}

// Sleep holds the user's usual wake and bed times.
type Sleep struct {
	Wake Clock
	// Bed may be earlier than Wake ("00:30"): it then closes the day that
	// began at Wake, on the next calendar date.
	Bed Clock
}

// BedAfterMidnight reports whether bed time falls on the calendar date after
// the wake time.
func (s Sleep) BedAfterMidnight() bool { return s.Bed <= s.Wake }

// Climate is the weather the user lives in; it sets the hydration cadence.
type Climate string

// The climates a profile may name.
const (
	Temperate Climate = "temperate"
	Hot       Climate = "hot"
	Humid     Climate = "humid"
	HotHumid  Climate = "hot-humid"
	Cold      Climate = "cold"
)

// Climates lists every climate in a fixed order.
func Climates() []Climate { return []Climate{Temperate, Hot, Humid, HotHumid, Cold} }

// Warm reports whether the climate makes the user sweat more.
func (c Climate) Warm() bool { return c == Hot || c == Humid || c == HotHumid }

// Intensity is how hard an exercise session is.
type Intensity string

// The intensities a profile may name.
const (
	Light    Intensity = "light"
	Moderate Intensity = "moderate"
	High     Intensity = "high"
)

// Exercise is a recurring exercise session.
type Exercise struct {
	Name      string
	Days      Days
	Start     Clock
	Duration  time.Duration
	Intensity Intensity
}

// Medication is a drug the user takes at fixed times.
type Medication struct {
	Name  string
	Times []Clock
	Days  Days
	// Lowers lists minerals the user says this drug can lower.
	Lowers []advice.Mineral
	// Repeat is how often an unacknowledged dose reminder repeats.
	Repeat time.Duration
	// MaxRepeats caps those repeats.
	MaxRepeats int
}

// Diet holds food preferences.
type Diet struct {
	// Avoid holds normalized food names (see advice.FoodNames) never
	// suggested.
	Avoid []string
}

// Quiet is the nightly window in which only medication and custom reminders
// fire.
type Quiet struct {
	Enabled  bool
	From, To Clock
}

// Contains reports whether wall-clock time c falls in the quiet window.
func (q Quiet) Contains(c Clock) bool {
	if !q.Enabled || q.From == q.To {
		return false
	}
	if q.From < q.To {
		return c >= q.From && c < q.To
	}
	return c >= q.From || c < q.To
}

// Hydration configures water reminders.
type Hydration struct {
	Enabled bool
	// Every is the cadence from wake until bed.
	Every time.Duration
	// BeforeWorkout is how long before each exercise session to remind.
	BeforeWorkout time.Duration
}

// Stretch configures the pre-bed stretch.
type Stretch struct {
	Enabled   bool
	BeforeBed time.Duration
}

// Food configures mineral-rich food prompts.
type Food struct {
	Enabled bool
	At      []Clock
}

// Electrolytes configures post-workout prompts.
type Electrolytes struct {
	Enabled      bool
	AfterWorkout time.Duration
}

// MedicationReview configures the periodic prompt to review medications that
// lower minerals with a doctor.
type MedicationReview struct {
	Enabled bool
	// EveryMonths is the cadence: months whose number minus one is a
	// multiple of it (3 gives January, April, July and October).
	EveryMonths int
	// Day is the day of the month.
	Day int
	At  Clock
}

// Checkin configures the morning check-in, "How was your night?", whose
// answer records the night in the cramp journal.
type Checkin struct {
	Enabled bool
	// At defaults to half an hour after waking.
	At Clock
}

// Custom is a user-defined reminder on a cron schedule.
type Custom struct {
	Name    string
	Cron    string
	Title   string
	Message string
	Why     string
	// Schedule is the parsed cron spec. Its Location is the profile's zone
	// unless the spec names its own with CRON_TZ= or TZ=.
	Schedule *cron.SpecSchedule
}

// Doctor configures the "see a doctor" nudge that logged cramps trigger.
type Doctor struct {
	Enabled bool
	// Severity is the severity (1-10) at or above which one cramp is enough.
	Severity int
	// Count cramps within Within also trigger the nudge.
	Count  int
	Within time.Duration
	// Cooldown is the least time between two nudges.
	Cooldown time.Duration
}
