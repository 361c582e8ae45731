package web

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/crampd/crampd/internal/advice"
	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/domain"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// static is the embedded static files, and version a digest of them that
// goes in their URLs, so a browser may cache them and still never uses a
// stale copy after an upgrade.
var (
	static, _ = fs.Sub(staticFS, "static")
	version   = func() string {
		h := sha256.New()
		fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				b, _ := fs.ReadFile(static, p)
				h.Write([]byte(p))
				h.Write(b)
			}
			return nil
		})
		return hex.EncodeToString(h.Sum(nil))[:12]
	}()
)

func staticHandler() http.Handler {
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			// No directory listings.
			http.NotFound(w, r)
			return
		}
		if r.URL.Query().Get("v") == version {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		files.ServeHTTP(w, r)
	})
}

// funcs are the templates' helpers. Every time they get is already in the
// profile's zone.
var funcs = template.FuncMap{
	"clock": func(t time.Time) string { return t.Format("15:04") },
	"date":  func(t time.Time) string { return t.Format("Mon 2 Jan 2006") },
	"day":   func(t time.Time) string { return t.Format("2 Jan") },
	"stamp": func(t time.Time) string { return t.Format("Mon 2 Jan 2006, 15:04 MST") },
	"answer": func(a domain.Answer) string {
		switch a {
		case domain.AnswerNone:
			return "No cramps"
		case domain.AnswerCramp:
			return "Cramp"
		case domain.AnswerSevere:
			return "Severe cramp"
		}
		return string(a)
	},
	"iso":   func(t time.Time) string { return t.Format(time.RFC3339) },
	"asset": func(name string) string { return "/static/" + name + "?v=" + version },
	"join":  strings.Join,
	"pct": func(n, of int) string {
		if of == 0 {
			return "–"
		}
		return fmt.Sprintf("%d%%", (n*100+of/2)/of)
	},
	"dash": func(s string) string {
		if s == "" {
			return "–"
		}
		return s
	},
	"severity": func(n int) string {
		if n == 0 {
			return "–"
		}
		return fmt.Sprint(n)
	},
	"kindName": kindName,
	"stateName": func(s app.ReminderState) string {
		return map[app.ReminderState]string{
			app.StateUpcoming: "Upcoming", app.StateSent: "Sent", app.StateDone: "Done",
			app.StateSnoozed: "Snoozed", app.StateMissed: "Missed", app.StateSkipped: "Skipped",
		}[s]
	},
	"statusName": statusName,
	"nonce":      nonce,
	// num writes a chart coordinate.
	"num":        func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) },
	"disclaimer": func() string { return advice.Disclaimer },
	"seq": func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out
	},
}

// statusName names what became of a past reminder, as Today names it.
func statusName(s domain.Status) string {
	return map[domain.Status]string{
		domain.StatusFired: "Sent", domain.StatusAcked: "Done", domain.StatusMissed: "Missed", domain.StatusSkipped: "Skipped",
	}[s]
}

// kindName names a kind for people.
func kindName(k domain.Kind) string {
	if n, ok := map[domain.Kind]string{
		domain.KindHydration: "Water", domain.KindStretch: "Stretch", domain.KindFood: "Food",
		domain.KindElectrolytes: "Electrolytes", domain.KindMedication: "Medication",
		domain.KindMedicationReview: "Medication review", domain.KindCustom: "Custom", domain.KindDoctor: "Doctor",
	}[k]; ok {
		return n
	}
	s := strings.ReplaceAll(string(k), "-", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// nonce returns a fresh random value for a form, so that the same form
// sent twice is handled once.
func nonce() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// pages holds one template set per page: the layout and the page's own
// blocks. They are parsed when first needed, not when crampd starts: most
// runs of crampd (the daemon without a [web] table, every other command)
// show no page.
var pages = sync.OnceValue(func() map[string]*template.Template {
	base := template.Must(template.New("base").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html"))
	out := map[string]*template.Template{}
	entries, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		name := strings.TrimSuffix(path.Base(e), ".html")
		if name == "layout" || name == "parts" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, e))
	}
	return out
})

// view is what every page template gets.
type view struct {
	Title string
	// Nav names the page's entry in the navigation.
	Nav string
	// SignedIn shows the navigation.
	SignedIn bool
	// Standalone pages (a report written to a file) carry their styles
	// inline, since no server will answer for /static.
	Standalone bool
	CSS        template.CSS
	Data       any
}

// render writes page name with data, or an error page if it cannot.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	var buf bytes.Buffer
	if err := execute(&buf, name, v); err != nil {
		s.log.Error("web page failed to render", "page", name, "err", err)
		http.Error(w, "crampd could not show this page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func execute(w io.Writer, name string, v view) error {
	t, ok := pages()[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	entry := "layout"
	if t.Lookup(name) != nil {
		entry = name
	}
	return t.ExecuteTemplate(w, entry, v)
}

// message is the data of a page that only says something.
type message struct {
	Heading, Text string
	// SignIn adds how to sign in.
	SignIn bool
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request, status int, note string) {
	s.render(w, r, status, "message", view{Title: "Sign in", Data: message{Heading: "Sign in to crampd", Text: note, SignIn: true}})
}

// fail shows an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, text string) {
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "message", view{Title: http.StatusText(status), Data: message{Heading: http.StatusText(status), Text: text}})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.fail(w, r, http.StatusNotFound, "There is no such page.")
}
