package web

import (
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/commands"
)

// TestAnswerHTML: a command's answer is rendered with every value escaped,
// links only for http(s) and mailto, and command buttons left out.
func TestAnswerHTML(t *testing.T) {
	resp := commands.Response{Blocks: []commands.Block{
		&commands.Header{Text: "<script>alert(1)</script>"},
		&commands.Section{Text: commands.T(commands.Bold("a&b"), commands.Plain("\nline"), commands.Link("x", "javascript:alert(1)"), commands.Link("doc", "https://docs.example/?a=1&b=\"2\""))},
		&commands.Section{Fields: []commands.Field{{Label: "<Owner>", Value: commands.T(commands.Mention("U1", "<b>Ada</b>"))}}},
		&commands.Context{Text: commands.T(commands.Code("`x`<"))},
		&commands.Actions{Buttons: []commands.Button{{Label: "Page", Command: "/page x"}, {Label: "Open <it>", URL: "https://x.example"}}},
	}}
	got := string(answerHTML(resp, view{level: 2}).Body)
	for _, want := range []string{
		"<h2>&lt;script&gt;alert(1)&lt;/script&gt;</h2>",
		"<strong>a&amp;b</strong><br>line",
		"x<a href=\"https://docs.example/?a=1&amp;b=&#34;2&#34;\">doc</a>",
		"<dt>&lt;Owner&gt;</dt><dd>&lt;b&gt;Ada&lt;/b&gt;</dd>",
		"<code>`x`&lt;</code>",
		`<a href="https://x.example">Open &lt;it&gt;</a>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("answer lacks %s:\n%s", want, got)
		}
	}
	for _, bad := range []string{"javascript:", "<script>", "/page x"} {
		if strings.Contains(got, bad) {
			t.Errorf("answer has %q:\n%s", bad, got)
		}
	}
}

// TestAnswerOnItsPage: drawn on the page it links to, an answer loses
// those links (with the separator before them, and a block left empty by
// that), keeps the others, gives its header to the page when asked, and
// says which catalog pages it links to; drawn elsewhere, it keeps them.
func TestAnswerOnItsPage(t *testing.T) {
	const base = "https://sb.example"
	self := base + "/services/default/invoice-service"
	resp := commands.Response{Blocks: []commands.Block{
		&commands.Header{Text: "invoice-service"},
		&commands.Section{Fields: []commands.Field{{Label: "Owner", Value: commands.T(commands.Bold("backoffice"))}, {Label: "Page", Value: commands.T(commands.Link("here", self))}}},
		&commands.Context{Text: commands.T(commands.Link("invoice-service in the catalog", self))},
		&commands.Section{Text: commands.T(commands.Plain("• "), commands.Link("ledger", base+"/services/default/ledger"), commands.Plain(" · "), commands.Link("team", base+"/teams/backoffice"))},
		&commands.Context{Text: commands.T(commands.Plain("Catalog entry from its repo's descriptor"), commands.Plain(" · "), commands.Link("Its page in the catalog", self+"?x=1"))},
		&commands.Actions{Buttons: []commands.Button{{Label: "Open", URL: self}, {Label: "Runbook", URL: "https://wiki.example/rb"}}},
	}}
	tests := []struct {
		name      string
		v         view
		heading   string
		want, not []string
		linked    []string
	}{
		{"on its page", view{level: 2, base: base, self: "/services/default/invoice-service", heading: true}, "invoice-service",
			[]string{`<p class="note">Catalog entry from its repo&#39;s descriptor</p>`, `href="https://sb.example/services/default/ledger"`, `<dt>Owner</dt>`, `<a href="https://wiki.example/rb">Runbook</a>`},
			[]string{"in the catalog", "<h2>", `href="` + self, "Catalog entry from its repo&#39;s descriptor ·", "<dt>Page</dt>"},
			[]string{"/services/default/ledger", "/teams/backoffice"}},
		{"elsewhere", view{level: 3, base: base, self: "/teams/backoffice"}, "",
			[]string{"<h3>invoice-service</h3>", "Its page in the catalog", "invoice-service in the catalog", `<dt>Page</dt>`, `>Open</a>`},
			[]string{`href="https://sb.example/teams/backoffice"`},
			[]string{"/services/default/ledger", "/services/default/invoice-service"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := answerHTML(resp, tt.v)
			got := string(a.Body)
			if a.Heading != tt.heading {
				t.Errorf("heading %q, want %q", a.Heading, tt.heading)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %s:\n%s", w, got)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("has %s:\n%s", n, got)
				}
			}
			for _, l := range tt.linked {
				if !a.linked[l] {
					t.Errorf("linked %v lacks %s", a.linked, l)
				}
			}
		})
	}
}

// TestLocalPath: the sign-in only sends people back to this site.
func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/teams/payments?x=1":  "/teams/payments?x=1",
		"":                     "/",
		"//evil.example/x":     "/",
		"/\\evil.example":      "/",
		"https://evil.example": "/",
		"teams":                "/",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSeal: a sealed value opens under the same key only, and not once
// changed.
func TestSeal(t *testing.T) {
	s := &Server{cfg: Config{SessionKey: []byte(strings.Repeat("k", 32))}}
	v, err := s.seal(User{ID: "U1", Exp: time.Now().Add(time.Hour).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	var u User
	if err := s.open(v, &u); err != nil || u.ID != "U1" {
		t.Fatalf("open: %v %+v", err, u)
	}
	other := &Server{cfg: Config{SessionKey: []byte(strings.Repeat("j", 32))}}
	if err := other.open(v, &u); err == nil {
		t.Error("opened under another key")
	}
	for _, bad := range []string{"", ".", "abc", v + "x", "x" + v, strings.Replace(v, ".", ".A", 1)} {
		if err := s.open(bad, &u); err == nil {
			t.Errorf("opened %q", bad)
		}
	}
}

// TestNewChecksConfig: New refuses what would serve an open or broken
// catalog, before it looks at its sources.
func TestNewChecksConfig(t *testing.T) {
	if _, err := New(Config{Auth: AuthNone}, Sources{}); err == nil || !strings.Contains(err.Error(), "required") {
		t.Errorf("no sources: %v", err)
	}
	tests := []struct {
		c    Config
		want string
	}{
		{Config{Auth: ""}, "unknown auth mode"},
		{Config{Auth: "open"}, "unknown auth mode"},
		{Config{Auth: AuthProxy}, "WEB_AUTH_HEADER"},
		{Config{Auth: AuthSlack, SessionKey: []byte("short"), ClientID: "a", ClientSecret: "b", BaseURL: "https://x"}, "at least 32 bytes"},
		{Config{Auth: AuthSlack, SessionKey: []byte(strings.Repeat("k", 32)), BaseURL: "https://x"}, "client id"},
	}
	for _, tt := range tests {
		if _, err := New(tt.c, Sources{}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("config %+v: %v, want %q", tt.c, err, tt.want)
		}
	}
}

// TestAccessibleSVG: a chart gets a title and description, and anything
// not an SVG is dropped.
func TestAccessibleSVG(t *testing.T) {
	got := string(accessibleSVG([]byte(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 4"><path d="M0 0"/></svg>`), "c", "Title <1>", "Desc & more"))
	if !strings.HasPrefix(got, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 4" role="img" aria-labelledby="c-t c-d"`) ||
		!strings.Contains(got, `<title id="c-t">Title &lt;1&gt;</title><desc id="c-d">Desc &amp; more</desc><path`) {
		t.Errorf("accessibleSVG: %s", got)
	}
	if accessibleSVG([]byte("<script>"), "c", "t", "d") != "" {
		t.Error("a non-SVG was kept")
	}
}
