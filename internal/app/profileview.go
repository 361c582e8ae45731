package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/redact"
	"github.com/crampd/crampd/internal/rules"
)

// ProfileRow is one setting as a person reads it.
type ProfileRow struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// ProfileSection is one table of the profile.
type ProfileSection struct {
	Name string       `json:"name"`
	Rows []ProfileRow `json:"rows"`
}

// ProfileView is the profile in force, as loaded, with every default
// filled in. It holds no secret: channels show their type, name and kinds
// only, never an address, key or token.
type ProfileView struct {
	Path     string           `json:"path"`
	Zone     string           `json:"zone"`
	Sections []ProfileSection `json:"sections"`
	Warnings []string         `json:"warnings,omitempty"`
	// LoadedAt is when the profile was last loaded or reloaded; Problems,
	// when that failed, lists what was wrong, each at its file:line:col,
	// while the profile shown stays in force.
	LoadedAt time.Time `json:"loaded_at,omitzero"`
	Problems []string  `json:"problems,omitempty"`
}

// Profile describes the profile in force and the problems of the last
// failed reload.
func (s *Service) Profile(ctx context.Context) (ProfileView, error) {
	policy, _, err := s.current()
	if err != nil {
		return ProfileView{}, err
	}
	p := policy.Profile()
	v := ProfileView{Path: p.Path, Zone: p.Location.String(), Sections: sections(p)}
	for _, w := range p.Warnings {
		v.Warnings = append(v.Warnings, redact.Scrub(w.String()))
	}
	if s.host != nil {
		info := s.host.Info()
		v.Path, v.LoadedAt = info.ProfilePath, info.LastLoad.In(p.Location)
		var perr *profile.Error
		switch {
		case errors.As(info.LoadErr, &perr):
			for _, pr := range perr.Problems {
				v.Problems = append(v.Problems, redact.Scrub(pr.String()))
			}
		case info.LoadErr != nil:
			v.Problems = []string{redact.Scrub(info.LoadErr.Error())}
		}
	}
	return v, nil
}

// DaysText names a set of weekdays the way a profile writes them.
func DaysText(d profile.Days) string {
	switch d {
	case profile.Daily:
		return "daily"
	case profile.Days{false, true, true, true, true, true, false}:
		return "weekdays"
	case profile.Days{true, false, false, false, false, false, true}:
		return "weekends"
	}
	var out []string
	for w := time.Monday; w <= time.Saturday+1; w++ {
		if d.Has(w % 7) {
			out = append(out, strings.ToLower((w % 7).String()[:3]))
		}
	}
	return strings.Join(out, ", ")
}

func clocks(cs []profile.Clock) string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.String()
	}
	return strings.Join(out, ", ")
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// sections lays the profile out table by table. Every value is scrubbed
// of known secrets as well, in case one was typed where it does not
// belong.
func sections(p *profile.Profile) []ProfileSection {
	var out []ProfileSection
	add := func(name string, rows ...ProfileRow) {
		for i := range rows {
			rows[i].Value = redact.Scrub(rows[i].Value)
		}
		out = append(out, ProfileSection{Name: redact.Scrub(name), Rows: rows})
	}
	row := func(k, v string) ProfileRow { return ProfileRow{Key: k, Value: v} }
	short := rules.Short
	add("General", row("timezone", p.Location.String()), row("wake", p.Sleep.Wake.String()), row("bed", p.Sleep.Bed.String()),
		row("climate", string(p.Climate)))
	for _, e := range p.Exercises {
		add("Exercise: "+e.Name, row("days", DaysText(e.Days)), row("start", e.Start.String()),
			row("duration", short(e.Duration)), row("intensity", string(e.Intensity)))
	}
	for _, m := range p.Medications {
		lowers := make([]string, len(m.Lowers))
		for i, l := range m.Lowers {
			lowers[i] = string(l)
		}
		add("Medication: "+m.Name, row("times", clocks(m.Times)), row("days", DaysText(m.Days)),
			row("lowers", dash(strings.Join(lowers, ", "))), row("repeat", short(m.Repeat)), row("max_repeats", fmt.Sprint(m.MaxRepeats)))
	}
	add("Diet", row("avoid", dash(strings.Join(p.Diet.Avoid, ", "))))
	add("Quiet hours", row("enabled", onOff(p.Quiet.Enabled)), row("from", p.Quiet.From.String()), row("to", p.Quiet.To.String()))
	add("Hydration", row("enabled", onOff(p.Hydration.Enabled)), row("every", short(p.Hydration.Every)),
		row("before_workout", short(p.Hydration.BeforeWorkout)))
	add("Stretch", row("enabled", onOff(p.Stretch.Enabled)), row("before_bed", short(p.Stretch.BeforeBed)))
	add("Food", row("enabled", onOff(p.Food.Enabled)), row("at", clocks(p.Food.At)))
	add("Electrolytes", row("enabled", onOff(p.Electrolytes.Enabled)), row("after_workout", short(p.Electrolytes.AfterWorkout)))
	mr := p.MedicationReview
	add("Medication review", row("enabled", onOff(mr.Enabled)), row("every_months", fmt.Sprint(mr.EveryMonths)),
		row("day", fmt.Sprint(mr.Day)), row("at", mr.At.String()))
	d := p.Doctor
	add("Doctor nudge", row("enabled", onOff(d.Enabled)), row("severity", fmt.Sprint(d.Severity)), row("count", fmt.Sprint(d.Count)),
		row("within", short(d.Within)), row("cooldown", short(d.Cooldown)))
	var grace []ProfileRow
	for _, k := range domain.Kinds() {
		grace = append(grace, row(string(k), short(p.Grace[k])))
	}
	add("Grace", grace...)
	for _, c := range p.Customs {
		add("Custom: "+c.Name, row("cron", c.Cron), row("title", c.Title))
	}
	for _, c := range p.ChannelsInUse() {
		kinds := "every kind"
		if len(c.Kinds) > 0 {
			ks := make([]string, len(c.Kinds))
			for i, k := range c.Kinds {
				ks[i] = string(k)
			}
			kinds = strings.Join(ks, ", ")
		}
		add("Channel: "+c.Name, row("type", c.Type), row("kinds", kinds))
	}
	if w := p.Web; w != nil {
		add("Web page", row("listen", w.Listen), row("https", onOff(w.TLS())))
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
