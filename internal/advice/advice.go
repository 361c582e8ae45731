// Package advice holds every health statement crampd makes: the nutrients,
// the foods that carry them and the wording of each reminder. All of it comes
// from the article in crampd's design notes ("What Deficiencies Cause Leg
// Cramps and What You Can Do"); nothing here goes beyond what it says.
package advice

import (
	"slices"
	"strings"
)

// Mineral is a nutrient a medication can lower or a food prompt can favour.
type Mineral string

// The minerals a profile may name in a medication's `lowers` list. Food
// prompts rotate through the first three; sodium is replaced through fluids.
const (
	Magnesium Mineral = "magnesium"
	Potassium Mineral = "potassium"
	Calcium   Mineral = "calcium"
	Sodium    Mineral = "sodium"
)

// Minerals lists every mineral a profile may name, in a fixed order.
func Minerals() []Mineral { return []Mineral{Magnesium, Potassium, Calcium, Sodium} }

// FoodNutrients lists the nutrients food prompts rotate through, in order.
func FoodNutrients() []Mineral { return []Mineral{Magnesium, Potassium, Calcium} }

// Food is one food the article names as a source of a nutrient.
type Food struct {
	// ID is what a profile's diet.avoid names.
	ID string
	// Text is how reminders name the food.
	Text string
	// Groups are broader names that also exclude this food when avoided
	// (avoiding "nuts" excludes almonds).
	Groups []string
	// Sources are the nutrients the article says the food provides.
	Sources []Mineral
}

// foods is the article's catalogue, in the order reminders name them.
var foods = []Food{
	{ID: "spinach", Text: "spinach", Groups: []string{"leafy-greens", "vegetables"}, Sources: []Mineral{Magnesium}},
	{ID: "almonds", Text: "almonds", Groups: []string{"nuts"}, Sources: []Mineral{Magnesium}},
	{ID: "avocados", Text: "avocados", Groups: []string{"fruit"}, Sources: []Mineral{Magnesium}},
	{ID: "nuts", Text: "nuts", Sources: []Mineral{Magnesium}},
	{ID: "seeds", Text: "seeds", Sources: []Mineral{Magnesium}},
	{ID: "whole-grains", Text: "whole grains", Groups: []string{"grains", "gluten"}, Sources: []Mineral{Magnesium}},
	{ID: "bananas", Text: "bananas", Groups: []string{"fruit"}, Sources: []Mineral{Potassium}},
	{ID: "sweet-potatoes", Text: "sweet potatoes", Groups: []string{"vegetables"}, Sources: []Mineral{Potassium}},
	{ID: "black-beans", Text: "black beans", Groups: []string{"legumes", "beans"}, Sources: []Mineral{Potassium}},
	{ID: "dairy", Text: "dairy products", Groups: []string{"milk", "lactose"}, Sources: []Mineral{Calcium}},
	{ID: "fortified-cereals", Text: "fortified cereals", Groups: []string{"cereals", "grains", "gluten"}, Sources: []Mineral{Calcium}},
	{ID: "leafy-greens", Text: "leafy greens", Groups: []string{"vegetables"}, Sources: []Mineral{Calcium, Magnesium}},
}

// FoodNames returns every name diet.avoid accepts: food IDs and groups,
// sorted.
func FoodNames() []string {
	var names []string
	for _, f := range foods {
		names = append(names, f.ID)
		names = append(names, f.Groups...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// NormalizeFood turns a user's spelling ("Sweet potatoes") into the form
// FoodNames uses ("sweet-potatoes").
func NormalizeFood(s string) string {
	return strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), " ", "-")
}

// FoodsFor returns the foods that provide m, leaving out any whose ID or
// group is in avoid (normalized names).
func FoodsFor(m Mineral, avoid []string) []Food {
	var out []Food
	for _, f := range foods {
		if !slices.Contains(f.Sources, m) || avoided(f, avoid) {
			continue
		}
		out = append(out, f)
	}
	return out
}

func avoided(f Food, avoid []string) bool {
	if slices.Contains(avoid, f.ID) {
		return true
	}
	for _, g := range f.Groups {
		if slices.Contains(avoid, g) {
			return true
		}
	}
	return false
}

// List joins names as English prose: "a, b or c".
func List(names []string, conj string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " " + conj + " " + names[len(names)-1]
}

// FoodTexts returns the display names of fs.
func FoodTexts(fs []Food) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Text
	}
	return out
}
