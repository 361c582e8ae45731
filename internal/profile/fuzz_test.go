package profile_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
)

// FuzzParse feeds arbitrary bytes to the loader. No input may panic, every
// problem must name the file, and a profile that loads must plan.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/invalid/*.toml")
	more, _ := filepath.Glob("../plan/testdata/profiles/*.toml")
	seeds = append(seeds, more...)
	seeds = append(seeds, "../../config/example.toml", "../../config/reference.toml")
	for _, s := range seeds {
		b, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(profile.Starter))
	from := time.Date(2027, 3, 13, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := profile.Parse("fuzz.toml", data)
		if err != nil {
			var perr *profile.Error
			if !errors.As(err, &perr) || len(perr.Problems) == 0 {
				t.Fatalf("error %T without problems: %v", err, err)
			}
			for _, pr := range perr.Problems {
				if pr.File != "fuzz.toml" || pr.Msg == "" {
					t.Fatalf("problem without file or message: %+v", pr)
				}
			}
			return
		}
		if n := len(plan.Days(p, from, 2)); n > 2*profile.MaxPerDay+2*profile.MaxPerDay/10 {
			t.Fatalf("plan yields %d occurrences in two days, above the limit", n)
		}
	})
}
