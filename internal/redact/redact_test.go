package redact_test

import (
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/crampd/crampd/internal/redact"
)

func TestScrub(t *testing.T) {
	tests := []struct {
		name    string
		secrets []string
		url     string
		whole   bool
		text    string
		want    string
	}{
		{name: "plain", secrets: []string{"tk_abcdef123"}, text: "Bearer tk_abcdef123 refused", want: "Bearer REDACTED refused"},
		{name: "query escaped", secrets: []string{"a b+c/d"}, text: "token=a+b%2Bc%2Fd", want: "token=REDACTED"},
		{name: "path escaped", secrets: []string{"a b/c?d"}, text: "/a%20b%2Fc%3Fd", want: "/REDACTED"},
		{name: "json escaped", secrets: []string{`he said "x"/y`}, text: `{"t":"he said \"x\"\/y"}`, want: `{"t":"REDACTED"}`},
		{name: "too short to be a secret", secrets: []string{"abc"}, text: "abc", want: "abc"},
		{name: "longest first", secrets: []string{"secret", "secret-and-more"}, text: "x secret-and-more y", want: "x REDACTED y"},
		{name: "userinfo", url: "https://user:hunter22@h.example/p", text: "user:hunter22 and hunter22 and dXNlcjpodW50ZXIyMg==", want: "REDACTED and REDACTED and REDACTED"},
		{name: "query values and bare keys", url: "https://h.example/p?access-token=v4lue1&xyzzy", text: "v4lue1 xyzzy", want: "REDACTED REDACTED"},
		{name: "path kept unless whole", url: "https://h.example/services/T0001/B0002", text: "/services/T0001/B0002", want: "/services/T0001/B0002"},
		{name: "whole url", url: "https://hooks.example/services/T0001/B0002/XXXXsecret", whole: true,
			text: `post "https://hooks.example/services/T0001/B0002/XXXXsecret": 500; echoed {"path":"\/services\/T0001\/B0002\/XXXXsecret"}`,
			want: `post "REDACTED": 500; echoed {"path":"REDACTED"}`},
		{name: "whole url, one segment quoted", url: "https://hooks.example/services/T0001/B0002/XXXXsecret", whole: true,
			text: "unknown webhook XXXXsecret for team T0001", want: "unknown webhook REDACTED for team REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s redact.Set
			s.Add(tt.secrets...)
			if tt.url != "" {
				u, err := url.Parse(tt.url)
				if err != nil {
					t.Fatal(err)
				}
				s.AddURL(u, tt.whole)
			}
			if got := s.Scrub(tt.text); got != tt.want {
				t.Errorf("Scrub(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestScrubCutMasksABrokenSecretAtTheEnd(t *testing.T) {
	var s redact.Set
	s.Add("tk_0123456789abcdef")
	tests := []struct {
		name, text, want string
	}{
		{"cut in the middle", "echo: Bearer tk_0123456", "echo: Bearer REDACTED"},
		{"whole then cut", "tk_0123456789abcdef and tk_01", "REDACTED and REDACTED"},
		{"too little left to tell", "echo: tk_", "echo: tk_"},
		{"nothing", "all fine", "all fine"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := s.ScrubCut(tt.text); got != tt.want {
				t.Errorf("ScrubCut(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestEmptySetLeavesTextAlone(t *testing.T) {
	var s redact.Set
	if got := s.Scrub("nothing secret"); got != "nothing secret" {
		t.Errorf("Scrub = %q", got)
	}
	if s.Len() != 0 {
		t.Errorf("Len = %d", s.Len())
	}
}

func TestAddingTheSameSecretAgainDoesNotGrowTheSet(t *testing.T) {
	var s redact.Set
	s.Add("tk_0123456789abcdef")
	n := s.Len()
	for i := 0; i < 100; i++ {
		s.Add("tk_0123456789abcdef")
	}
	if s.Len() != n {
		t.Errorf("Len = %d after re-adding, want %d", s.Len(), n)
	}
}

func TestConcurrentAddAndScrub(t *testing.T) {
	var s redact.Set
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(2)
		sec := "secret-" + strings.Repeat("x", i+1)
		go func() { defer wg.Done(); s.Add(sec) }()
		go func() { defer wg.Done(); _ = s.Scrub("a secret-x line") }()
	}
	wg.Wait()
	if got := s.Scrub("secret-xxxxxxxx"); got != redact.Mask {
		t.Errorf("Scrub = %q", got)
	}
}

// Secrets may be as large as a secret file (64 KiB); masking the start of
// one at the end of a cut body must not cost time quadratic in its size.
func TestScrubCutWithLargeSecrets(t *testing.T) {
	var s redact.Set
	big := strings.Repeat("0123456789abcdef", 4<<10)
	s.Add(big, "tk_small0123456789")
	body := strings.Repeat("x", 3000) + big[:1096]
	if got := s.ScrubCut(body); got != strings.Repeat("x", 3000)+redact.Mask {
		t.Fatalf("ScrubCut left %d bytes: %.40q...", len(got), got)
	}
	allocs := testing.AllocsPerRun(20, func() { s.ScrubCut(strings.Repeat("y", 4096)) })
	if allocs > 10 {
		t.Errorf("ScrubCut of a body without secrets allocates %v times", allocs)
	}
}
