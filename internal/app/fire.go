package app

import (
	"context"
	"fmt"
	"time"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/store"
)

// FireResult says what a test fire sent.
type FireResult struct {
	Occurrence domain.Occurrence `json:"occurrence"`
	// Channels are the channels it goes to.
	Channels []string `json:"channels"`
	// PausedUntil is set when crampd is paused: a test fire goes out all
	// the same.
	PausedUntil *time.Time `json:"paused_until,omitempty"`
}

// fireSearch bounds how far ahead Fire looks for a kind's next reminder to
// borrow its wording.
const fireSearch = 8 * 24 * time.Hour

// Fire sends one reminder of a kind, or the custom reminder with that name,
// right now, to try the channels. It is a test: quiet hours and a pause do
// not hold it, and it starts no cooldown (a test of the doctor kind does
// not keep the real doctor nudge from going out). Its wording is that of
// the kind's next planned reminder, or a sample.
func (s *Service) Fire(ctx context.Context, what string) (FireResult, error) {
	if err := s.needDaemon(); err != nil {
		return FireResult{}, err
	}
	now := s.clock.Now()
	policy, inputs := s.engine.Policy(), s.engine.Inputs()
	o, found := customNamed(policy.Profile(), what)
	if !found {
		o, found = nextOf(inputs.Build, now, what)
	}
	if !found {
		k, err := domain.ParseKind(what)
		if err != nil {
			return FireResult{}, fmt.Errorf("%w: %q is neither a kind (%s) nor a custom reminder's name", domain.ErrInvalid, what, domain.KindList())
		}
		o = sample(k)
	}
	o.Rule = domain.ManualRule + what
	o.At = now.In(policy.Location())
	o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
	channels := s.engine.Routes(o.Kind)
	if len(channels) == 0 {
		return FireResult{}, fmt.Errorf("%w: no channel takes %s reminders (see `kinds` in the profile's [[channel]] tables)", domain.ErrInvalid, o.Kind)
	}
	var ds []domain.Delivery
	err := s.store.Do(ctx, func(tx *store.Tx) (err error) {
		ds, err = tx.RecordFired(now, []store.Due{{Occurrence: o, Channels: channels, Expires: policy.ExpiresAt(o, now)}})
		return err
	})
	if err != nil {
		return FireResult{}, err
	}
	s.engine.Submit(ds)
	s.log.Info("reminder fired on request", "id", o.ID, "kind", o.Kind)
	s.Publish(Event{Kind: EventFired, IDs: []string{o.ID}})
	res := FireResult{Occurrence: o, Channels: channels}
	if p := s.engine.Pause(); p.Active(now) {
		until := p.Until.In(policy.Location())
		res.PausedUntil = &until
	}
	return res, nil
}

// customNamed words the custom reminder named what, wherever its next
// instant falls.
func customNamed(p *profile.Profile, what string) (domain.Occurrence, bool) {
	for _, c := range p.Customs {
		if c.Name == what {
			t := plan.CustomText(c)
			return domain.Occurrence{Kind: domain.KindCustom, Title: t.Title, Body: t.Body, Why: t.Why}, true
		}
	}
	return domain.Occurrence{}, false
}

// nextOf finds the next planned reminder of kind what, a day at a time so
// that a dense profile is not planned days ahead.
func nextOf(build func(from, to time.Time) []domain.Occurrence, now time.Time, what string) (domain.Occurrence, bool) {
	for from := now; from.Before(now.Add(fireSearch)); from = from.Add(24 * time.Hour) {
		for _, c := range build(from, from.Add(24*time.Hour)) {
			if string(c.Kind) == what {
				return c, true
			}
		}
	}
	return domain.Occurrence{}, false
}

// sample words a reminder of kind k when the plan has none coming.
func sample(k domain.Kind) domain.Occurrence {
	var t advice.Text
	switch k {
	case domain.KindHydration:
		t = advice.Hydration(false)
	case domain.KindStretch:
		t = advice.Stretch()
	case domain.KindFood:
		t = advice.FoodPrompt(advice.Magnesium, advice.FoodTexts(advice.FoodsFor(advice.Magnesium, nil))[:3], nil)
	case domain.KindElectrolytes:
		t = advice.Electrolytes("workout", false, []string{"bananas"})
	case domain.KindDoctor:
		t = advice.Doctor("")
	default:
		t = advice.Text{Title: "crampd test reminder", Body: "This is a test of your " + string(k) + " reminders.", Why: "You asked crampd to send it."}
	}
	return domain.Occurrence{Kind: k, Title: t.Title, Body: t.Body, Why: t.Why}
}
