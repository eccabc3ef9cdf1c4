package commands_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// bigIndex answers every package question with n repos, each of its own
// team, each dependency transitive through a long chain.
type bigIndex struct{ n, chain int }

func (b bigIndex) DependentRepos(context.Context, string) ([]catalog.ImpactHit, error) {
	var hits []catalog.ImpactHit
	for i := range b.n {
		var via []string
		for j := range b.chain {
			via = append(via, fmt.Sprintf("org.example.some.long.group:artifact-with-a-long-name-%d@1.%d.0", j, j))
		}
		path := fmt.Sprintf("acme/group-%d/repository-with-a-long-name-%d", i, i)
		hits = append(hits, catalog.ImpactHit{
			Repo:       catalog.Repo{ID: int64(i + 1), Path: path, WebURL: "https://gitlab.example.com/" + path},
			Dependency: catalog.Dependency{Ecosystem: "maven", Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", File: "gradle.lockfile", Line: 100 + i, Via: via},
			From:       catalog.DependencyFile{Path: "gradle.lockfile", Graph: catalog.GraphPaths},
			Services:   []catalog.Service{{Name: fmt.Sprintf("service-%d", i), Namespace: "default", Team: fmt.Sprintf("team-%03d", i)}},
		})
	}
	return hits, nil
}

func (bigIndex) EcosystemsOf(context.Context, string) ([]string, error) {
	return []string{"maven"}, nil
}
func (bigIndex) ReposWithFile(context.Context, string, int) ([]catalog.ImpactHit, error) {
	return nil, nil
}
func (bigIndex) VersionsInUse(context.Context, []catalog.PackageKey) ([]catalog.PackageVersion, error) {
	return nil, nil
}
func (bigIndex) ReposUsing(context.Context, []catalog.PackageVersion) ([]catalog.ImpactHit, error) {
	return nil, nil
}
func (b bigIndex) GraphGaps(context.Context, []string, int) (catalog.GraphGaps, error) {
	g := catalog.GraphGaps{Repos: b.n, Unread: b.n}
	for i := range min(b.n, 15) {
		g.List = append(g.List, catalog.RepoGap{Repo: catalog.Repo{ID: int64(10000 + i), Path: fmt.Sprintf("acme/x/r%d", i)},
			Files: []catalog.DependencyFile{{Path: "a/pom.xml", Problem: catalog.FileTimeout}, {Path: "b/pom.xml", Problem: catalog.FileTooLarge}}})
	}
	return g, nil
}
func (bigIndex) Declarations(context.Context, []catalog.EntryRef) (map[catalog.EntryRef]catalog.Dependency, error) {
	return nil, nil
}

// TestImpactWithinSlackLimits: however many repos, teams and steps of
// chains, an answer keeps to Slack's 50 blocks and 3,000 characters a
// section, and says what it left out.
func TestImpactWithinSlackLimits(t *testing.T) {
	tests := []struct {
		n, chain int
		want     string
	}{
		{1, 1, "1 repos, 1 services, 1 teams — 1 transitive"},
		{60, 3, "60 repos"},
		{500, 40, "Page 1 of 9: lines 1–60 of 500."},
		{3000, 5, "Page 1 of 50: lines 1–60 of 3000."},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.n, "x", tt.chain), func(t *testing.T) {
			r := commands.NewRouter(nil, 0)
			r.Register(commands.Impact(bigIndex{tt.n, tt.chain}))
			resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/impact", Text: "log4j-core"})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Blocks) > 50 {
				t.Errorf("got %d blocks, want at most 50", len(resp.Blocks))
			}
			for i, b := range resp.Blocks {
				if s, ok := b.(*commands.Section); ok {
					n := 0
					for _, sp := range s.Text {
						n += len(sp.Text) + len(sp.URL)
					}
					if n > 3000 {
						t.Errorf("block %d: %d characters, want at most 3,000", i, n)
					}
				}
			}
			if got := flatten(resp); !strings.Contains(got, tt.want) {
				t.Errorf("lacks %q:\n%s", tt.want, got)
			}
		})
	}
}

// TestImpactPagesAndCSV: an answer longer than a page pages through its
// lines with buttons (the page asked for kept within range), and its
// full list comes as a CSV file whose every line is a repo's, with cells
// a spreadsheet would run as formulas neutralised.
func TestImpactPagesAndCSV(t *testing.T) {
	r := commands.NewRouter(nil, 0)
	r.Register(commands.Impact(hostileIndex{bigIndex{500, 3}}))
	ask := func(text string) commands.Response {
		t.Helper()
		resp, err := r.Dispatch(context.Background(), commands.Request{Command: "/impact", Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	buttons := func(resp commands.Response) []string {
		var out []string
		for _, b := range resp.Blocks {
			if a, ok := b.(*commands.Actions); ok {
				for _, btn := range a.Buttons {
					out = append(out, btn.Label+"="+btn.Command)
				}
			}
		}
		return out
	}
	tests := []struct {
		text    string
		want    []string
		buttons []string
	}{
		{"log4j-core", []string{"Page 1 of 9: lines 1–60 of 500.", "service-0 ", "Graphs incomplete"},
			[]string{"Next page=/impact log4j-core --page 2", "Full list (CSV)=/impact log4j-core --csv"}},
		{"log4j-core --page 2", []string{"Page 2 of 9: lines 61–120 of 500.", "service-60 ", "service-119 ", "listed on page 1"},
			[]string{"Previous page=/impact log4j-core --page 1", "Next page=/impact log4j-core --page 3", "Full list (CSV)=/impact log4j-core --csv"}},
		{"log4j-core --page 99", []string{"Page 9 of 9: lines 481–500 of 500.", "service-499 "},
			[]string{"Previous page=/impact log4j-core --page 8", "Full list (CSV)=/impact log4j-core --csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			resp := ask(tt.text)
			got := flatten(resp)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(tt.text, "page 2") && strings.Contains(got, "service-59 ") {
				t.Errorf("page 2 shows page 1's last line:\n%s", got)
			}
			if b := buttons(resp); !slices.Equal(b, tt.buttons) {
				t.Errorf("buttons %q, want %q", b, tt.buttons)
			}
			if resp.File != nil {
				t.Errorf("a page came with a file")
			}
		})
	}
	for _, bad := range []string{"log4j-core --page 0", "log4j-core --page x", "log4j-core --page"} {
		if got := flatten(ask(bad)); !strings.Contains(got, "--page wants a page number") {
			t.Errorf("%s: got %q, want the usage", bad, got)
		}
	}

	resp := ask("log4j-core --csv")
	f := resp.File
	if f == nil || f.Name != "impact-log4j-core.csv" || !strings.Contains(flatten(resp), "impact-log4j-core.csv") {
		t.Fatalf("csv: file %+v, answer %q", f, flatten(resp))
	}
	recs, err := csv.NewReader(bytes.NewReader(f.Content)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	if len(recs) != 1+500+15 || recs[0][0] != "status" {
		t.Fatalf("csv: %d records (header %v), want 1 + 500 lines + 15 incomplete graphs", len(recs), recs[0])
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	first := recs[1]
	if first[col["status"]] != "matches" || first[col["relation"]] != "transitive" || first[col["version"]] != "2.14.1" ||
		!strings.HasPrefix(first[col["via"]], "org.example.some.long.group:artifact-with-a-long-name-0@1.0.0 > ") {
		t.Errorf("first line %v", first)
	}
	hostile := recs[1+7] // hostileIndex's repo 7
	if got := hostile[col["services"]]; got != "'=HYPERLINK(\"https://evil.example\",\"x, \"\"y\"\"\nz\")" {
		t.Errorf("hostile service cell %q: want it kept whole and neutralised with a leading quote", got)
	}
	if got := recs[len(recs)-1]; got[col["status"]] != "graph incomplete" || !strings.Contains(got[col["note"]], "a/pom.xml: not read (timed out)") {
		t.Errorf("last line %v, want an incomplete graph with why", got)
	}
}

// hostileIndex is bigIndex with a service name made to break a CSV file
// and run in a spreadsheet.
type hostileIndex struct{ bigIndex }

func (h hostileIndex) DependentRepos(ctx context.Context, name string) ([]catalog.ImpactHit, error) {
	hits, err := h.bigIndex.DependentRepos(ctx, name)
	if len(hits) > 7 {
		hits[7].Services[0] = catalog.Service{Name: "=HYPERLINK(\"https://evil.example\",\"x, \"\"y\"\"\nz\")", Team: hits[7].Services[0].Team}
	}
	return hits, err
}
