package advice

import (
	"fmt"
	"strings"
)

// Text is the wording of one reminder.
type Text struct {
	Title string
	Body  string
	// Why is the article's rationale in one sentence.
	Why string
}

// Hydration words the regular water reminder; warm selects the hot or humid
// weather variant.
func Hydration(warm bool) Text {
	body := "Drink a glass of water. Steady drinking through the day keeps your fluids and electrolytes in balance."
	if warm {
		body = "Drink a glass of water. In hot or humid weather you lose more fluid through sweat, so keep drinking through the day."
	}
	return Text{
		Title: "Time for a glass of water",
		Body:  body,
		Why:   "Dehydration is a well-known cause of muscle cramps: it upsets the balance of electrolytes, such as sodium, that muscles need.",
	}
}

// BeforeWorkout words the water reminder ahead of an exercise session.
func BeforeWorkout(session, start string) Text {
	return Text{
		Title: "Drink before your " + session,
		Body:  fmt.Sprintf("%s starts at %s. Drink a glass of water now so you start well hydrated.", session, start),
		Why:   "Drinking enough, especially around exercise, helps keep the electrolyte balance that prevents cramps.",
	}
}

// Stretch words the pre-bed stretch, with the article's instructions.
func Stretch() Text {
	return Text{
		Title: "Stretch your calves and hamstrings",
		Body: "Before bed, gently stretch your calves and hamstrings for a few minutes. For the calf, straighten your leg and pull your toes toward your body. " +
			"Loosen tight bed covers so they don't restrict your legs overnight.",
		Why: "Regular stretching, particularly before sleep, can help prevent night cramps.",
	}
}

// FoodPrompt words a mineral-rich food prompt. foods are the display names
// to suggest (already filtered by the diet); loweredBy names medications the
// user said can lower this mineral.
func FoodPrompt(m Mineral, foods []string, loweredBy []string) Text {
	t := Text{Title: fmt.Sprintf("Add a %s-rich food", m)}
	t.Body = fmt.Sprintf("Include a %s-rich food in this meal, such as %s.", m, List(foods, "or"))
	switch m {
	case Magnesium:
		t.Why = "Magnesium helps muscles relax after contracting; low levels make muscles excitable and prone to cramps, especially at night."
	case Potassium:
		t.Why = "Potassium carries the nerve signals that control muscle contraction; low levels can cause weakness and cramps."
	case Calcium:
		t.Body += " Vitamin D helps your body absorb calcium."
		t.Why = "Calcium is essential for normal muscle contraction; when blood calcium is low, muscles become prone to spasms and cramps."
	}
	if len(loweredBy) > 0 {
		t.Body += fmt.Sprintf(" You noted that %s can lower %s.", List(loweredBy, "and"), m)
	}
	return t
}

// Electrolytes words the post-workout prompt. heavy selects the variant for
// high-intensity sessions or hot climates, where the user sweats heavily;
// snacks are potassium-rich foods allowed by the diet.
func Electrolytes(session string, heavy bool, snacks []string) Text {
	var b strings.Builder
	if heavy {
		fmt.Fprintf(&b, "You likely sweated heavily during your %s: drink water and an electrolyte-rich fluid to replace what you lost.", session)
	} else {
		fmt.Fprintf(&b, "Your %s is done: drink water or an electrolyte-rich fluid.", session)
	}
	if len(snacks) > 0 {
		fmt.Fprintf(&b, " Have a potassium-rich snack, such as %s.", List(snacks, "or"))
	}
	why := "Hydration after physical exertion keeps electrolytes like sodium and potassium in balance, which helps prevent cramps."
	if heavy {
		why = "Heavy sweating depletes fluid and electrolytes such as sodium and potassium, which can trigger cramps; electrolyte-rich fluids may help afterwards."
	}
	return Text{Title: "Replenish after your " + session, Body: b.String(), Why: why}
}

// Medication words a dose reminder.
func Medication(name, at string, lowers []Mineral) Text {
	body := fmt.Sprintf("It's %s: time for your %s.", at, name)
	if len(lowers) > 0 {
		body += fmt.Sprintf(" You noted that it can lower %s; crampd's food and electrolyte prompts take that into account.", List(mineralNames(lowers), "and"))
	}
	return Text{
		Title: "Take your " + name,
		Body:  body,
		Why:   "A reminder at the same time each day helps you take your medication as scheduled.",
	}
}

// MedicationReview words the periodic prompt to review mineral-lowering
// medications with a doctor. drugs pairs each medication with what it lowers.
func MedicationReview(drugs []string, minerals []Mineral) Text {
	return Text{
		Title: "Review your medications with your doctor",
		Body: fmt.Sprintf("You noted that %s can lower %s. Discuss your prescription list with your doctor to see whether it might be contributing to your cramps.",
			List(drugs, "and"), List(mineralNames(minerals), "and")),
		Why: "Some medications can affect electrolyte levels, and addressing medication side effects is part of managing leg cramps.",
	}
}

// Doctor words the nudge to see a doctor; reason says what triggered it
// ("You logged a cramp of severity 9.").
func Doctor(reason string) Text {
	return Text{
		Title: "Consider seeing a doctor about your cramps",
		Body:  strings.TrimSpace(reason + " " + SeeADoctor),
		Why:   "A doctor can help rule out underlying medical conditions and find the best course of action.",
	}
}

// Checkin words the morning check-in. Its answers are buttons, and on a
// terminal `crampd checkin none|cramp|severe`.
func Checkin() Text {
	return Text{
		Title: "How was your night?",
		Body:  "Did a leg cramp wake you last night? Answer **No cramps**, **Cramp** or **Severe cramp**, and crampd keeps the night in your cramp journal.",
		Why:   "Leg cramps happen most often at night, at rest; a record of your nights shows whether they are frequent, and frequent or severe cramps are a reason to see a doctor.",
	}
}

func mineralNames(ms []Mineral) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return out
}
