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
	got := string(answerHTML(resp, 2))
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
