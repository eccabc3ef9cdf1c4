package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/sampleorg"
)

// impactHit is one repo line of an /impact answer as the demo prints it.
type impactHit struct {
	repo, version, file string
	direct              bool
	// via is the chain the line names, the direct dependency first ("where
	// it is declared" left out); nil when the line names none.
	via []string
	// unknownPath: the line says the file does not record through what
	// ("transitive or direct: ... does not say through what", or
	// "transitive: go.mod does not record through what").
	unknownPath bool
	line        string
}

// impactAnswer is what the test reads of an /impact answer.
type impactAnswer struct {
	summaryRepos int
	noRepo       bool
	hits         []impactHit
	// unknown are the lines of "check these by hand" (versions that
	// cannot be compared).
	unknown []string
	// gaps are the lines of "Graphs incomplete", by repo.
	gaps map[string]string
	text string
}

var (
	// • svc — acme/group/repo <url> `1.2.5` in package-lock.json:503 (via mkdirp 0.5.5 at package.json:7) — fixed in `1.2.6`
	hitLine     = regexp.MustCompile("^• (?:.+? — )?(acme/\\S+) <[^>]*> `([^`]*)` in (\\S+?)(?::\\d+)? \\(([^)]*)\\)")
	summaryLine = regexp.MustCompile(`^\S.*: (\d+) repos, \d+ services, \d+ teams`)
	// • svc — acme/group/repo <url>: `package.json` declares direct dependencies only: ...
	gapRepo = regexp.MustCompile(`^• (?:.+? — )?(acme/\S+) <[^>]*>`)
)

// parseImpact reads the demo's rendering of an /impact answer.
func parseImpact(t *testing.T, text string) impactAnswer {
	t.Helper()
	a := impactAnswer{summaryRepos: -1, text: text, gaps: map[string]string{}}
	section := ""
	for _, l := range strings.Split(text, "\n") {
		switch {
		case strings.HasPrefix(l, "Team "), strings.HasPrefix(l, "No catalogued service"):
			section = "hits"
			continue
		case strings.HasPrefix(l, "Graphs incomplete"):
			section = "gaps"
			continue
		case strings.Contains(l, "check these by hand"):
			section = "unknown"
			continue
		}
		if m := summaryLine.FindStringSubmatch(l); m != nil && a.summaryRepos < 0 {
			a.summaryRepos, _ = strconv.Atoi(m[1])
		}
		if strings.HasSuffix(l, ": no repo found") {
			a.noRepo = true
		}
		if !strings.HasPrefix(l, "• ") {
			continue
		}
		switch section {
		case "unknown":
			a.unknown = append(a.unknown, l)
		case "gaps":
			if m := gapRepo.FindStringSubmatch(l); m != nil {
				a.gaps[m[1]] = l
			} else {
				t.Errorf("cannot read the answer's line %q", l)
			}
		case "hits":
			m := hitLine.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("cannot read the answer's line %q", l)
				continue
			}
			h := impactHit{repo: m[1], version: m[2], file: m[3], line: l}
			how := m[4]
			switch {
			case how == "direct" || strings.HasPrefix(how, "direct,"):
				h.direct = true
			case strings.HasPrefix(how, "via "):
				chain, _, _ := strings.Cut(strings.TrimPrefix(how, "via "), ",") // a scope may follow
				for i, step := range strings.Split(chain, " → ") {
					if i == 0 {
						step, _, _ = strings.Cut(step, " at ")
					}
					h.via = append(h.via, step)
				}
			case strings.HasPrefix(how, "transitive or direct"), strings.HasPrefix(how, "transitive: "):
				// The file does not record the chain ("transitive:"
				// also says it is not direct).
				h.unknownPath = true
			default:
				t.Errorf("line %q: unknown form %q", l, how)
			}
			a.hits = append(a.hits, h)
		}
	}
	return a
}

// knownDifferences are the cases where Switchboard's answer is short of
// the real tool's, by repo, with why. The test accepts them as they are
// and fails when one goes away, so that the entry goes too.
var knownDifferences = map[string]string{
	// go mod graph: golang.org/x/crypto@v0.9.0 requires
	// golang.org/x/net@v0.10.0. A go.mod marks it "// indirect" but does
	// not record which module requires it; finding that needs the module
	// graph (the dependencies' own go.mod files).
	"acme/platform/edge-certs": "indirect Go module shown as transitive without its path",
}

// knownIncomplete are the repos Switchboard lists as incomplete graphs
// where the real tool's account is whole, with why. Accepted and logged;
// the test fails when one is no longer listed, so that the entry goes.
var knownIncomplete = map[string]string{}

// TestDemoImpactGroundTruth syncs the sample organisation into a real
// Postgres exactly as `switchboard demo` does (the fake GitLab, the demo's
// Maven repository, the embedded advisories), runs /impact for every
// advisory of advisories/testdata (by its GHSA id and by its CVE alias) and
// /impact log4j-core <2.17.1, and holds each answer to
// sampleorg.Affected, the ground truth written from what the real package
// managers say: every affected repo listed with its version, file, direct
// or transitive and the path, and no other repo listed.
func TestDemoImpactGroundTruth(t *testing.T) {
	truth := sampleorg.Affected()
	recs := demoAdvisoryRecords(t)
	judged := sampleorg.Judged()
	for _, p := range sampleorg.GitLabOrg(time.Now()).Projects {
		if _, ok := judged[p.Path]; !ok {
			t.Errorf("sample repo %s has no ground truth (sampleorg.Judged, sampleorg.Affected): run the real tool on its files and write what it says", p.Path)
		}
	}

	type question struct {
		cmd  string
		want []sampleorg.AffectedRepo
	}
	var questions []question
	for _, r := range recs {
		want, ok := truth[r.ID]
		if !ok {
			t.Errorf("advisory %s has no entry in sampleorg.Affected", r.ID)
		}
		questions = append(questions, question{"/impact " + r.ID, want})
		for _, alias := range r.Aliases {
			if strings.HasPrefix(alias, "CVE-") {
				questions = append(questions, question{"/impact " + alias, want})
			}
		}
	}
	// log4j-core <2.17.1: every log4j-core row of the truth.
	var log4j []sampleorg.AffectedRepo
	seen := map[string]bool{}
	for _, rows := range truth {
		for _, r := range rows {
			if r.Package == "org.apache.logging.log4j:log4j-core" && !seen[r.Repo] {
				seen[r.Repo] = true
				log4j = append(log4j, r)
			}
		}
	}
	if len(log4j) == 0 {
		t.Fatal("the ground truth has no log4j-core row")
	}
	questions = append(questions, question{"/impact log4j-core <2.17.1", log4j})

	args := []string{"demo"}
	for _, q := range questions {
		args = append(args, "--run", q.cmd)
	}
	env, out, errb := testEnv(t, map[string]string{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if code := run(ctx, args, env); code != 0 {
		t.Fatalf("switchboard demo exited %d; stderr:\n%s", code, errb)
	}
	answers := splitDemoOutput(out.String())
	incomplete := map[string]bool{}
	for _, q := range questions {
		t.Run(strings.TrimPrefix(q.cmd, "/impact "), func(t *testing.T) {
			text, ok := answers[q.cmd]
			if !ok {
				t.Fatalf("no answer to %q in the demo's output:\n%s", q.cmd, out)
			}
			a := parseImpact(t, text)
			for r := range a.gaps {
				incomplete[r] = true
			}
			checkImpact(t, a, q.want, judged)
		})
	}
	for r, why := range knownIncomplete {
		if !incomplete[r] {
			t.Errorf("%s is no longer listed as incomplete (%s): remove it from knownIncomplete", r, why)
		}
	}
}

// checkImpact holds an answer to the rows of the ground truth.
func checkImpact(t *testing.T, a impactAnswer, want []sampleorg.AffectedRepo, judged map[string]string) {
	t.Helper()
	// A repo whose lockfile (or resolved pom.xml) the real tool read in
	// full is no incomplete graph; go.mod's are, for want of the paths.
	for repo, l := range a.gaps {
		if oracle := judged[repo]; strings.HasSuffix(oracle, ".txt") || strings.HasSuffix(oracle, ".json") {
			if why, known := knownIncomplete[repo]; known {
				t.Logf("known difference, %s: %s", repo, why)
				continue
			}
			if !strings.Contains(l, "`go.mod`") {
				t.Errorf("listed as an incomplete graph, but %s records it all (%s): %s", repo, oracle, l)
			}
		}
	}
	var rows []sampleorg.AffectedRepo
	repoSet := map[string]bool{}
	for _, w := range want {
		if w.Archived {
			continue // not synced: never listed
		}
		rows = append(rows, w)
		repoSet[w.Repo] = true
	}
	repos := len(repoSet)
	for _, l := range a.unknown {
		t.Errorf("a line the truth does not have, of a version that could not be compared: %s", l)
	}
	// Each line is one affected package of a repo: it takes the row of
	// the truth it agrees with; every row must be taken.
	taken := make([]bool, len(rows))
	for _, h := range a.hits {
		var mine []int
		for i, w := range rows {
			if w.Repo == h.repo {
				mine = append(mine, i)
			}
		}
		if len(mine) == 0 {
			t.Errorf("listed, but the real tools say %s is not affected: %s", h.repo, h.line)
			continue
		}
		found := -1
		for _, i := range mine {
			if !taken[i] && hitAgrees(t, h, rows[i]) {
				found = i
				break
			}
		}
		if found < 0 {
			var says []string
			for _, i := range mine {
				says = append(says, describeRow(rows[i]))
			}
			t.Errorf("%s: the line agrees with nothing the real tool says (%s): %s", h.repo, strings.Join(says, "; "), h.line)
			continue
		}
		taken[found] = true
	}
	for i, w := range rows {
		if !taken[i] {
			t.Errorf("missing: %s: %s (per %s)", w.Repo, describeRow(w), w.Oracle)
		}
	}
	if repos == 0 {
		if !a.noRepo {
			t.Errorf("the truth has no repo; the answer should say so:\n%s", a.text)
		}
		return
	}
	if a.summaryRepos != repos {
		t.Errorf("the summary counts %d repos, the truth has %d:\n%s", a.summaryRepos, repos, a.text)
	}
}

// hitAgrees says whether an answer's line says what the truth's row says:
// version, file, direct or not, and the path (a known difference of the
// repo accepted, and logged, in place of the path).
func hitAgrees(t *testing.T, h impactHit, w sampleorg.AffectedRepo) bool {
	t.Helper()
	if h.version != w.Version || h.file != w.File || h.direct != w.Direct {
		return false
	}
	if w.Direct || slices.Equal(h.via, w.Via) {
		if _, known := knownDifferences[h.repo]; known && !w.Direct {
			t.Errorf("%s: the known difference (%s) is gone: remove it from knownDifferences", h.repo, knownDifferences[h.repo])
		}
		return true
	}
	if why, known := knownDifferences[h.repo]; known && h.unknownPath && h.via == nil {
		t.Logf("known difference, %s: %s; the real tool says via %s", h.repo, why, strings.Join(w.Via, " → "))
		return true
	}
	return false
}

// describeRow says a row of the truth in a few words.
func describeRow(w sampleorg.AffectedRepo) string {
	how := "direct"
	if !w.Direct {
		how = "via " + strings.Join(w.Via, " → ")
	}
	return fmt.Sprintf("%s %s in %s (%s)", w.Package, w.Version, w.File, how)
}

// demoAdvisoryRecords returns the advisories of advisories/testdata,
// checking that the demo embeds each of them byte for byte (so the demo's
// store holds every one) and that they are the records of
// ../shared/advisories where that folder is beside the checkout.
func demoAdvisoryRecords(t *testing.T) []*advisories.Record {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "advisories", "testdata", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no advisories in advisories/testdata: %v", err)
	}
	var recs []*advisories.Record
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		embedded, err := demoAdvisories.ReadFile("demoadvisories/" + filepath.Base(f))
		if err != nil || !bytes.Equal(embedded, data) {
			t.Errorf("the demo does not embed %s as it is (demoadvisories/): %v", f, err)
		}
		r, err := advisories.Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		recs = append(recs, r)
	}
	shared, _ := filepath.Glob(filepath.Join("..", "..", "..", "shared", "advisories", "*.json"))
	for _, f := range shared {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := os.ReadFile(filepath.Join("..", "..", "advisories", "testdata", filepath.Base(f)))
		if err != nil || !bytes.Equal(ours, data) {
			t.Errorf("%s is not in advisories/testdata as it is: %v", f, err)
		}
	}
	return recs
}

// splitDemoOutput cuts the output of `demo --run A --run B` into each
// command's answer, by the "> COMMAND" line that precedes it.
func splitDemoOutput(out string) map[string]string {
	answers := map[string]string{}
	cmd := ""
	var b strings.Builder
	flush := func() {
		if cmd != "" {
			answers[cmd] = b.String()
		}
		b.Reset()
	}
	for _, l := range strings.Split(out, "\n") {
		if c, ok := strings.CutPrefix(l, "> "); ok {
			flush()
			cmd = c
			continue
		}
		b.WriteString(l + "\n")
	}
	flush()
	return answers
}
