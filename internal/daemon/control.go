package daemon

import (
	"context"
	"fmt"
	"time"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/outbox"
	"github.com/crampd/crampd/internal/plan"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/stats"
	"github.com/crampd/crampd/internal/store"
)

// Errors the control API maps to HTTP statuses.
var (
	ErrInvalid  = domain.ErrInvalid
	ErrNotFound = domain.ErrNotFound
)

// Snooze and pause limits.
const (
	minSnooze = time.Minute
	maxSnooze = 24 * time.Hour
	maxPause  = 30 * 24 * time.Hour
	// ButtonSnooze is what the desktop "Snooze 10 min" button asks for.
	ButtonSnooze = 10 * time.Minute
)

// Now reads the daemon's clock.
func (d *Daemon) Now() time.Time { return d.clock.Now() }

// paused reports whether deliveries are paused at now. A pause never
// outlives its end: it is a comparison, not a timer.
func (d *Daemon) paused(now time.Time) bool {
	until := d.pauseUntil.Load()
	return until != 0 && now.UnixMilli() < until
}

// gate holds deliveries while crampd is paused: first sendings wait for the
// end of the pause, while repeats and snoozes that fall in it are skipped.
func (d *Daemon) gate(del domain.Delivery, now time.Time) outbox.Verdict {
	if !d.paused(now) {
		return outbox.Verdict{}
	}
	if del.Dispatch > 0 {
		return outbox.Verdict{Skip: true, Reason: "paused"}
	}
	return outbox.Verdict{Hold: time.UnixMilli(d.pauseUntil.Load()), Reason: "paused"}
}

// repeatsOf returns the repeats of a medication dose: every `repeat` up to
// `max_repeats` times, cancelled when the dose is acknowledged.
func (d *Daemon) repeatsOf(rt *runtime, o domain.Occurrence, after time.Time) []store.Followup {
	m, ok := rt.repeats[o.Rule]
	if !ok || o.Kind != domain.KindMedication {
		return nil
	}
	out := make([]store.Followup, 0, m.MaxRepeats)
	for i := 1; i <= m.MaxRepeats; i++ {
		at := after.Add(time.Duration(i) * m.Repeat)
		out = append(out, store.Followup{At: at, Expires: at.Add(expiry[o.Kind])})
	}
	return out
}

// Status reports uptime, the profile, the last reload, the pause, the
// outbox depth and the next reminder.
func (d *Daemon) Status(ctx context.Context) (control.Status, error) {
	now := d.clock.Now()
	rt := d.rt.Load()
	depth, err := d.store.OutboxDepth(ctx)
	if err != nil {
		return control.Status{}, err
	}
	last := d.lastLoad.Load()
	s := control.Status{
		StartedAt: d.started, Uptime: now.Sub(d.started).Round(time.Second).String(),
		Profile: d.opts.ProfilePath, State: d.store.Path(), Zone: rt.profile.Location.String(),
		LastReload: control.ReloadStatus{At: last.At, OK: last.Err == nil}, OutboxDepth: depth,
	}
	if last.Err != nil {
		s.LastReload.Error = last.Err.Error()
	}
	if d.paused(now) {
		until := time.UnixMilli(d.pauseUntil.Load()).In(rt.profile.Location)
		s.Paused, s.PausedUntil = true, &until
	}
	if next := Upcoming(rt.profile, now, 1); len(next) > 0 {
		s.Next = &next[0]
	}
	return s, nil
}

// Upcoming returns the next n planned occurrences after now. It widens the
// window from an hour until it holds n, so that a profile with a reminder
// every few seconds is not planned days ahead to find the next one.
func Upcoming(p *profile.Profile, now time.Time, n int) []domain.Occurrence {
	from := now.Add(time.Nanosecond)
	var out []domain.Occurrence
	for span := time.Hour; len(out) < n; span *= 2 {
		to := now.Add(span)
		if limit := now.AddDate(0, 0, plan.MaxDays); to.After(limit) {
			to = limit
		}
		out = append(out, plan.Build(p, from, to)...)
		if !to.Before(now.AddDate(0, 0, plan.MaxDays)) {
			break
		}
		from = to
	}
	return out[:min(n, len(out))]
}

// Upcoming returns the next n reminders of the running profile.
func (d *Daemon) Upcoming(n int) []domain.Occurrence {
	return Upcoming(d.rt.Load().profile, d.clock.Now(), n)
}

// Ack records a reminder as done and stops its repeats and snoozes.
func (d *Daemon) Ack(ctx context.Context, id string) (store.Record, error) {
	rec, cancelled, err := d.store.Ack(ctx, id, d.clock.Now())
	if err != nil {
		return rec, err
	}
	d.out.Cancel(cancelled)
	d.log.Info("reminder acknowledged", "id", id, "kind", rec.Kind, "cancelled_deliveries", len(cancelled))
	return rec, nil
}

// Snooze sends a reminder again after dur, replacing its pending repeats. A
// medication keeps repeating after the snoozed sending until acknowledged.
func (d *Daemon) Snooze(ctx context.Context, id string, dur time.Duration) (time.Time, error) {
	if dur < minSnooze || dur > maxSnooze {
		return time.Time{}, fmt.Errorf("%w: snooze for %s to %s, not %s", ErrInvalid, minSnooze, maxSnooze, dur)
	}
	rec, err := d.store.Record(ctx, id)
	if err != nil {
		return time.Time{}, err
	}
	if rec.Status == domain.StatusAcked {
		return time.Time{}, fmt.Errorf("%w: %s is already acknowledged", ErrInvalid, id)
	}
	rt := d.rt.Load()
	at := d.clock.Now().Add(dur)
	fs := append([]store.Followup{{At: at, Expires: at.Add(expiry[rec.Kind])}}, d.repeatsOf(rt, rec.Occurrence, at)...)
	ds, cancelled, err := d.store.QueueFollowups(ctx, id, rt.routes[rec.Kind], fs, true, d.clock.Now())
	if err != nil {
		return time.Time{}, err
	}
	d.out.Cancel(cancelled)
	d.out.Submit(ds)
	d.log.Info("reminder snoozed", "id", id, "until", at.Format(time.RFC3339))
	return at, nil
}

// Pause suppresses deliveries until the given instant; it persists across
// restarts and ends on its own.
func (d *Daemon) Pause(ctx context.Context, until time.Time) error {
	now := d.clock.Now()
	if !until.After(now) || until.Sub(now) > maxPause {
		return fmt.Errorf("%w: pause must end in the future, within %d days", ErrInvalid, int(maxPause.Hours()/24))
	}
	if err := d.store.SetPauseUntil(ctx, until); err != nil {
		return err
	}
	d.pauseUntil.Store(until.UnixMilli())
	d.log.Info("paused", "until", until.Format(time.RFC3339))
	return nil
}

// Resume ends a pause.
func (d *Daemon) Resume(ctx context.Context) error {
	if err := d.store.SetPauseUntil(ctx, time.Time{}); err != nil {
		return err
	}
	d.pauseUntil.Store(0)
	d.out.Submit(nil)
	d.log.Info("resumed")
	return nil
}

// NextClock returns the next instant (after now) at which the profile's
// wall clock reads c, for "pause --until 07:00".
func (d *Daemon) NextClock(c profile.Clock) time.Time {
	now := d.clock.Now().In(d.rt.Load().profile.Location)
	for day := 0; ; day++ {
		t := plan.Resolve(now.Location(), now.Year(), now.Month(), now.Day()+day, c.Hour(), c.Minute(), 0)
		if t.After(now) {
			return t
		}
	}
}

// Fire sends one reminder of a kind, or the custom reminder with that name,
// right now, ignoring quiet hours and pauses: it is for trying channels.
// The wording is that of the kind's next planned reminder.
func (d *Daemon) Fire(ctx context.Context, what string) (domain.Occurrence, error) {
	rt := d.rt.Load()
	now := d.clock.Now()
	var o domain.Occurrence
	found := false
	for _, c := range Upcoming(rt.profile, now, 10_000) {
		if string(c.Kind) == what || c.Rule == "custom/"+what {
			o, found = c, true
			break
		}
	}
	if !found {
		k, err := domain.ParseKind(what)
		if err != nil {
			return o, fmt.Errorf("%w: %q is neither a kind with upcoming reminders nor a custom reminder's name", ErrInvalid, what)
		}
		o = sample(k)
	}
	o.Rule = "manual/" + what
	o.At = now.In(rt.profile.Location)
	o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
	ds, err := d.store.RecordFired(ctx, now, []store.Due{{Occurrence: o, Channels: rt.routes[o.Kind], Expires: now.Add(expiry[o.Kind])}})
	if err != nil {
		return o, err
	}
	d.out.Submit(ds)
	d.log.Info("reminder fired on request", "id", o.ID, "kind", o.Kind)
	return o, nil
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

// History returns the reminders of the last days days, newest first.
func (d *Daemon) History(ctx context.Context, days int) ([]store.Record, error) {
	now := d.clock.Now()
	return d.store.History(ctx, now.AddDate(0, 0, -days), now.Add(time.Nanosecond))
}

// Cramps returns the journal entries of the last days days.
func (d *Daemon) Cramps(ctx context.Context, days int) ([]domain.Cramp, error) {
	now := d.clock.Now()
	return d.store.Cramps(ctx, now.AddDate(0, 0, -days), now.Add(time.Nanosecond))
}

// Stats summarises the last days days.
func (d *Daemon) Stats(ctx context.Context, days int) (stats.Stats, error) {
	return stats.Load(ctx, d.store, d.rt.Load().profile, d.clock.Now(), days)
}

// LogCramp adds a journal entry and, when it calls for one, sends the
// "see a doctor" nudge (returned too).
func (d *Daemon) LogCramp(ctx context.Context, c domain.Cramp) (domain.Cramp, *domain.Occurrence, error) {
	now := d.clock.Now()
	if c.At.IsZero() {
		c.At = now
	}
	if c.At.After(now.Add(time.Minute)) {
		return c, nil, fmt.Errorf("%w: a cramp cannot be logged in the future", ErrInvalid)
	}
	if err := c.Validate(); err != nil {
		return c, nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	c, err := d.store.AddCramp(ctx, c, now)
	if err != nil {
		return c, nil, err
	}
	d.log.Info("cramp logged", "cramp_id", c.ID, "severity", c.Severity)
	nudge, err := d.nudge(ctx, now)
	return c, nudge, err
}

// nudge sends one doctor reminder when the journal meets the profile's
// thresholds and none went out within the cooldown. In quiet hours or a
// pause it waits for their end: never at 3 a.m.
func (d *Daemon) nudge(ctx context.Context, now time.Time) (*domain.Occurrence, error) {
	rt := d.rt.Load()
	cfg := rt.profile.Doctor
	if !cfg.Enabled {
		return nil, nil
	}
	cramps, err := d.store.Cramps(ctx, now.Add(-cfg.Within), now.Add(time.Minute))
	if err != nil {
		return nil, err
	}
	reason := stats.DoctorReason(cramps, cfg)
	if reason == "" {
		return nil, nil
	}
	if last, ok, err := d.store.LastFired(ctx, domain.KindDoctor); err != nil {
		return nil, err
	} else if ok && now.Sub(last) < cfg.Cooldown {
		d.log.Info("doctor nudge not sent again within its cooldown", "last", last.Format(time.RFC3339))
		return nil, nil
	}
	t := advice.Doctor(reason)
	o := domain.Occurrence{Kind: domain.KindDoctor, Rule: "doctor", At: now.In(rt.profile.Location), Title: t.Title, Body: t.Body, Why: t.Why}
	o.ID = domain.OccurrenceID(o.Kind, o.Rule, o.At)
	sendAt := d.afterQuiet(rt.profile, now)
	if d.paused(sendAt) {
		sendAt = time.UnixMilli(d.pauseUntil.Load())
		sendAt = d.afterQuiet(rt.profile, sendAt)
	}
	ds, err := d.store.RecordFired(ctx, now, []store.Due{{
		Occurrence: o, Channels: rt.routes[o.Kind], Expires: sendAt.Add(expiry[o.Kind]), SendAt: sendAt,
	}})
	if err != nil {
		return nil, err
	}
	d.out.Submit(ds)
	d.log.Info("doctor nudge", "id", o.ID, "reason", reason, "send_at", sendAt.Format(time.RFC3339))
	return &o, nil
}

// afterQuiet returns t, or the end of the quiet hours t falls in.
func (d *Daemon) afterQuiet(p *profile.Profile, t time.Time) time.Time {
	local := t.In(p.Location)
	if !p.Quiet.Contains(profile.NewClock(local.Hour(), local.Minute())) {
		return t
	}
	for day := 0; day < 2; day++ {
		end := plan.Resolve(p.Location, local.Year(), local.Month(), local.Day()+day, p.Quiet.To.Hour(), p.Quiet.To.Minute(), 0)
		if end.After(t) {
			return end
		}
	}
	return t
}

// onAction handles the desktop notification buttons.
func (d *Daemon) onAction(id string, snooze bool) {
	ctx := context.Background()
	var err error
	if snooze {
		_, err = d.Snooze(ctx, id, ButtonSnooze)
	} else {
		_, err = d.Ack(ctx, id)
	}
	if err != nil {
		d.log.Info("notification button had no effect", "id", id, "err", err)
	}
}
