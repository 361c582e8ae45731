package advice

// Disclaimer is what every page and report that shows health information
// says about it.
const Disclaimer = "crampd's reminders and this summary are informational, drawn from one published article on " +
	"what causes leg cramps and what helps. They are not medical advice and do not replace a doctor."

// Relief lists, in order, what the article says to do when a leg cramp
// strikes.
func Relief() []string {
	return []string{
		"Gently stretch the affected muscle. For a calf cramp, straighten your leg and pull your toes toward your body.",
		"Massage the area to help relax the muscle and increase blood flow.",
		"Apply heat with a heating pad or warm towel to loosen the muscle. A warm bath can also be helpful.",
		"Once the spasm subsides, consider a cold pack to help with any residual soreness.",
		"For cramps at night, loosen the bed covers so they do not restrict your movement.",
	}
}

// SeeADoctor is the article's advice on when to see a doctor about cramps.
const SeeADoctor = "See a doctor if your cramps are severe, happen frequently, or come with other symptoms like swelling, numbness or weakness."

// MedicationsNote is the article's word on medications and cramps, for a
// report that lists a person's medications.
const MedicationsNote = "Some medications can affect electrolyte levels. Discuss your prescription list with your doctor " +
	"to see if they might be a contributing factor."
