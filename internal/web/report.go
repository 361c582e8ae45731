package web

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/crampd/crampd/internal/app"
)

// reportData is the report page's data.
type reportData struct {
	R      app.Report
	Weekly chart
	// Nights is the stretch comparison.
	Nights chart
	// CSV links the journal as a spreadsheet (not in a file).
	CSV string
}

func reportView(r app.Report, standalone bool) view {
	v := view{
		Title: fmt.Sprintf("Leg cramps, %s to %s", r.From.Format("2 Jan 2006"), r.To.Format("2 Jan 2006")),
		Nav:   "report", SignedIn: !standalone, Standalone: standalone,
		Data: reportData{R: r, Weekly: weeklyChart("report-weekly", r.PerWeek), Nights: nightsChart("report-nights", r.Stretch),
			CSV: "/report.csv?weeks=" + strconv.Itoa(r.Weeks)},
	}
	if standalone {
		css, _ := fs.ReadFile(static, "style.css")
		v.CSS = template.CSS(css)
	}
	return v
}

// RenderReport writes the report as one HTML file that needs nothing else:
// its styles are inside it, and it prints on A4 or Letter.
func RenderReport(w io.Writer, r app.Report) error {
	return execute(w, "report", reportView(r, true))
}

// WriteCSV writes the report's journal as CSV: one cramp a row, oldest
// first, times in the profile's zone.
func WriteCSV(w io.Writer, r app.Report) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"id", "date", "time", "zone", "leg", "muscle", "severity", "symptoms", "note"})
	for _, c := range r.Journal {
		sev := ""
		if c.Severity > 0 {
			sev = strconv.Itoa(c.Severity)
		}
		cw.Write([]string{
			strconv.FormatInt(c.ID, 10), c.At.Format("2006-01-02"), c.At.Format("15:04"), c.At.Format("MST"),
			c.Leg, c.Muscle, sev, strings.Join(c.Symptoms, ";"), cell(c.Note),
		})
	}
	cw.Flush()
	return cw.Error()
}

// cell keeps a spreadsheet from reading a note as a formula: a leading
// =, +, - or @ would otherwise make one of it.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@", rune(s[0])) {
		return "'" + s
	}
	return s
}
