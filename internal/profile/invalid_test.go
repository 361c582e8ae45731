package profile_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/crampd/crampd/internal/profile"
)

// problems loads path and returns its problems without the path prefix.
func problems(t *testing.T, path string) []string {
	t.Helper()
	_, err := profile.Load(path)
	if err == nil {
		return nil
	}
	var perr *profile.Error
	if !errors.As(err, &perr) {
		t.Fatalf("Load returned %T, want *profile.Error: %v", err, err)
	}
	var out []string
	for _, p := range perr.Problems {
		out = append(out, strings.TrimPrefix(p.String(), path+":"))
	}
	return out
}

// Each fixture in testdata/invalid holds one kind of mistake; the test pins
// every message with its line and column.
func TestInvalidProfiles(t *testing.T) {
	tests := []struct {
		name string
		want []string
	}{
		{name: "bad-cron", want: []string{
			"3:8: custom[1].cron: bad cron spec \"0 9 * * MOM\": failed to parse int from MOM: strconv.Atoi: parsing \"MOM\": invalid syntax (want 5 fields \"min hour dom month dow\", or 6 with leading seconds)",
			"8:8: custom[2].cron: cron spec \"0 9 30 2 *\" never fires (no date matches it)",
			"13:8: custom[3].cron: \"@every 1h\": @every is not supported; write it as the cron expression \"0 * * * *\"",
			"16:1: custom[4]: missing title (title = ...)",
		}},
		{name: "bad-durations", want: []string{
			"2:9: hydration.every: \"45x\" is not a duration (want a number and a unit: \"90s\", \"45m\", \"1h30m\", \"7d\")",
			"3:18: hydration.before_workout: want a duration like \"45m\" or \"1h30m\", not an integer",
			"5:14: stretch.before_bed: 9h is out of range (want 0s to 6h)",
		}},
		{name: "bad-exercise", want: []string{
			"3:16: exercise[1].days[2]: unknown day \"tus\" (want mon..sun, daily, weekdays or weekends; did you mean \"tue\"?)",
			"6:13: exercise[1].intensity: unknown intensity \"extreme\" (want one of light, moderate, high)",
			"8:1: exercise[2]: missing start time (start = \"18:30\")",
			"8:1: exercise[2]: missing duration (duration = \"45m\")",
			"9:8: exercise[2].name: another [[exercise]] is already named \"Run\"",
			"10:8: exercise[2].days: want a string, not an integer",
		}},
		{name: "bad-names", want: []string{
			"1:12: timezone: unknown time zone \"Europe/Berln\" (did you mean \"Europe/Berlin\"?)",
			"3:8: climate.kind: unknown climate \"hott\" (want one of temperate, hot, humid, hot-humid, cold; did you mean \"hot\"?)",
			"5:19: diet.avoid[2]: unknown food \"cheeze\" (crampd knows almonds, avocados, bananas, beans, black-beans, cereals, dairy, fortified-cereals, fruit, gluten, grains, lactose, leafy-greens, legumes, milk, nuts, seeds, spinach, sweet-potatoes, vegetables, whole-grains)",
			"9:11: medication[1].lowers[1]: unknown mineral \"potasium\" (want one of magnesium, potassium, calcium, sodium; did you mean \"potassium\"?)",
		}},
		{name: "bad-times", want: []string{
			"2:8: sleep.wake: \"7am\" is not a time of day (want HH:MM, 24-hour, like \"07:30\")",
			"3:8: sleep.bed: \"25:00\" is not a time of day (want HH:MM, 24-hour, like \"07:30\")",
			"5:16: food.at[2]: \"noon\" is not a time of day (want HH:MM, 24-hour, like \"07:30\")",
			"5:24: food.at[3]: 08:00 is listed twice",
		}},
		{name: "inline-secrets", want: []string{
			"3:7: channel[1].url: the URL's \"token\" parameter carries a secret: inline secrets are not allowed; use secret_file or secret_env",
			"4:1: channel[1].token: inline secrets are not allowed: put the secret in a file readable only by you (secret_file) or in an environment variable (secret_env)",
			"8:7: channel[2].url: the URL carries a password: inline secrets are not allowed; use secret_file or secret_env",
			"11:8: channel[3].type: unknown channel type \"webhok\" (want one of stdout, desktop, webhook, ntfy; did you mean \"webhook\"?)",
			"12:23: channel[3].kinds[2]: unknown kind \"stretching\" (want one of hydration, stretch, food, electrolytes, medication, medication-review, custom, doctor, checkin; did you mean \"stretch\"?)",
		}},
		{name: "long-texts", want: []string{
			"4:11: custom[1].title: too long: 260 bytes, and at most 250 fit in one notification",
			"5:11: custom[1].message: too long: 3154 bytes, and at most 3000 fit in one notification",
			"54:9: custom[2].why: too long: 880 bytes, and at most 800 fit in one notification",
		}},
		{name: "syntax", want: []string{
			"2:14: TOML syntax: strings cannot contain newlines",
		}},
		{name: "syntax-table", want: []string{
			// The newline that ends line 1 is the mistake, so line 1.
			"1:7: TOML syntax: expected '.' or ']' to end table name, but got '\\n' instead",
		}},
		{name: "syntax-unicode", want: []string{
			// Columns count characters: "é" is one.
			"2:18: TOML syntax: strings cannot contain newlines",
		}},
		{name: "bad-list-items", want: []string{
			// Each mistake once: a list with a wrong item is not also
			// reported as empty.
			"3:10: medication[1].times[1]: \"9am\" is not a time of day (want HH:MM, 24-hour, like \"07:30\")",
			"7:9: medication[2].times: want an array, not a string",
			"11:9: medication[3].times: no dose times given",
			"15:10: channel[1].kinds[1]: want a string, not an integer",
			"19:9: channel[2].kinds: an empty kinds list would send nothing; leave kinds out to receive every kind",
		}},
		{name: "hints", want: []string{
			"2:1: sleep.bedtime: unknown key (did you mean \"bed\"?)",
			"3:1: sleep.wake_time: unknown key (did you mean \"wake\"?)",
		}},
		{name: "too-many", want: []string{
			"3:8: custom[1].cron: the profile yields up to 86417 reminders a day; the limit is 50000",
		}},
		{name: "unknown-keys", want: []string{
			"1:1: timezon: unknown key (did you mean \"timezone\"?)",
			"4:1: sleep.bedd: unknown key (did you mean \"bed\"?)",
			"5:1: hydratoin: unknown key (did you mean \"hydration\"?)",
		}},
		{name: "wrong-types", want: []string{
			"1:9: sleep: want a table ([sleep]), not a string",
			"3:11: quiet.enabled: want true or false, not a string",
			"5:16: medication_review.every_months: 13 is out of range (want 1 to 12)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := problems(t, filepath.Join("testdata", "invalid", tt.name+".toml"))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
