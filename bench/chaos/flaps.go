package main

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/crampd/crampd/bench/internal/rig"
)

// flapScripts are the receiver's answers to the 1st, 2nd, ... request for
// one reminder; reminder i follows script i mod len. Together they make the
// endpoint alternate between accepting, 503 and 429 with Retry-After: 1,
// and resetting the connection. A reset carries no Retry-After, so crampd
// backs off 5 s after a first attempt and 30 s after a second; resets come
// early in the scripts to keep the run short.
var flapScripts = [][]rig.Action{
	{ok},
	{unavailable, ok},
	{tooMany, unavailable, ok},
	{resetConn, tooMany, unavailable, ok},
	{tooMany, ok},
	{resetConn, ok},
}

// fullScripts adds a reminder that is reset twice (a 30 s backoff) to the
// full run.
var fullScripts = append(flapScripts[:len(flapScripts):len(flapScripts)], []rig.Action{unavailable, resetConn, tooMany, ok})

var (
	ok          = rig.Action{}
	unavailable = rig.Action{Status: http.StatusServiceUnavailable, RetryAfter: "1"}
	tooMany     = rig.Action{Status: http.StatusTooManyRequests, RetryAfter: "1"}
	resetConn   = rig.Action{Reset: true}
)

// endpointFlaps streams reminders at a receiver that follows flapScripts,
// and passes when every reminder is delivered, none twice, each with one
// webhook-id across its attempts, and retries after a Retry-After wait for
// it. It ends when everything is delivered or after flapTimeout.
func (c *chaos) endpointFlaps(ctx context.Context) result {
	r := result{name: "endpoint-flaps"}
	sz := c.size
	scripts := flapScripts
	if c.size == full {
		scripts = fullScripts
	}
	dir, rcv, err := c.setup("flaps")
	if err != nil {
		r.err = err
		return r
	}
	defer rcv.Close()
	rcv.SetDecider(func(rc rig.Receipt, seen int) rig.Action {
		// Titles end in their index: flaps-0042.
		i, err := strconv.Atoi(rc.Title[strings.LastIndexByte(rc.Title, '-')+1:])
		if err != nil {
			return ok
		}
		script := scripts[i%len(scripts)]
		return script[min(seen, len(script)-1)]
	})

	s := rig.NewStream("flaps", sz.flapReminders, sz.flapPerSecond, rig.NextSecond(time.Now(), 2*time.Second))
	profile := filepath.Join(dir, "profile.toml")
	if err := rig.WriteFile(profile, rig.Profile(rig.QuietBase, s.Customs, rig.WebhookChannel(rcv.URL))); err != nil {
		r.err = err
		return r
	}
	d, err := c.daemon(dir, profile, rcv.Secret, "flaps")
	if err != nil {
		r.err = err
		return r
	}
	if _, err := d.WaitReady(ctx); err != nil {
		d.Kill()
		r.err = err
		return r
	}
	waitAll(ctx, rcv, s, d.Done(), s.First.Add(sz.flapTimeout))
	time.Sleep(500 * time.Millisecond)
	if err := d.Stop(10 * time.Second); err != nil {
		r.err = err
		return r
	}

	reqs := rcv.Requests()
	t := s.Tally(reqs)
	// Every attempt at one reminder must carry the same webhook-id, and a
	// retry after a Retry-After answer must wait for it.
	ids := map[string]string{}
	last := map[string]rig.Receipt{}
	idChanged, tooSoon, answers := 0, 0, map[string]int{}
	minGap := time.Duration(-1)
	for _, rq := range reqs {
		switch {
		case rq.Status == 0:
			answers["reset"]++
		default:
			answers[strconv.Itoa(rq.Status)]++
		}
		if id, seen := ids[rq.Title]; seen && id != rq.WebhookID {
			idChanged++
		}
		ids[rq.Title] = rq.WebhookID
		if prev, seen := last[rq.Title]; seen && (prev.Status == http.StatusServiceUnavailable || prev.Status == http.StatusTooManyRequests) {
			gap := rq.At.Sub(prev.At)
			if gap < 900*time.Millisecond {
				tooSoon++
			}
			if minGap < 0 || gap < minGap {
				minGap = gap
			}
		}
		last[rq.Title] = rq
	}
	r.detail = fmt.Sprintf("%s; %d requests (200: %d, 503: %d, 429: %d, reset: %d), shortest wait after Retry-After %s",
		t, len(reqs), answers["200"], answers["503"], answers["429"], answers["reset"], minGap.Round(time.Millisecond))
	if idChanged > 0 {
		r.detail += fmt.Sprintf(", %d retries with a new webhook-id", idChanged)
	}
	if tooSoon > 0 {
		r.detail += fmt.Sprintf(", %d retries sooner than Retry-After", tooSoon)
	}
	r.pass = len(t.Lost) == 0 && t.Duplicates == 0 && t.Unexpected == 0 && t.BadSig == 0 && t.Early == 0 && idChanged == 0 && tooSoon == 0
	if len(t.Lost) > 0 {
		r.detail += fmt.Sprintf("; lost: %v", first(t.Lost, 10))
	}
	return r
}
