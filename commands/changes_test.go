package commands_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/manifest"
)

// changesFixture is checkout-api depending on ledger (a descriptor's
// spec.dependsOn, applied as the sync applies it), each in its own repo,
// and an unrelated service; now is the clock.
func changesFixture(t *testing.T, now time.Time) (*catalog.Store, commands.Command) {
	t.Helper()
	s := catalog.NewStore(pgtest.New(t), nil)
	apply := func(id int64, path string, e manifest.Entity) {
		t.Helper()
		if _, err := s.ApplyRepo(context.Background(), catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: id, Path: path, DefaultBranch: "main", WebURL: "https://gitlab/" + path, LastCommit: "c1"},
			DescriptorStatus: catalog.DescriptorOK, DescriptorPath: "catalog-info.yaml", Entities: []manifest.Entity{e},
		}); err != nil {
			t.Fatal(err)
		}
	}
	comp := func(name, owner string, deps ...string) manifest.Entity {
		return manifest.Entity{APIVersion: "backstage.io/v1alpha1", Kind: manifest.KindComponent, Name: name, Namespace: "default",
			Owner: owner, Lifecycle: "production", Type: "service", DependsOn: deps}
	}
	apply(2, "acme/payments/ledger", comp("ledger", "group:payments"))
	apply(1, "acme/payments/checkout-api", comp("checkout-api", "group:payments", "component:ledger"))
	apply(3, "acme/search/ranking", comp("ranking", "group:search"))
	cmd := commands.Changes(commands.ChangesConfig{Catalog: s, History: s, Graph: s, Now: func() time.Time { return now }})
	return s, cmd
}

func record(t *testing.T, s *catalog.Store, cs ...catalog.Change) {
	t.Helper()
	for i := range cs {
		cs[i].Source = catalog.ChangeFromWebhook
	}
	if err := s.RecordChanges(context.Background(), cs); err != nil {
		t.Fatal(err)
	}
}

func run(t *testing.T, cmd commands.Command, text string) commands.Response {
	t.Helper()
	resp, err := cmd.Handler(context.Background(), commands.Request{Command: "/changes", Text: text, User: commands.User{ID: "U1"}})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func TestChangesCommand(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s, cmd := changesFixture(t, now)
	record(t, s,
		catalog.Change{Kind: catalog.ChangeMerge, ProjectID: 1, Ref: "41", At: now.Add(-2 * time.Hour), Title: "Retry card payments",
			AuthorName: "Ada", AuthorUsername: "ada", WebURL: "https://gitlab/acme/payments/checkout-api/-/merge_requests/41"},
		catalog.Change{Kind: catalog.ChangeDeployment, ProjectID: 2, Ref: "900", At: now.Add(-30 * time.Minute), Title: "Ledger v2",
			Environment: "production", Status: "failed", AuthorUsername: "bob", WebURL: "https://gitlab/acme/payments/ledger/-/jobs/1"},
		catalog.Change{Kind: catalog.ChangePush, ProjectID: 1, Ref: "abc", SHA: "abc", At: now.Add(-3 * 24 * time.Hour), Title: "Old hotfix"},
		catalog.Change{Kind: catalog.ChangeMerge, ProjectID: 3, Ref: "1", At: now.Add(-time.Hour), Title: "Unrelated"},
	)

	resp := run(t, cmd, "checkout-api")
	all := flatten(resp)
	for _, want := range []string{
		"checkout-api and its 1 dependency, last 24h",
		"30m ago · deploy to production FAILED · Ledger v2 · @bob · ledger",
		"2h ago · merged · Retry card payments · Ada (@ada)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in:\n%s", want, all)
		}
	}
	if strings.Contains(all, "Old hotfix") || strings.Contains(all, "Unrelated") {
		t.Errorf("outside the window or the scope:\n%s", all)
	}
	if i, j := strings.Index(all, "Ledger v2"), strings.Index(all, "Retry card"); i > j {
		t.Errorf("not newest first:\n%s", all)
	}
	if !strings.HasPrefix(resp.Text, "2 changes to checkout-api and its 1 dependency in the last 24h; newest: 30m ago") {
		t.Errorf("fallback text: %s", resp.Text)
	}
	// --since widens the window.
	if all := flatten(run(t, cmd, "checkout-api --since 7d")); !strings.Contains(all, "3d ago · pushed · Old hotfix") || !strings.Contains(all, "last 7d") {
		t.Errorf("--since 7d:\n%s", all)
	}
	// Nothing in the window: said, with the last change before it.
	if all := flatten(run(t, cmd, "checkout-api --since=20m")); !strings.Contains(all, "No recorded changes to checkout-api and its 1 dependency in the last 20m") ||
		!strings.Contains(all, "The last one before: 30m ago · deploy to production FAILED") {
		t.Errorf("empty window:\n%s", all)
	}
	// No history at all.
	if all := flatten(run(t, cmd, "ledger")); !strings.Contains(all, "30m ago") {
		t.Errorf("ledger:\n%s", all)
	}
}

func TestChangesCommandInput(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	_, cmd := changesFixture(t, now)
	tests := []struct{ text, want string }{
		{"", "Usage: /changes SERVICE [--since 24h]"},
		{"checkout-api --since", "--since needs a duration"},
		{"checkout-api --since 3x", `--since "3x" is not a duration`},
		{"checkout-api --since -4h", `is not a duration`},
		{"checkout-api --since 200d", "further back than Switchboard looks (90 days)"},
		{"checkout-api --since 99999999999999999999d", "further back than Switchboard looks (90 days)"},
		{"checkout-api --since 7D", "last 7d"},
		{"checkout-api --since 2W", "last 2w"},
		{"checkout-api --since +4h", `is not a duration`},
		{"checkout-api --since 0h", `is not a duration`},
		{"checkout-api --until 3h", "Unknown option --until"},
		{"checkout-api ledger", "One service at a time"},
		{"checkuot-api", "Did you mean"},
		{"ranking", "No recorded changes to ranking in the last 24h"},
		{"nothing-like-it-at-all", "no name close to it"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if all := flatten(run(t, cmd, tt.text)); !strings.Contains(all, tt.want) {
				t.Errorf("%q:\n%s", tt.text, all)
			}
		})
	}
	// The did-you-mean buttons keep the window.
	resp := run(t, cmd, "checkuot-api --since 2h")
	if !strings.Contains(flatten(resp), "/changes checkout-api --since 2h") {
		t.Errorf("did you mean loses --since:\n%s", flatten(resp))
	}
	// Nothing recorded at all, for any of them.
	if all := flatten(run(t, cmd, "ranking")); !strings.Contains(all, "Nothing is recorded at all") {
		t.Errorf("no history:\n%s", all)
	}
}

// TestChangesCommandManyChanges: a busy window is cut to what Slack shows
// (sections under its limits), saying how to narrow it.
func TestChangesCommandManyChanges(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s, cmd := changesFixture(t, now)
	var cs []catalog.Change
	for i := range 80 {
		cs = append(cs, catalog.Change{Kind: catalog.ChangePush, ProjectID: 1, Ref: fmt.Sprintf("sha%d", i), SHA: fmt.Sprintf("sha%d", i),
			At: now.Add(-time.Duration(i+1) * time.Minute), Title: strings.Repeat("very long title ", 20), WebURL: "https://gitlab/x"})
	}
	record(t, s, cs...)
	resp := run(t, cmd, "checkout-api")
	if len(resp.Blocks) > 50 {
		t.Fatalf("%d blocks", len(resp.Blocks))
	}
	lines := 0
	for _, b := range resp.Blocks {
		if sec, ok := b.(*commands.Section); ok {
			if n := len(sec.Text.String()); n > 3000 {
				t.Errorf("section of %d characters", n)
			}
			lines += strings.Count(sec.Text.String(), "• ")
		}
	}
	if lines != 30 || !strings.Contains(flatten(resp), "Only the newest 30 are shown") || !strings.HasPrefix(resp.Text, "More than 30 changes") {
		t.Errorf("%d lines:\n%s", lines, flatten(resp))
	}
}

// failingGraph cannot read the graph.
type failingGraph struct{}

func (failingGraph) Dependencies(context.Context, int64) ([]catalog.ServiceDependency, error) {
	return nil, errors.New("graph unavailable")
}

// TestChangesCommandGraphDown: without the graph, the service's own
// changes, saying the dependencies' are missing.
func TestChangesCommandGraphDown(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s, _ := changesFixture(t, now)
	record(t, s, catalog.Change{Kind: catalog.ChangeMerge, ProjectID: 1, Ref: "41", At: now.Add(-2 * time.Hour), Title: "Retry"})
	cmd := commands.Changes(commands.ChangesConfig{Catalog: s, History: s, Graph: failingGraph{}, Now: func() time.Time { return now }})
	all := flatten(run(t, cmd, "checkout-api"))
	if !strings.Contains(all, "Retry") || !strings.Contains(all, "Its dependencies could not be read: only its own changes are shown.") {
		t.Errorf("graph down:\n%s", all)
	}
}

// TestChangesCommandGaps: where the history is partial (GitLab refused a
// listing) or never read, /changes says so rather than let "no recorded
// changes" pass for "nothing changed"; a complete history says nothing.
func TestChangesCommandGaps(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	s, cmd := changesFixture(t, now)
	ctx := context.Background()
	got := flatten(run(t, cmd, "checkout-api"))
	if !strings.Contains(got, "The history of acme/payments/checkout-api, acme/payments/ledger has not been read from GitLab yet") {
		t.Errorf("never read:\n%s", got)
	}
	if err := s.SetChangeWatermark(ctx, 1, catalog.ChangeWatermark{Merges: now, Pushes: now, Problem: "the GitLab token may not read the project's deployments (403)"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetChangeWatermark(ctx, 2, catalog.ChangeWatermark{Merges: now, Pushes: now, Deployments: now}); err != nil {
		t.Fatal(err)
	}
	got = flatten(run(t, cmd, "checkout-api"))
	if !strings.Contains(got, "The history is partial for acme/payments/checkout-api (the GitLab token may not read the project's deployments (403))") ||
		strings.Contains(got, "not been read") || strings.Contains(got, "ledger (") {
		t.Errorf("partial:\n%s", got)
	}
	if got := flatten(run(t, cmd, "ledger")); strings.Contains(got, "partial") || strings.Contains(got, "not been read") {
		t.Errorf("complete:\n%s", got)
	}
}

// TestChangesNoHistory: /changes without a history says so.
func TestChangesNoHistory(t *testing.T) {
	cmd := commands.Changes(commands.ChangesConfig{})
	resp, err := cmd.Handler(context.Background(), commands.Request{Command: "/changes", Text: "checkout-api"})
	if err != nil || !strings.Contains(resp.Text, "keeps no change history") {
		t.Errorf("no history configured: %q, %v", resp.Text, err)
	}
}
