package web

import (
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
	"github.com/crampd/crampd/internal/profile"
)

// SourceWeb names the web page as the source of an action.
const SourceWeb = "web"

// nonceRE is what a form's nonce looks like.
var nonceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

// useCaseError shows what a use case refused, or a plain error page.
func (s *Server) useCaseError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, domain.ErrInvalid):
		s.fail(w, r, http.StatusBadRequest, err.Error())
	case errors.Is(err, domain.ErrNotFound):
		s.fail(w, r, http.StatusNotFound, err.Error())
	case errors.Is(err, app.ErrNoDaemon):
		s.fail(w, r, http.StatusServiceUnavailable, err.Error())
	default:
		s.log.Error("web request failed", "path", r.URL.Path, "err", err)
		s.fail(w, r, http.StatusInternalServerError, "crampd could not do this; its log says why.")
	}
}

// todayData is the Today page's data.
type todayData struct {
	Day app.Day
	// Durations are what the pause form offers.
	Durations []pauseChoice
}

type pauseChoice struct {
	Value, Label string
}

var pauseChoices = []pauseChoice{
	{"1h", "1 hour"}, {"2h", "2 hours"}, {"4h", "4 hours"}, {"8h", "8 hours"},
	{"24h", "1 day"}, {"72h", "3 days"}, {"168h", "1 week"},
}

func (s *Server) today(w http.ResponseWriter, r *http.Request) {
	day, err := s.svc.Today(r.Context())
	if err != nil {
		s.useCaseError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "today", view{Title: "Today", Nav: "today", SignedIn: true, Data: todayData{Day: day, Durations: pauseChoices}})
}

// todayLive is the part of Today that changes, for the script that
// refreshes it when an event arrives.
func (s *Server) todayLive(w http.ResponseWriter, r *http.Request) {
	day, err := s.svc.Today(r.Context())
	if err != nil {
		s.useCaseError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "live", view{Data: todayData{Day: day, Durations: pauseChoices}})
}

// action handles a Done or Snooze button. The form's nonce makes the same
// press sent twice count once.
func (s *Server) action(verb app.Verb) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		n := r.PostFormValue("nonce")
		if !nonceRE.MatchString(n) {
			s.fail(w, r, http.StatusBadRequest, "This form is missing its nonce; reload the page and try again.")
			return
		}
		if _, err := s.svc.Handle(r.Context(), app.Action{OccurrenceID: id, Verb: verb, Source: SourceWeb, Nonce: n}); err != nil {
			s.useCaseError(w, r, err)
			return
		}
		http.Redirect(w, r, "/#r-"+url.PathEscape(id), http.StatusSeeOther)
	}
}

func (s *Server) pause(w http.ResponseWriter, r *http.Request) {
	var req app.PauseRequest
	if until := r.PostFormValue("until"); until != "" {
		c, err := profile.ParseClockString(until)
		if err != nil {
			s.fail(w, r, http.StatusBadRequest, err.Error())
			return
		}
		req.Until = &c
	} else {
		d, err := profile.ParseDuration(r.PostFormValue("for"))
		if err != nil || d <= 0 {
			s.fail(w, r, http.StatusBadRequest, "Choose how long to pause for.")
			return
		}
		req.For = d
	}
	if _, err := s.svc.Pause(r.Context(), req); err != nil {
		s.useCaseError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) resume(w http.ResponseWriter, r *http.Request) {
	if _, err := s.svc.Resume(r.Context()); err != nil {
		s.useCaseError(w, r, err)
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// crampData is the cramp form's data, and after it is sent, what became
// of it.
type crampData struct {
	Legs, Muscles, Symptoms []string
	// Error says what was wrong with what was sent, which is kept in
	// Form.
	Error string
	Form  crampForm
	// Result is set once the cramp is logged.
	Result *app.CrampResult
	Relief []string
	Nudge  string
	Doctor string
}

// crampForm is what the form sends.
type crampForm struct {
	When, Leg, Muscle, Note string
	Severity                int
	Symptoms                []string
	Nonce                   string
}

func (f crampForm) Has(symptom string) bool { return slices.Contains(f.Symptoms, symptom) }

func newCrampData(f crampForm) crampData {
	return crampData{Legs: domain.Legs, Muscles: domain.Muscles, Symptoms: domain.Symptoms, Form: f}
}

func (s *Server) crampForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "cramp", view{Title: "I have a cramp", Nav: "cramp", SignedIn: true, Data: newCrampData(crampForm{Nonce: nonce()})})
}

// logCramp logs what the cramp form sent, every field optional, then
// shows what to do now. A form sent again with the same nonce shows what
// the first one logged.
func (s *Server) logCramp(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "The form could not be read.")
		return
	}
	f := crampForm{
		When: strings.TrimSpace(r.PostForm.Get("when")), Leg: r.PostForm.Get("leg"), Muscle: r.PostForm.Get("muscle"),
		Note: r.PostForm.Get("note"), Symptoms: r.PostForm["symptom"], Nonce: r.PostForm.Get("nonce"),
	}
	data := newCrampData(f)
	bad := func(msg string) {
		data.Error = msg
		s.render(w, r, http.StatusBadRequest, "cramp", view{Title: "I have a cramp", Nav: "cramp", SignedIn: true, Data: data})
	}
	if !nonceRE.MatchString(f.Nonce) {
		s.fail(w, r, http.StatusBadRequest, "This form is missing its nonce; reload the page and try again.")
		return
	}
	if v := r.PostForm.Get("severity"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			bad("Severity must be a number from 1 to 10.")
			return
		}
		data.Form.Severity = n
	}
	c := domain.Cramp{Leg: f.Leg, Muscle: f.Muscle, Severity: data.Form.Severity, Symptoms: f.Symptoms, Note: domain.StripControl(f.Note)}
	now := s.clock.Now()
	if f.When != "" {
		at, err := app.ParseWhen(f.When, now, s.svc.Location())
		if err != nil {
			bad("When: " + err.Error())
			return
		}
		c.At = at
	}
	res, dup := s.crampPosted(f.Nonce, now)
	if !dup {
		var err error
		if res, err = s.svc.LogCramp(r.Context(), c); err != nil {
			if errors.Is(err, domain.ErrInvalid) {
				bad(strings.TrimPrefix(err.Error(), domain.ErrInvalid.Error()+": "))
				return
			}
			s.useCaseError(w, r, err)
			return
		}
		s.rememberCramp(f.Nonce, res, now)
	}
	data.Result, data.Relief = &res, advice.Relief()
	data.Nudge = res.Nudge.Message(s.svc.Location())
	if res.Nudge.Reason != "" {
		data.Doctor = advice.SeeADoctor
	}
	s.render(w, r, http.StatusOK, "cramp", view{Title: "Cramp logged", Nav: "cramp", SignedIn: true, Data: data})
}

// crampMemory is how long a cramp form's nonce is remembered.
const crampMemory = time.Hour

func (s *Server) crampPosted(n string, now time.Time) (app.CrampResult, bool) {
	s.crampsMu.Lock()
	defer s.crampsMu.Unlock()
	p, ok := s.cramps[n]
	return p.res, ok && now.Sub(p.at) < crampMemory
}

func (s *Server) rememberCramp(n string, res app.CrampResult, now time.Time) {
	s.crampsMu.Lock()
	defer s.crampsMu.Unlock()
	for k, p := range s.cramps {
		if now.Sub(p.at) >= crampMemory || len(s.cramps) > 256 {
			delete(s.cramps, k)
		}
	}
	s.cramps[n] = crampPost{res: res, at: now}
}

// span reads a whole-number query parameter that must be one of choices,
// or def when it is absent.
func span(r *http.Request, name string, def int, choices []int) (int, bool) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && slices.Contains(choices, n)
}

// choice is one option of a period or filter.
type choice struct {
	Value, Label string
	// Href links the choice, for periods shown as links.
	Href    string
	Current bool
}

// periodChoices offers periods as links that set param.
func periodChoices(current int, values []int, unit, param string) []choice {
	var out []choice
	for _, v := range values {
		n := strconv.Itoa(v)
		out = append(out, choice{Value: n, Label: n + " " + unit, Href: "?" + param + "=" + n, Current: v == current})
	}
	return out
}

var journalDays = []int{7, 30, 90, 365}

type journalData struct {
	Days    int
	Periods []choice
	Cramps  []domain.Cramp
	// Nights are the morning check-in's answers, newest first.
	Nights []domain.Night
}

func (s *Server) journal(w http.ResponseWriter, r *http.Request) {
	days, ok := span(r, "days", 30, journalDays)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "Choose 7, 30, 90 or 365 days.")
		return
	}
	cs, err := s.svc.Cramps(r.Context(), days)
	if err != nil {
		s.useCaseError(w, r, err)
		return
	}
	slices.Reverse(cs) // newest first
	nights, err := s.svc.Nights(r.Context(), days)
	if err != nil {
		s.useCaseError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "journal", view{Title: "Journal", Nav: "journal", SignedIn: true,
		Data: journalData{Days: days, Periods: periodChoices(days, journalDays, "days", "days"), Cramps: cs, Nights: nights}})
}

var historyDays = []int{1, 7, 30, 90, 366}

type historyData struct {
	Days           int
	Periods        []choice
	Kinds, States  []choice
	Kind, State    string
	Records        []domain.Record
	Total, Showing int
}

// historyStates are the states history can filter on, as people name them.
var historyStates = []domain.Status{domain.StatusFired, domain.StatusAcked, domain.StatusMissed, domain.StatusSkipped}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	days, ok := span(r, "days", 7, historyDays)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "Choose 1, 7, 30, 90 or 366 days.")
		return
	}
	q := r.URL.Query()
	kind, state := q.Get("kind"), q.Get("state")
	data := historyData{Days: days, Periods: periodChoices(days, historyDays, "days", "days"), Kind: kind, State: state}
	data.Kinds = append(data.Kinds, choice{Value: "", Label: "Every kind", Current: kind == ""})
	known := kind == ""
	for _, k := range domain.Kinds() {
		data.Kinds = append(data.Kinds, choice{Value: string(k), Label: kindName(k), Current: kind == string(k)})
		known = known || kind == string(k)
	}
	data.States = append(data.States, choice{Value: "", Label: "Every state", Current: state == ""})
	knownState := state == ""
	for _, st := range historyStates {
		data.States = append(data.States, choice{Value: string(st), Label: statusName(st), Current: state == string(st)})
		knownState = knownState || state == string(st)
	}
	if !known || !knownState {
		s.fail(w, r, http.StatusBadRequest, "Choose a kind and a state from the lists.")
		return
	}
	recs, err := s.svc.History(r.Context(), days)
	if err != nil {
		s.useCaseError(w, r, err)
		return
	}
	data.Total = len(recs)
	for _, rec := range recs {
		if (kind == "" || string(rec.Kind) == kind) && (state == "" || string(rec.Status) == state) {
			data.Records = append(data.Records, rec)
		}
	}
	data.Showing = len(data.Records)
	s.render(w, r, http.StatusOK, "history", view{Title: "History", Nav: "history", SignedIn: true, Data: data})
}

var trendWeeks = []int{4, 12, 52}

type trendsData struct {
	Trends                      app.Trends
	Periods                     []choice
	Weekly, Nights, Adherence   chart
	AckedNights, OtherNights    int
	AckedCramps, OtherCramps    int
	AdherenceRows               []adherenceRow
	CrampsPerWeek               float64
	HasStretch, HasAnyAdherence bool
}

type adherenceRow struct {
	Kind         domain.Kind
	Acked, Fired int
}

func (s *Server) trends(w http.ResponseWriter, r *http.Request) {
	weeks, ok := span(r, "weeks", 4, trendWeeks)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "Choose 4, 12 or 52 weeks.")
		return
	}
	t, err := s.svc.Trends(r.Context(), weeks)
	if err != nil {
		s.useCaseError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "trends", view{Title: "Trends", Nav: "trends", SignedIn: true, Data: newTrendsData(t)})
}

func newTrendsData(t app.Trends) trendsData {
	d := trendsData{Trends: t, Periods: periodChoices(t.Weeks, trendWeeks, "weeks", "weeks")}
	d.Weekly = weeklyChart("chart-weekly", t.PerWeek)
	d.Nights = nightsChart("chart-nights", t.Stretch)
	d.Adherence = adherenceChart("chart-adherence", t.Adherence)
	for _, a := range t.Adherence {
		d.AdherenceRows = append(d.AdherenceRows, adherenceRow{Kind: a.Kind, Acked: a.Acked, Fired: a.Fired})
	}
	return d
}

func (s *Server) profile(w http.ResponseWriter, r *http.Request) {
	v, err := s.svc.Profile(r.Context())
	if err != nil {
		s.useCaseError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "profile", view{Title: "Profile", Nav: "profile", SignedIn: true, Data: v})
}

// reportWeeks reads ?weeks= for the report: 1 to app.MaxWeeks, 12 by
// default.
func reportWeeks(r *http.Request) (int, bool) {
	v := r.URL.Query().Get("weeks")
	if v == "" {
		return 12, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 1 && n <= app.MaxWeeks
}

func (s *Server) report(w http.ResponseWriter, r *http.Request) {
	weeks, ok := reportWeeks(r)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "weeks must be a number from 1 to 104.")
		return
	}
	rep, err := s.svc.Report(r.Context(), weeks)
	if err != nil {
		s.useCaseError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "report", reportView(rep, false))
}

func (s *Server) reportCSV(w http.ResponseWriter, r *http.Request) {
	weeks, ok := reportWeeks(r)
	if !ok {
		s.fail(w, r, http.StatusBadRequest, "weeks must be a number from 1 to 104.")
		return
	}
	rep, err := s.svc.Report(r.Context(), weeks)
	if err != nil {
		s.useCaseError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="crampd-journal-`+rep.Generated.Format("2006-01-02")+`.csv"`)
	WriteCSV(w, rep)
}
