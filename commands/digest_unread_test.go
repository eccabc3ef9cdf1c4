package commands_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// links returns every link of resp's sections as "text -> url".
func links(resp commands.Response) []string {
	var out []string
	for _, b := range resp.Blocks {
		if s, ok := b.(*commands.Section); ok {
			for _, span := range s.Text {
				if span.URL != "" {
					out = append(out, span.Text+" -> "+span.URL)
				}
			}
		}
	}
	return out
}

// TestDigestResponseUnread: the "could not read" part names each file
// with its problem, a parse error by its position and linked to its line,
// and counts the repos in the header and the summary.
func TestDigestResponseUnread(t *testing.T) {
	web := catalog.UnreadRepo{Path: "acme/web", WebURL: "https://gitlab.example.com/acme/web", DefaultBranch: "main", LastCommit: "abc",
		Files: []catalog.DependencyFile{
			{Path: "package-lock.json", Problem: catalog.FileUnparsable, Error: "package-lock.json:12:5: unexpected end of JSON input"},
			{Path: "yarn.lock", Problem: catalog.FileNotFound, Error: "GET …: 404"},
		}}
	api := catalog.UnreadRepo{Path: "acme/api", WebURL: "https://gitlab.example.com/acme/api", DefaultBranch: "main",
		Files: []catalog.DependencyFile{
			{Path: "pom.xml", Problem: catalog.FileTooLarge},
			{Path: "a/pom.xml", Problem: catalog.FileTimeout},
			{Path: "b/pom.xml", Problem: catalog.FileError, Error: "connection reset"},
			{Path: "c/pom.xml", Problem: catalog.FileUnparsable, Error: "c/pom.xml: empty"},
			{Path: "d/pom.xml", Problem: catalog.FileUnparsable, Error: "d/pom.xml:1:1: x"},
		}}
	tests := []struct {
		name  string
		repos []catalog.UnreadRepo
		want  []string
		link  string
	}{
		{"a parse error and a file not found", []catalog.UnreadRepo{web}, []string{
			"Could not read (2 dependency files; their dependency graphs are incomplete)",
			"acme/web: package-lock.json:12:5: unexpected end of JSON input; yarn.lock — not found at the commit read",
			"1 repo with dependency files not read",
		}, "package-lock.json:12:5 -> https://gitlab.example.com/acme/web/-/blob/abc/package-lock.json#L12"},
		{"every other reason, three files a repo", []catalog.UnreadRepo{api}, []string{
			"Could not read (5 dependency files;",
			"acme/api: pom.xml — over the size limit; a/pom.xml — timed out; b/pom.xml — connection reset; and 2 more files",
		}, "pom.xml -> https://gitlab.example.com/acme/api/-/blob/main/pom.xml"},
		{"an unparsable file without position", []catalog.UnreadRepo{{Path: "x/y", Files: api.Files[3:4]}}, []string{
			"x/y: c/pom.xml — cannot be parsed: c/pom.xml: empty",
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &catalog.Digest{Now: digestClock(), ActiveDays: 180, Coverage: catalog.Coverage{Active: 2, Catalogued: 2}, Unread: tt.repos}
			resp := commands.DigestResponse(d)
			checkSlackLimits(t, resp)
			got := flatten(resp)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			if !strings.Contains(resp.Text, fmt.Sprintf("%d repo", len(tt.repos))) || !strings.Contains(resp.Text, "with dependency files not read") {
				t.Errorf("summary %q does not count the repos", resp.Text)
			}
			if tt.link != "" && !slices.Contains(links(resp), tt.link) {
				t.Errorf("lacks the link %q: got %q", tt.link, links(resp))
			}
		})
	}
}

// TestDigestResponseUnreadCapped: hundreds of repos with unread files are
// cut like the other lists, saying how many more.
func TestDigestResponseUnreadCapped(t *testing.T) {
	for _, n := range []int{15, 16, 400} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			d := &catalog.Digest{Now: digestClock(), ActiveDays: 180, Coverage: catalog.Coverage{Active: n, Catalogued: n}}
			for i := range n {
				p := fmt.Sprintf("acme/%s-%03d", strings.Repeat("long-", 10), i)
				d.Unread = append(d.Unread, catalog.UnreadRepo{Path: p, WebURL: "https://gitlab.example.com/" + p, DefaultBranch: "main",
					Files: []catalog.DependencyFile{{Path: "package-lock.json", Problem: catalog.FileUnparsable,
						Error: "package-lock.json:3:1: " + strings.Repeat("x", 300)}}})
			}
			resp := commands.DigestResponse(d)
			checkSlackLimits(t, resp)
			got := flatten(resp)
			shown := strings.Count(got, "package-lock.json:3:1")
			more := ""
			if shown < n {
				more = fmt.Sprintf("…and %d more", n-shown)
			}
			if shown == 0 || more == "" && shown != n || more != "" && !strings.Contains(got, more) {
				t.Errorf("%d repos: shown %d, want all or %q:\n%s", n, shown, more, got)
			}
			if !strings.Contains(resp.Text, fmt.Sprintf("%d repos with dependency files not read", n)) {
				t.Errorf("summary %q does not count %d repos", resp.Text, n)
			}
		})
	}
}
