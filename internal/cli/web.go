package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/crampd/crampd/internal/app"
	"github.com/crampd/crampd/internal/control"
	"github.com/crampd/crampd/internal/profile"
	"github.com/crampd/crampd/internal/web"
)

func newWebCmd(env Env) *cobra.Command {
	var (
		f         clientFlags
		printLink bool
	)
	cmd := &cobra.Command{
		Use:   "web",
		Short: "Open crampd's web page in your browser",
		Long: `Web asks the running daemon for a one-time sign-in link to its web page and
opens it in your default browser (with xdg-open), or prints it with --print.
The link works once, within ` + app.LoginTTL.String() + `, and signs the browser in for
` + fmt.Sprint(int(app.SessionTTL/(24*time.Hour))) + ` days. Only you can get one: it comes over the control socket.

The daemon serves the page when the profile has a [web] table:

  [web]
  listen = "127.0.0.1:8737"`,
		Example: `  crampd web
  crampd web --print     # for a browser on another account or machine`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withService(cmd.Context(), env, f, nil, func(svc control.Service) error {
				l, err := svc.WebLogin(cmd.Context())
				if err != nil {
					return err
				}
				if printLink {
					fmt.Fprintln(env.Stdout, l.URL)
					return nil
				}
				if err := openBrowser(env, l.URL); err != nil {
					fmt.Fprintf(env.Stderr, "crampd: cannot open a browser (%v); open this link yourself, within %s:\n", err, app.LoginTTL)
					fmt.Fprintln(env.Stdout, l.URL)
					return nil
				}
				fmt.Fprintf(env.Stdout, "Opened crampd's web page in your browser (the sign-in link works once, within %s).\n", app.LoginTTL)
				return nil
			})
		},
	}
	f.add(cmd, false)
	cmd.Flags().BoolVar(&printLink, "print", false, "print the sign-in link instead of opening it")
	return cmd
}

// openBrowser opens url with xdg-open, found on the environment's PATH.
func openBrowser(env Env, url string) error {
	path, err := lookPath(env, "xdg-open")
	if err != nil {
		return err
	}
	c := exec.Command(path, url)
	c.Env = os.Environ()
	out, err := c.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if msg == "" {
			return fmt.Errorf("xdg-open: %w", err)
		}
		return fmt.Errorf("xdg-open: %w: %s", err, msg)
	}
	return nil
}

// lookPath finds an executable on the environment's PATH.
func lookPath(env Env, name string) (string, error) {
	for _, dir := range filepath.SplitList(env.Getenv("PATH")) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not on PATH (Debian: apt-get install xdg-utils)", name)
}

func newReportCmd(env Env) *cobra.Command {
	var (
		f                  clientFlags
		weeks              int
		format, out        string
		state, profilePath string
	)
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write a report of the last weeks for your doctor",
		Long: `Report summarises the last weeks for a doctor: cramps and cramp nights, a
weekly chart, severities and symptoms, the medications in your profile and
the minerals you noted they may lower, how often the stretch and hydration
reminders were marked done, and every cramp logged. As HTML (the default)
it is one file that prints on A4 or Letter; as CSV it is the journal, one
cramp a row. Without a running daemon it reads the state database directly.`,
		Example: `  crampd report -o report.html          # then open and print it
  crampd report --weeks 52 --format csv -o cramps.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if weeks < 1 || weeks > app.MaxWeeks {
				return fail(exitUsage, fmt.Errorf("crampd report: --weeks must be between 1 and %d", app.MaxWeeks))
			}
			if format != "html" && format != "csv" {
				return fail(exitUsage, fmt.Errorf("crampd report: --format is html or csv, not %q", format))
			}
			var r app.Report
			err := withService(cmd.Context(), env, f, &local{state: state, profile: profilePath, needProfile: true, instead: "reading the state database"},
				func(svc control.Service) error {
					loc, err := svc.Zone(cmd.Context())
					if err != nil {
						return err
					}
					if r, err = svc.Report(cmd.Context(), weeks); err != nil {
						return err
					}
					r = r.In(loc)
					return nil
				})
			if err != nil {
				return err
			}
			write := func(w io.Writer) error {
				if format == "csv" {
					return web.WriteCSV(w, r)
				}
				return web.RenderReport(w, r)
			}
			if out == "" || out == "-" {
				return write(env.Stdout)
			}
			// The report is health information: readable by its owner only.
			file, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
			if err != nil {
				return fail(exitProblem, fmt.Errorf("crampd report: %w", err))
			}
			if err := errors.Join(write(file), file.Close()); err != nil {
				return fail(exitProblem, fmt.Errorf("crampd report: write %s: %w", out, err))
			}
			fmt.Fprintf(env.Stderr, "Wrote the report of the last %d weeks (%d cramps) to %s.\n", weeks, r.Cramps, out)
			return nil
		},
	}
	f.add(cmd, false)
	cmd.Flags().IntVar(&weeks, "weeks", 12, fmt.Sprintf("how many weeks back (1 to %d)", app.MaxWeeks))
	cmd.Flags().StringVar(&format, "format", "html", "html (a printable page) or csv (the journal)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file (mode 0600) instead of standard output")
	cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"html", "csv"}, cobra.ShellCompDirectiveNoFileComp))
	stateFlag(cmd, &state)
	profileFlag(cmd, &profilePath)
	return cmd
}

// webPage says where the profile's web page is served, for check's
// summary.
func webPage(p *profile.Profile) string {
	if p.Web == nil {
		return ""
	}
	scheme := "http"
	if p.Web.TLS() {
		scheme = "https"
	}
	return ", web page on " + scheme + "://" + p.Web.Listen
}
