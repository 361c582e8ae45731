package web

import (
	"fmt"
	"math"

	"github.com/crampd/crampd/internal/stats"
)

// chart is an SVG chart drawn by the server: a title and a description
// for assistive technology, bars laid out here, and the numbers, which
// the page also shows as a table beside it.
type chart struct {
	ID, Title, Desc string
	Width, Height   float64
	// Bars are a column chart's bars, Ticks its value axis and Labels the
	// names under the bars.
	Bars   []bar
	Ticks  []tick
	Labels []label
	// Rows are a bar chart's rows, each split into segments.
	Rows []row
	// Base is the y of a column chart's baseline.
	Base float64
	// PlotLeft and PlotRight bound the plot; TickX places the value
	// axis's numbers and LabelY the names under the bars.
	PlotLeft, PlotRight float64
	TickX, LabelY       float64
	// RowLabelX ends a row's label and RowBar is a row's thickness.
	RowLabelX, RowBar float64
}

type bar struct {
	X, Y, W, H float64
	// Tip is the bar's tooltip; Value is shown above it when there is
	// room.
	Tip   string
	Value string
	// VX and VY place the value.
	VX, VY float64
}

type tick struct {
	Y     float64
	Label string
}

type label struct {
	X    float64
	Text string
}

type row struct {
	Label string
	Y     float64
	// TY is the baseline of the row's texts.
	TY       float64
	Segments []segment
	// Text follows the bar, at TX.
	Text string
	TX   float64
}

type segment struct {
	X, W  float64
	Class string
	Tip   string
}

// Chart geometry, in the SVG's own units: the chart scales to the width
// of the page.
const (
	chartWidth = 640.0
	colHeight  = 240.0
	colTop     = 16.0
	colBottom  = 36.0
	colLeft    = 36.0
	colRight   = 8.0
	rowHeight  = 40.0
	rowBar     = 22.0
	rowLabel   = 170.0
	rowText    = 150.0
)

// niceMax rounds a largest value up to a scale with whole-number ticks.
func niceMax(v int) (top, step int) {
	if v < 1 {
		v = 1
	}
	for _, s := range []int{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000} {
		if v <= 4*s {
			return int(math.Ceil(float64(v)/float64(s))) * s, s
		}
	}
	s := int(math.Pow(10, math.Ceil(math.Log10(float64(v)/4))))
	return int(math.Ceil(float64(v)/float64(s))) * s, s
}

// weeklyChart draws one bar per week, oldest on the left.
func weeklyChart(id string, weeks []stats.Week) chart {
	c := chart{
		ID: id, Title: "Cramps per week",
		Width: chartWidth, Height: colHeight, Base: colHeight - colBottom, PlotLeft: colLeft, PlotRight: chartWidth - colRight,
		TickX: colLeft - 6, LabelY: colHeight - colBottom + 20,
	}
	most, total := 0, 0
	for _, w := range weeks {
		most = max(most, w.Cramps)
		total += w.Cramps
	}
	c.Desc = fmt.Sprintf("A column per week for %d weeks, oldest first: %d cramps in all, at most %d in one week.", len(weeks), total, most)
	if len(weeks) == 0 {
		return c
	}
	top, step := niceMax(most)
	plotH := c.Base - colTop
	for v := 0; v <= top; v += step {
		c.Ticks = append(c.Ticks, tick{Y: c.Base - plotH*float64(v)/float64(top), Label: fmt.Sprint(v)})
	}
	slot := (c.PlotRight - c.PlotLeft) / float64(len(weeks))
	every := int(math.Ceil(float64(len(weeks)) / 8))
	for i, w := range weeks {
		h := plotH * float64(w.Cramps) / float64(top)
		x := c.PlotLeft + slot*float64(i)
		b := bar{X: x + slot*0.15, W: slot * 0.7, Y: c.Base - h, H: h,
			Tip: fmt.Sprintf("Week from %s: %d %s", w.Start.Format("2 Jan 2006"), w.Cramps, plural(w.Cramps, "cramp"))}
		if len(weeks) <= 13 {
			b.Value, b.VX, b.VY = fmt.Sprint(w.Cramps), x+slot/2, c.Base-h-4
		}
		c.Bars = append(c.Bars, b)
		if i%every == 0 {
			c.Labels = append(c.Labels, label{X: x + slot/2, Text: w.Start.Format("2 Jan")})
		}
	}
	return c
}

// rowsChart draws one row per entry, each split into a marked and an
// unmarked part of its total, scaled to the largest total.
func rowsChart(id, title, desc, markedClass string, entries []rowEntry) chart {
	c := chart{ID: id, Title: title, Desc: desc, Width: chartWidth, Height: rowHeight*float64(len(entries)) + 8,
		RowLabelX: rowLabel - 8, RowBar: rowBar}
	most := 1
	for _, e := range entries {
		most = max(most, e.Total)
	}
	span := chartWidth - rowLabel - rowText
	for i, e := range entries {
		y := 4 + rowHeight*float64(i)
		r := row{Label: e.Label, Y: y + (rowHeight-rowBar)/2, TY: y + rowHeight/2 + 5, Text: e.Text}
		marked := span * float64(e.Marked) / float64(most)
		rest := span * float64(e.Total-e.Marked) / float64(most)
		r.Segments = []segment{
			{X: rowLabel, W: marked, Class: markedClass, Tip: fmt.Sprintf("%s: %d %s", e.Label, e.Marked, e.MarkedName)},
			{X: rowLabel + marked, W: rest, Class: "seg-rest", Tip: fmt.Sprintf("%s: %d %s", e.Label, e.Total-e.Marked, e.RestName)},
		}
		r.TX = rowLabel + marked + rest + 8
		c.Rows = append(c.Rows, r)
	}
	return c
}

type rowEntry struct {
	Label         string
	Marked, Total int
	MarkedName    string
	RestName      string
	Text          string
}

// nightsChart sets nights after an acknowledged stretch beside the other
// nights, with the cramp nights of each: counts side by side, which show
// no cause.
func nightsChart(id string, s stats.StretchNight) chart {
	return rowsChart(id, "Cramp nights after a stretch, beside the other nights",
		fmt.Sprintf("Of %d nights after an acknowledged stretch, %d had cramps; of the %d other nights, %d had cramps. These are counts, not causes.",
			s.AckedNights, s.AckedCrampNights, s.OtherNights, s.OtherCrampNights),
		"seg-cramp", []rowEntry{
			{Label: "After a stretch", Marked: s.AckedCrampNights, Total: s.AckedNights, MarkedName: "cramp nights", RestName: "nights without cramps",
				Text: fmt.Sprintf("%d of %d nights", s.AckedCrampNights, s.AckedNights)},
			{Label: "Other nights", Marked: s.OtherCrampNights, Total: s.OtherNights, MarkedName: "cramp nights", RestName: "nights without cramps",
				Text: fmt.Sprintf("%d of %d nights", s.OtherCrampNights, s.OtherNights)},
		})
}

// adherenceChart shows, per kind, the reminders sent and those done.
func adherenceChart(id string, as []stats.Adherence) chart {
	var entries []rowEntry
	done, sent := 0, 0
	for _, a := range as {
		entries = append(entries, rowEntry{Label: kindName(a.Kind), Marked: a.Acked, Total: a.Fired, MarkedName: "done", RestName: "not marked done",
			Text: fmt.Sprintf("%d of %d done", a.Acked, a.Fired)})
		done += a.Acked
		sent += a.Fired
	}
	return rowsChart(id, "Reminders marked done, by kind",
		fmt.Sprintf("A bar per kind of reminder: %d of the %d reminders sent were marked done.", done, sent), "seg-done", entries)
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
