package advice

import (
	"fmt"

	"github.com/crampd/crampd/internal/heat"
)

// The wording of the reminders the weather adds. The health statements are
// the article's (drink enough "especially during and after exercise or in
// hot weather"; electrolyte-rich fluids after heavy sweating); the amounts
// are NIOSH's guidance for drinking in the heat (a cup every 15-20 minutes,
// never more than 48 oz, 1.4 l, an hour); the categories are the US National
// Weather Service's. The README cites all three.

// HeatHydration words the water reminder of an hour whose heat index is
// indexF, in category c (Caution or hotter), reminding every `every`.
func HeatHydration(indexF float64, c heat.Category, every string) Text {
	body := fmt.Sprintf("Drink a cup of water (about 250 ml, 8 oz). The heat index this hour is %s, so crampd reminds you every %s while it stays this hot.",
		heat.Describe(indexF), every)
	if c >= heat.Danger {
		body += " Sip steadily rather than a lot at once, and no more than 1.4 l (48 oz) in an hour."
	}
	return Text{
		Title: fmt.Sprintf("Time for a cup of water: heat index %s", heat.Describe(indexF)),
		Body:  body,
		Why: fmt.Sprintf("Heat index %s this hour, in the US National Weather Service's %q category (forecast by Open-Meteo.com). Drinking enough matters especially in hot weather: dehydration is a well-known cause of muscle cramps.",
			heat.Describe(indexF), c.String()),
	}
}

// HeatElectrolytes words the late-afternoon prompt of a day whose heat
// index reaches maxF, in the Danger category or hotter.
func HeatElectrolytes(maxF float64, c heat.Category, snacks []string) Text {
	body := fmt.Sprintf("Today's heat index reaches %s. If you have been sweating heavily, drink water and an electrolyte-rich fluid to replace what you lost.", heat.Describe(maxF))
	if len(snacks) > 0 {
		body += fmt.Sprintf(" Have a potassium-rich snack, such as %s.", List(snacks, "or"))
	}
	return Text{
		Title: "Replenish electrolytes on a hot day",
		Body:  body,
		Why: fmt.Sprintf("A heat index of %s is in the US National Weather Service's %q category (forecast by Open-Meteo.com). Heavy sweating depletes fluid and electrolytes such as sodium and potassium, which can trigger cramps; electrolyte-rich fluids may help afterwards.",
			heat.Describe(maxF), c.String()),
	}
}
