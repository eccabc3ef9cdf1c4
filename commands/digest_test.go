package commands_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/manifest"
)

// Slack's limits (https://api.slack.com/reference/block-kit).
const (
	slackMaxBlocks   = 50
	slackMaxSection  = 3000
	slackMaxElements = 25
)

func digestClock() time.Time { return time.Date(2025, 11, 3, 9, 0, 0, 0, time.UTC) }

// digestStore is a catalog for the digest's commands: a few repos of each
// kind, and big/group with bigGroup repos without a descriptor.
func digestStore(t *testing.T, bigGroup int) *catalog.Store {
	t.Helper()
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	s.Now = digestClock
	if _, err := s.PutTeam(ctx, catalog.Team{Name: "payments", GitLabGroup: "acme/payments", PagerDutyEscalationPolicy: "PEP1"}); err != nil {
		t.Fatal(err)
	}
	id := int64(1000)
	apply := func(path, status string, entities []manifest.Entity, findings []manifest.Finding) {
		t.Helper()
		id++
		snap := catalog.RepoSnapshot{
			Repo: catalog.Repo{GitLabID: id, Path: path, WebURL: "https://gitlab.example.com/" + path, DefaultBranch: "main",
				LastActivityAt: digestClock().Add(-time.Duration(id%50) * time.Hour)},
			DescriptorStatus: status, DescriptorPath: "catalog-info.yaml", Entities: entities, Findings: findings,
		}
		if _, err := s.ApplyRepo(ctx, snap); err != nil {
			t.Fatal(err)
		}
	}
	apply("acme/payments/checkout", catalog.DescriptorOK, []manifest.Entity{{Kind: manifest.KindComponent, Name: "checkout-api", Namespace: "default", Owner: "group:payments",
		Links: manifest.Links{Runbooks: []manifest.Link{{Title: "Runbook", URL: "https://runbooks/checkout"}}}}}, nil)
	apply("acme/payments/ledger", catalog.DescriptorOK, []manifest.Entity{{Kind: manifest.KindComponent, Name: "ledger", Namespace: "default"}}, nil)
	apply("acme/payments/web", catalog.DescriptorMissing, nil, nil)
	apply("acme/payments/admin", catalog.DescriptorMissing, nil, nil)
	apply("acme/data/etl", catalog.DescriptorInvalid, nil, []manifest.Finding{{Path: "catalog-info.yaml", Line: 7, Col: 3, Severity: manifest.SeverityError, Message: "spec.owner is required"}})
	for i := range bigGroup {
		apply(fmt.Sprintf("big/group/repo-%03d", i), catalog.DescriptorMissing, nil, nil)
	}
	return s
}

func digestRouter(idx commands.DigestIndex) *commands.Router {
	r := commands.NewRouter(nil, 0)
	r.Register(commands.Digest(idx))
	return r
}

func TestDigestCommand(t *testing.T) {
	s := digestStore(t, 3)
	r := digestRouter(s)
	ctx := context.Background()
	tests := []struct {
		text    string
		want    []string
		notWant []string
	}{
		{"", []string{
			"H:Catalog digest — Mon 3 Nov 2025",
			"Coverage 25.0%: 2 of 8 active repos catalogued (no earlier digest to compare with yet)",
			"5 repos without a descriptor · 1 broken descriptor",
			"Repos without a descriptor: 5 in 2 groups",
			"big/group — 3 repos",
			"acme/payments (team payments) — 2 repos",
			"button:/service add acme/payments/web", "button:/service ignore acme/payments/web",
			"button:/service add big/group/repo-000",
			"Broken descriptors (1)", "acme/data/etl/catalog-info.yaml:7:3: spec.owner is required",
			"Services missing an owner, on-call or runbook (1)", "ledger: no owner, no on-call, no runbook",
		}, []string{"Name conflicts", "Orphaned services", "…and"}},
		{"acme/payments", []string{"H:Catalog digest of acme/payments", "2 of 4 active repos", "acme/payments/admin", "ledger"}, []string{"big/group", "acme/data/etl"}},
		{"nowhere", []string{"No active repo in the GitLab group nowhere"}, []string{"H:"}},
		{"a b", []string{"one GitLab group at most"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			resp, err := r.Dispatch(ctx, commands.Request{Command: "/digest", Text: tt.text})
			if err != nil {
				t.Fatal(err)
			}
			got := flatten(resp)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("has %q:\n%s", w, got)
				}
			}
		})
	}
}

// slackLen is at least the length of t as Slack mrkdwn, as the bot renders
// it: links with their URL, marks, escapes.
func slackLen(t commands.Text) int {
	n := 0
	for _, s := range t {
		n += len([]rune(s.Text)) + 4*strings.Count(s.Text, "&") + 3*strings.Count(s.Text, "<") + 3*strings.Count(s.Text, ">")
		if s.URL != "" {
			n += len(s.URL) + 3
		}
		if s.Style != "" {
			n += 2
		}
	}
	return n
}

// checkSlackLimits fails when resp would break one of Slack's limits.
func checkSlackLimits(t *testing.T, resp commands.Response) {
	t.Helper()
	blocks := len(resp.Blocks)
	if resp.Shareable {
		blocks++ // the bot's Share button
	}
	if blocks > slackMaxBlocks {
		t.Errorf("got %d blocks, want at most %d", blocks, slackMaxBlocks)
	}
	for i, b := range resp.Blocks {
		if b == nil || reflect.ValueOf(b).IsNil() {
			t.Fatalf("block %d is nil", i)
		}
		switch b := b.(type) {
		case *commands.Section:
			if n := slackLen(b.Text); n > slackMaxSection {
				t.Errorf("block %d: a section of %d characters, want at most %d", i, n, slackMaxSection)
			}
		case *commands.Context:
			if n := slackLen(b.Text); n > slackMaxSection {
				t.Errorf("block %d: a context of %d characters, want at most %d", i, n, slackMaxSection)
			}
		case *commands.Actions:
			if len(b.Buttons) > slackMaxElements {
				t.Errorf("block %d: %d buttons, want at most %d", i, len(b.Buttons), slackMaxElements)
			}
			for _, btn := range b.Buttons {
				if btn.Command == "" {
					t.Errorf("block %d: button %q runs nothing", i, btn.Label)
				}
			}
		}
	}
}

// TestDigestSlackLimits: a group of 300 uncatalogued repos keeps the
// digest within Slack's limits, and it says how many more there are and
// where to find them.
func TestDigestSlackLimits(t *testing.T) {
	s := digestStore(t, 300)
	resp, err := digestRouter(s).Dispatch(context.Background(), commands.Request{Command: "/digest"})
	if err != nil {
		t.Fatal(err)
	}
	checkSlackLimits(t, resp)
	got := flatten(resp)
	for _, w := range []string{"Repos without a descriptor: 302 in 2 groups", "big/group — 300 repos", "…and 290 more: /service uncatalogued big/group", "Broken descriptors (1)"} {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q:\n%s", w, got)
		}
	}
}

// TestDigestResponseLimits renders a digest far larger than any message:
// many groups, long paths, long lists of every kind.
func TestDigestResponseLimits(t *testing.T) {
	long := strings.Repeat("very-long-name-", 8)
	d := &catalog.Digest{Now: digestClock(), ActiveDays: 180, Coverage: catalog.Coverage{Active: 9000, Catalogued: 5000, NoDescriptor: 3000, Broken: 1000},
		Previous: &catalog.CoverageDay{Day: digestClock().Add(-24 * time.Hour), Coverage: catalog.Coverage{Active: 9000, Catalogued: 4900}}}
	for g := range 60 {
		group := fmt.Sprintf("org/%s%02d", long, g)
		rg := catalog.RepoGroup{Group: group}
		for i := range 60 - g {
			p := fmt.Sprintf("%s/%s<&>%03d", group, long, i)
			rg.Repos = append(rg.Repos, catalog.UncataloguedRepo{Path: p, WebURL: "https://gitlab.example.com/" + p + "?a=1&b=2", Group: group, Status: catalog.DescriptorMissing, LastActivityAt: digestClock()})
		}
		d.Uncatalogued = append(d.Uncatalogued, rg)
	}
	for i := range 500 {
		p := fmt.Sprintf("org/%s/broken-%03d", long, i)
		d.Broken = append(d.Broken, catalog.BrokenRepo{Path: p, WebURL: "https://gitlab.example.com/" + p, DefaultBranch: "main", DescriptorPath: "catalog-info.yaml",
			First: manifest.Finding{Path: "catalog-info.yaml", Line: 3, Col: 5, Message: strings.Repeat("x", 400)}, Findings: 3})
		d.Conflicts = append(d.Conflicts, catalog.NameConflict{Service: fmt.Sprintf("svc-%d", i), Repos: []catalog.ConflictRepo{{Path: p, WebURL: "https://x/" + p, Holds: true}, {Path: p + "-2", WebURL: "https://x/" + p}}})
		d.Orphaned = append(d.Orphaned, catalog.ServiceIssue{Ref: fmt.Sprintf("orphan-%d-%s", i, long), Repo: p, RepoURL: "https://x/" + p, Orphaned: true, Since: digestClock()})
		d.Gaps = append(d.Gaps, catalog.ServiceIssue{Ref: fmt.Sprintf("gap-%d-%s", i, long), Owner: long, NoOwner: true, NoOnCall: true, NoRunbook: true})
	}
	resp := commands.DigestResponse(d)
	resp.Shareable = true
	checkSlackLimits(t, resp)
	got := flatten(resp)
	for _, w := range []string{"▲ 1.1 points since the digest of Sun 2 Nov", "Broken descriptors (500)", "Name conflicts (500)", "Orphaned services (500)",
		"Services missing an owner, on-call or runbook (500)", "more groups with", "/service uncatalogued", "/digest GROUP"} {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q", w)
		}
	}
}

func TestDigestResponseNothingToDo(t *testing.T) {
	d := &catalog.Digest{Now: digestClock(), ActiveDays: 180, Coverage: catalog.Coverage{Active: 4, Catalogued: 4}, Team: "payments",
		Previous: &catalog.CoverageDay{Day: digestClock().Add(-72 * time.Hour), Coverage: catalog.Coverage{Active: 4, Catalogued: 4}},
		Trend:    []catalog.CoverageDay{{Day: digestClock().Add(-72 * time.Hour), Coverage: catalog.Coverage{Active: 4, Catalogued: 3}}}}
	resp := commands.DigestResponse(d)
	checkSlackLimits(t, resp)
	got := flatten(resp)
	for _, w := range []string{"H:Catalog digest for team payments", "Coverage 100.0%", "unchanged since the digest of Fri 31 Oct", "Trend: 75.0% (31 Oct) → 100.0% now", "Nothing to fix"} {
		if !strings.Contains(got, w) {
			t.Errorf("lacks %q:\n%s", w, got)
		}
	}
}

// TestDigestResponseOneSection renders digests with a single kind of
// finding each: every block is real and the sections that have nothing to
// say are left out.
func TestDigestResponseOneSection(t *testing.T) {
	base := func() *catalog.Digest {
		return &catalog.Digest{Now: digestClock(), ActiveDays: 180, Coverage: catalog.Coverage{Active: 2, Catalogued: 1, NoDescriptor: 1}}
	}
	repo := catalog.UncataloguedRepo{Path: "acme/web", WebURL: "https://gitlab.example.com/acme/web", Group: "acme", Status: catalog.DescriptorMissing}
	tests := []struct {
		name string
		set  func(d *catalog.Digest)
		want string
	}{
		{"uncatalogued", func(d *catalog.Digest) {
			d.Uncatalogued = []catalog.RepoGroup{{Group: "acme", Repos: []catalog.UncataloguedRepo{repo}}}
		}, "button:/service add acme/web"},
		{"broken", func(d *catalog.Digest) {
			d.Broken = []catalog.BrokenRepo{{Path: "acme/api", First: manifest.Finding{Path: "catalog-info.yaml", Line: 1, Col: 2, Message: "bad"}, Findings: 1}}
		}, "acme/api/catalog-info.yaml:1:2: bad"},
		{"conflicts without a holder", func(d *catalog.Digest) {
			d.Conflicts = []catalog.NameConflict{{Service: "api", Repos: []catalog.ConflictRepo{{Path: "a/api"}, {Path: "b/api"}}}}
		}, "api: claimed by a/api, b/api"},
		{"orphaned", func(d *catalog.Digest) {
			d.Orphaned = []catalog.ServiceIssue{{Ref: "old", Owner: "web", Repo: "acme/old", Orphaned: true, Since: digestClock()}}
		}, "old (team web): no longer declared by acme/old, since 3 Nov 2025"},
		{"gaps", func(d *catalog.Digest) { d.Gaps = []catalog.ServiceIssue{{Ref: "api", Owner: "web", NoRunbook: true}} }, "api (team web): no runbook"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := base()
			tt.set(d)
			resp := commands.DigestResponse(d)
			checkSlackLimits(t, resp)
			if got := flatten(resp); !strings.Contains(got, tt.want) {
				t.Errorf("lacks %q:\n%s", tt.want, got)
			}
		})
	}
}
