package profile_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
)

func TestShippedProfilesLoad(t *testing.T) {
	for _, path := range []string{"../../config/example.toml", "../../config/reference.toml"} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if _, err := profile.Load(path); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("starter", func(t *testing.T) {
		if _, err := profile.Parse("starter.toml", []byte(profile.Starter)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDefaults(t *testing.T) {
	p, err := profile.Parse("empty.toml", []byte("timezone = \"UTC\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"wake", p.Sleep.Wake.String(), "07:00"},
		{"bed", p.Sleep.Bed.String(), "23:00"},
		{"climate", p.Climate, profile.Temperate},
		{"hydration every", p.Hydration.Every, 2 * time.Hour},
		{"before workout", p.Hydration.BeforeWorkout, 20 * time.Minute},
		{"quiet from bed", p.Quiet.From.String(), "23:00"},
		{"quiet to wake", p.Quiet.To.String(), "07:00"},
		{"stretch", p.Stretch.BeforeBed, 30 * time.Minute},
		{"after workout", p.Electrolytes.AfterWorkout, 15 * time.Minute},
		{"medication grace", p.Grace[domain.KindMedication], 2 * time.Hour},
		{"hydration grace", p.Grace[domain.KindHydration], 15 * time.Minute},
		{"doctor severity", p.Doctor.Severity, 8},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestClimateSetsHydrationCadence(t *testing.T) {
	tests := []struct {
		name    string
		climate string
		want    time.Duration
	}{
		{"temperate", "temperate", 2 * time.Hour},
		{"cold", "cold", 2 * time.Hour},
		{"hot", "hot", 90 * time.Minute},
		{"humid", "humid", 90 * time.Minute},
		{"hot-humid", "hot-humid", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := profile.Parse("p.toml", []byte("[climate]\nkind = \""+tt.climate+"\"\n"))
			if err != nil {
				t.Fatal(err)
			}
			if p.Hydration.Every != tt.want {
				t.Errorf("every = %v, want %v", p.Hydration.Every, tt.want)
			}
		})
	}
}

func TestDays(t *testing.T) {
	tests := []struct {
		name string
		days string
		want []time.Weekday
	}{
		{"list", `["tue", "thu"]`, []time.Weekday{time.Tuesday, time.Thursday}},
		{"full names", `["Tuesday", "sunday"]`, []time.Weekday{time.Sunday, time.Tuesday}},
		{"weekdays", `"weekdays"`, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}},
		{"weekends", `"weekends"`, []time.Weekday{time.Sunday, time.Saturday}},
		{"daily", `"daily"`, []time.Weekday{0, 1, 2, 3, 4, 5, 6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "[[exercise]]\nname = \"x\"\nstart = \"10:00\"\nduration = \"1h\"\ndays = " + tt.days + "\n"
			p, err := profile.Parse("p.toml", []byte(src))
			if err != nil {
				t.Fatal(err)
			}
			var got []time.Weekday
			for w := time.Sunday; w <= time.Saturday; w++ {
				if p.Exercises[0].Days.Has(w) {
					got = append(got, w)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("days = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"45m", 45 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"1d12h", 36 * time.Hour, true},
		{"d", 0, false},
		{"12", 0, false},
		{"99999999d", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := profile.ParseDuration(tt.in)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func writeProfile(t *testing.T, dir, body string) string {
	t.Helper()
	path := filepath.Join(dir, "profile.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestSizeLimit(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("# padding\n", profile.MaxSize/10+1)
	path := writeProfile(t, dir, big)
	_, err := profile.Load(path)
	if err == nil || !strings.Contains(err.Error(), "larger than 1024 KiB") {
		t.Fatalf("err = %v", err)
	}
}

func TestUnreadableFile(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	tests := []struct {
		name string
		path string
		want string // the whole message
	}{
		{
			name: "default path needs no flag", path: profile.DefaultPath(),
			want: profile.DefaultPath() + ": no such file (create one with `crampd init`)",
		},
		{
			name: "another path is named", path: filepath.Join(dir, "none.toml"),
			want: filepath.Join(dir, "none.toml") + ": no such file (create one with `crampd init --profile " + filepath.Join(dir, "none.toml") + "`)",
		},
		{
			name: "a path with a space is quoted", path: filepath.Join(dir, "my legs.toml"),
			want: filepath.Join(dir, "my legs.toml") + ": no such file (create one with `crampd init --profile '" + filepath.Join(dir, "my legs.toml") + "'`)",
		},
		{
			name: "a directory is said once", path: dir,
			want: dir + ": not a regular file (it is a directory); crampd reads a profile only from a plain file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := profile.Load(tt.path)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v\nwant  %s", err, tt.want)
			}
		})
	}
}

func TestCronUsesProfileZoneUnlessNamed(t *testing.T) {
	p, err := profile.Parse("p.toml", []byte(`timezone = "Asia/Tokyo"
[[custom]]
name = "a"
cron = "0 9 * * *"
title = "a"
[[custom]]
name = "b"
cron = "CRON_TZ=America/New_York 0 9 * * *"
title = "b"
`))
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Customs[0].Schedule.Location.String(); got != "Asia/Tokyo" {
		t.Errorf("a: zone %s", got)
	}
	if got := p.Customs[1].Schedule.Location.String(); got != "America/New_York" {
		t.Errorf("b: zone %s", got)
	}
}

// A profile replaced by a named pipe or a device must not hang a reload
// until something writes to it.
func TestProfileMustBeARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.toml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"named pipe", fifo, fifo + ": not a regular file (it is a named pipe); crampd reads a profile only from a plain file"},
		{"directory", dir, dir + ": not a regular file (it is a directory); crampd reads a profile only from a plain file"},
		{"device", "/dev/zero", "/dev/zero: not a regular file (it is a device); crampd reads a profile only from a plain file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			done := make(chan error, 1)
			go func() {
				_, err := profile.Load(tt.path)
				done <- err
			}()
			select {
			case err := <-done:
				if err == nil || err.Error() != tt.want {
					t.Fatalf("Load = %v\nwant %s", err, tt.want)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Load blocked")
			}
		})
	}
}

// customCron loads a profile with one custom reminder on spec.
func customCron(spec string) (*profile.Profile, error) {
	return profile.Parse("p.toml", []byte("[[custom]]\nname = \"c\"\ntitle = \"t\"\ncron = \""+spec+"\"\n"))
}

func TestEveryIsRefusedWithTheMatchingCron(t *testing.T) {
	tests := []struct {
		name, spec string
		want       string
	}{
		{name: "an hour", spec: "@every 1h", want: `write it as the cron expression "0 * * * *"`},
		{name: "two hours", spec: "@every 2h", want: `write it as the cron expression "0 */2 * * *"`},
		{name: "minutes in hours", spec: "@every 120m", want: `write it as the cron expression "0 */2 * * *"`},
		{name: "half an hour", spec: "@every 30m", want: `write it as the cron expression "*/30 * * * *"`},
		{name: "a minute", spec: "@every 1m", want: `write it as the cron expression "* * * * *"`},
		{name: "seconds", spec: "@every 15s", want: `write it as the cron expression "*/15 * * * * *"`},
		{name: "a day", spec: "@every 24h", want: `write it as the cron expression "0 0 * * *"`},
		{name: "ninety minutes cannot be said", spec: "@every 90m", want: "@every is not supported, and no cron expression fires every 1h30m; write the times you want as one"},
		{name: "seven minutes cannot be said", spec: "@every 7m", want: "no cron expression fires every 7m"},
		{name: "a round number of minutes keeps its zero", spec: "@every 50m", want: "no cron expression fires every 50m;"},
		{name: "five hours cannot be said", spec: "@every 5h", want: "no cron expression fires every 5h"},
		{name: "two days cannot be said", spec: "@every 48h", want: "no cron expression fires every 2d"},
		{name: "not a duration", spec: "@every often", want: "@every is not supported; write the times as a cron expression"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := customCron(tt.spec)
			if err == nil {
				t.Fatal("an @every spec was accepted")
			}
			got := err.Error()
			if !strings.Contains(got, "custom[1].cron: \""+tt.spec+"\": @every is not supported") || !strings.Contains(got, tt.want) {
				t.Errorf("problem = %s\nwant it to say %s", got, tt.want)
			}
			if strings.Contains(tt.want, "cannot") || strings.Contains(tt.want, "no cron expression") {
				if strings.Contains(got, "cron expression \"") {
					t.Errorf("suggested a cron expression for what cron cannot say: %s", got)
				}
			}
		})
	}
}

func TestCronStepWarnings(t *testing.T) {
	tests := []struct {
		name, spec string
		want       []string
	}{
		{name: "hour step past the day", spec: "0 */90 * * *", want: []string{
			`p.toml:4:8: custom[1].cron: warning: "*/90" steps by 90, past the end of the hour field's range 0-23, so it matches only hour 0`,
		}},
		{name: "minute step of sixty", spec: "*/60 * * * *", want: []string{
			`p.toml:4:8: custom[1].cron: warning: "*/60" steps by 60, past the end of the minute field's range 0-59, so it matches only minute 0`,
		}},
		{name: "range shorter than its step", spec: "0 9-12/5 * * *", want: []string{
			`p.toml:4:8: custom[1].cron: warning: "9-12/5" steps by 5, past the end of the hour field's range 9-12, so it matches only hour 9`,
		}},
		{name: "seconds field and a zone", spec: "CRON_TZ=UTC */75 0 9 * * *", want: []string{
			`p.toml:4:8: custom[1].cron: warning: "*/75" steps by 75, past the end of the second field's range 0-59, so it matches only second 0`,
		}},
		{name: "weekday step of seven", spec: "0 9 * * */7", want: []string{
			`p.toml:4:8: custom[1].cron: warning: "*/7" steps by 7, past the end of the day-of-week field's range 0-6, so it matches only day-of-week 0`,
		}},
		{name: "ordinary steps", spec: "*/15 */2 1-31/2 */3 1-5/2"},
		{name: "last value reachable", spec: "*/59 */23 * * *"},
		{name: "named days", spec: "0 9 * * MON-FRI"},
		{name: "descriptor", spec: "@daily"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := customCron(tt.spec)
			if err != nil {
				t.Fatalf("a legal spec was refused: %v", err)
			}
			var got []string
			for _, w := range p.Warnings {
				got = append(got, w.String())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestCheckin(t *testing.T) {
	tests := []struct {
		name, text  string
		enabled     bool
		at          string
		wantWarning string
	}{
		{name: "off unless asked", text: "", enabled: false, at: "07:30"},
		{name: "half an hour after waking", text: "[sleep]\nwake = \"06:15\"\n[checkin]\nenabled = true\n", enabled: true, at: "06:45"},
		{name: "waking just before midnight", text: "[sleep]\nwake = \"23:45\"\nbed = \"15:00\"\n[checkin]\nenabled = true\n", enabled: true, at: "00:15"},
		{name: "a time of its own", text: "[checkin]\nenabled = true\nat = \"09:10\"\n", enabled: true, at: "09:10"},
		{name: "in quiet hours", text: "[quiet]\nto = \"08:00\"\n[checkin]\nenabled = true\n", enabled: true, at: "07:30",
			wantWarning: "p.toml:5:11: checkin.enabled: warning: the check-in at 07:30 falls in quiet hours (23:00 to 08:00), which silence it: it never comes"},
		{name: "quiet hours at its own time", text: "[checkin]\nenabled = true\nat = \"23:30\"\n", enabled: true, at: "23:30",
			wantWarning: "p.toml:4:6: checkin.at: warning: the check-in at 23:30 falls in quiet hours (23:00 to 07:00), which silence it: it never comes"},
		{name: "no warning while off", text: "[checkin]\nat = \"23:30\"\n", enabled: false, at: "23:30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := profile.Parse("p.toml", []byte("timezone = \"UTC\"\n"+tt.text))
			if err != nil {
				t.Fatal(err)
			}
			if p.Checkin.Enabled != tt.enabled || p.Checkin.At.String() != tt.at {
				t.Errorf("checkin = %+v (at %s), want enabled %v at %s", p.Checkin, p.Checkin.At, tt.enabled, tt.at)
			}
			var got string
			for _, w := range p.Warnings {
				got += w.String()
			}
			if got != tt.wantWarning {
				t.Errorf("warnings = %q, want %q", got, tt.wantWarning)
			}
		})
	}
}
