package commands_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/manifest"
)

// recordingPublisher records what is posted, by channel; posts to a
// channel in fail fail.
type recordingPublisher struct {
	mu    sync.Mutex
	posts map[string][]commands.Response
	fail  map[string]bool
}

func (p *recordingPublisher) Publish(_ context.Context, channel string, resp commands.Response) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail[channel] {
		return errors.New("channel_not_found")
	}
	if p.posts == nil {
		p.posts = map[string][]commands.Response{}
	}
	p.posts[channel] = append(p.posts[channel], resp)
	return nil
}

func (p *recordingPublisher) counts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]int{}
	for ch, rs := range p.posts {
		out[ch] = len(rs)
	}
	return out
}

// contextPageEnv is the page environment with the incident's context on:
// the sample organisation's graph, a change history for checkout-api and
// what it depends on, and a recording publisher.
func contextPageEnv(t *testing.T) (*pageEnv, *recordingPublisher) {
	t.Helper()
	e := newPageEnv(t, pageOptions{})
	pub := &recordingPublisher{fail: map[string]bool{}}
	e.cfg.Context = &commands.PageContext{Dependents: e.store, History: e.store, Graph: e.store, Notices: e.store, Publisher: pub}
	e.router.Register(commands.Page(e.cfg))
	// What depends on checkout-api, declared as descriptors declare it
	// (sampleorg.Load stores services without their relations): a
	// storefront service, a service of its own channel, and one depending
	// on it through the first.
	// And what checkout-api depends on: card-vault (its spec.dependencyOf).
	for i, d := range []struct{ name, owner, channel, dep, of string }{
		{"web-shop", "group:storefront", "", "component:checkout-api", ""},
		{"loyalty", "group:payments", "loyalty-alerts", "component:checkout-api", ""},
		{"shop-app", "group:mobile", "", "component:web-shop", ""},
		{"card-vault", "group:payments", "", "", "component:checkout-api"},
	} {
		var dependsOn, dependencyOf []string
		if d.dep != "" {
			dependsOn = []string{d.dep}
		}
		if d.of != "" {
			dependencyOf = []string{d.of}
		}
		if _, err := e.store.ApplyRepo(context.Background(), catalog.RepoSnapshot{
			Repo:             catalog.Repo{GitLabID: int64(90000 + i), Path: "acme/dependents/" + d.name, DefaultBranch: "main", WebURL: "https://gitlab/acme/dependents/" + d.name, LastCommit: "c1"},
			DescriptorStatus: catalog.DescriptorOK, DescriptorPath: "catalog-info.yaml",
			Entities: []manifest.Entity{{APIVersion: "backstage.io/v1alpha1", Kind: manifest.KindComponent, Name: d.name, Namespace: "default",
				Owner: d.owner, Lifecycle: "production", Type: "service", SlackChannel: d.channel, DependsOn: dependsOn, DependencyOf: dependencyOf}},
		}); err != nil {
			t.Fatal(err)
		}
	}
	return e, pub
}

// projectOf is the GitLab project of a sample service's repo.
func projectOf(t *testing.T, s *catalog.Store, name string) (int64, int64) {
	t.Helper()
	l, err := s.FindService(context.Background(), name)
	if err != nil || len(l.Services) != 1 {
		t.Fatalf("find %s: %v", name, err)
	}
	p, err := s.Profile(context.Background(), l.Services[0].ID)
	if err != nil || len(p.Repos) == 0 {
		t.Fatalf("profile %s: %+v %v", name, p, err)
	}
	return l.Services[0].ID, p.Repos[0].GitLabID
}

func TestPageConfirmationContext(t *testing.T) {
	e, _ := contextPageEnv(t)
	ctx := context.Background()
	now := e.clock.Now()

	// No history yet: said so, not hidden.
	got := flatten(e.page(t, ada, "/page checkout-api disk full"))
	if !strings.Contains(got, "No recorded changes.") {
		t.Errorf("without history:\n%s", got)
	}

	id, checkout := projectOf(t, e.store, "checkout-api")
	_, vault := projectOf(t, e.store, "card-vault")
	deps, err := e.store.Dependents(ctx, id)
	if err != nil || len(deps) == 0 {
		t.Fatalf("the sample's dependents of checkout-api: %d, %v", len(deps), err)
	}
	teams := map[string]bool{}
	for _, d := range deps {
		if d.Service.Team != "" {
			teams[strings.ToLower(d.Service.Team)] = true
		}
	}
	if err := e.store.RecordChanges(ctx, []catalog.Change{
		{Kind: catalog.ChangeMerge, ProjectID: checkout, Ref: "41", At: now.Add(-5 * time.Hour), Title: "Retry card authorisations", AuthorUsername: "ada", WebURL: "https://gitlab/mr/41", Source: catalog.ChangeFromWebhook},
		{Kind: catalog.ChangeDeployment, ProjectID: checkout, Ref: "9", At: now.Add(-4 * time.Hour), Title: "Retry card authorisations", Environment: "production", Status: "success", Source: catalog.ChangeFromSync},
		{Kind: catalog.ChangePush, ProjectID: checkout, Ref: "abc", SHA: "abc", At: now.Add(-50 * time.Minute), Title: "Hotfix: raise the timeout", AuthorUsername: "grace", WebURL: "https://gitlab/c/abc", Source: catalog.ChangeFromWebhook},
		{Kind: catalog.ChangeDeployment, ProjectID: vault, Ref: "10", At: now.Add(-30 * time.Minute), Title: "gRPC client", Environment: "production", Status: "failed", Source: catalog.ChangeFromWebhook},
		{Kind: catalog.ChangeMerge, ProjectID: checkout, Ref: "40", At: now.Add(-50 * time.Hour), Title: "Too old to show", Source: catalog.ChangeFromSync},
	}); err != nil {
		t.Fatal(err)
	}

	resp := e.page(t, ada, "/page checkout-api disk full")
	got = flatten(resp)
	tok := confirmToken(t, resp)
	want := []string{
		fmt.Sprintf("Blast radius: %d services in %d teams depend on it. See /blast checkout-api.", len(deps), len(teams)),
		"button:/page --tell " + tok,
		"• 30m ago · deploy to production FAILED · gRPC client · card-vault",
		"• 50m ago · pushed · Hotfix: raise the timeout · @grace",
		"• 4h ago · deployed to production · Retry card authorisations",
	}
	checkReply(t, got, want, []string{"Too old to show", "5h ago · merged"})
	if !strings.Contains(resp.Text, fmt.Sprintf("%d services in %d teams depend on it.", len(deps), len(teams))) || !strings.Contains(resp.Text, "Last change: 30m ago") {
		t.Errorf("fallback text: %s", resp.Text)
	}
	// The Tell button sits before Page and Cancel.
	if i, j := strings.Index(got, "button:/page --tell"), strings.Index(got, "button:/page --confirm"); i < 0 || i > j {
		t.Errorf("button order:\n%s", got)
	}

	// The incident carries the three changes in its custom details.
	e.page(t, ada, "/page --confirm "+tok)
	inc := e.checkIncidents(t, 1)[0]
	for _, w := range []string{"recent_changes", "gRPC client", "Hotfix: raise the timeout", "https://gitlab/c/abc", "Retry card authorisations", "depend on it"} {
		if !strings.Contains(inc.Details, w) {
			t.Errorf("incident details lack %q: %s", w, inc.Details)
		}
	}
	if strings.Contains(inc.Details, "Too old") {
		t.Errorf("incident details: %s", inc.Details)
	}
}

// TestPageTellTheirChannels: one notice per channel whatever the clicks
// (at once, and again later); a channel whose post failed is tried again
// by the next click, the others not.
func TestPageTellTheirChannels(t *testing.T) {
	e, pub := contextPageEnv(t)
	ctx := context.Background()
	id, _ := projectOf(t, e.store, "checkout-api")
	deps, err := e.store.Dependents(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	channels := map[string]bool{}
	for _, d := range deps {
		for _, ch := range []string{d.TeamChannel, d.Service.SlackChannel} {
			if ch != "" {
				channels[ch] = true
			}
		}
	}
	if len(channels) < 2 {
		t.Fatalf("the sample's dependents of checkout-api have %d channels", len(channels))
	}
	var broken string
	for ch := range channels {
		broken = ch
		break
	}
	pub.mu.Lock()
	pub.fail[broken] = true
	pub.mu.Unlock()

	tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
	var wg sync.WaitGroup
	resps := make([]commands.Response, 6)
	for i := range resps {
		wg.Go(func() { resps[i] = e.page(t, ada, "/page --tell "+tok) })
	}
	wg.Wait()
	counts := pub.counts()
	for ch := range channels {
		want := 1
		if ch == broken {
			want = 0
		}
		if counts[ch] != want {
			t.Errorf("channel %s told %d times, want %d", ch, counts[ch], want)
		}
	}
	told := 0
	for _, r := range resps {
		if strings.HasPrefix(r.Text, "Told ") {
			told++
		}
	}
	if told != 1 {
		t.Errorf("%d clicks told channels, want 1", told)
	}
	// The notice names the page and the dependents.
	for ch, rs := range pub.posts {
		n := flatten(rs[0])
		if !rs[0].InChannel || !strings.Contains(n, "checkout-api is being paged by ada.lovelace: “disk full”") || !strings.Contains(n, "/changes checkout-api") {
			t.Errorf("notice to %s:\n%s", ch, n)
		}
	}

	// The broken channel works again: the next click posts there only.
	pub.mu.Lock()
	pub.fail[broken] = false
	pub.mu.Unlock()
	again := flatten(e.page(t, ada, "/page --tell "+tok))
	if !strings.Contains(again, "Told 1 channel: "+broken) || !strings.Contains(again, "had been told already") {
		t.Errorf("retry click:\n%s", again)
	}
	for ch, n := range pub.counts() {
		if n != 1 {
			t.Errorf("channel %s told %d times", ch, n)
		}
	}
	// Someone else's click tells nobody.
	other := commands.User{ID: "UOTHER", Name: "mallory", Email: "m@acme.example"}
	if got := flatten(e.page(t, other, "/page --tell "+tok)); !strings.Contains(got, "Only ada.lovelace") {
		t.Errorf("other user's click:\n%s", got)
	}
	// A cancelled page tells nobody.
	tok2 := confirmToken(t, e.page(t, ada, "/page payment-gateway cards failing"))
	e.page(t, ada, "/page --cancel "+tok2)
	if got := flatten(e.page(t, ada, "/page --tell "+tok2)); !strings.Contains(got, "cancelled, so nobody was told") {
		t.Errorf("cancelled page:\n%s", got)
	}
}

// TestPageConfirmationGraphDown: when what the service depends on cannot
// be read, the confirmation's last changes say they are the service's own
// only, not leave the dependencies' out silently.
func TestPageConfirmationGraphDown(t *testing.T) {
	e, _ := contextPageEnv(t)
	e.cfg.Context.Graph = failingGraph{}
	e.router.Register(commands.Page(e.cfg))
	_, checkout := projectOf(t, e.store, "checkout-api")
	if err := e.store.RecordChanges(context.Background(), []catalog.Change{
		{Kind: catalog.ChangeMerge, ProjectID: checkout, Ref: "41", At: e.clock.Now().Add(-5 * time.Hour), Title: "Retry card authorisations", Source: catalog.ChangeFromWebhook},
	}); err != nil {
		t.Fatal(err)
	}
	got := flatten(e.page(t, ada, "/page checkout-api disk full"))
	checkReply(t, got, []string{"Retry card authorisations", "Its dependencies could not be read: only its own changes are shown."}, nil)
}

// TestPageTellChannelOnce: a channel the catalog writes two ways (a
// team's "#team-storefront", a service's "Team-Storefront") is one
// channel, told once.
func TestPageTellChannelOnce(t *testing.T) {
	e, pub := contextPageEnv(t)
	if _, err := e.store.ApplyRepo(context.Background(), catalog.RepoSnapshot{
		Repo:             catalog.Repo{GitLabID: 90100, Path: "acme/dependents/cart-ui", DefaultBranch: "main", LastCommit: "c1"},
		DescriptorStatus: catalog.DescriptorOK, DescriptorPath: "catalog-info.yaml",
		Entities: []manifest.Entity{{APIVersion: "backstage.io/v1alpha1", Kind: manifest.KindComponent, Name: "cart-ui", Namespace: "default",
			Owner: "group:mobile", Lifecycle: "production", Type: "service", SlackChannel: "Team-Storefront", DependsOn: []string{"component:checkout-api"}}},
	}); err != nil {
		t.Fatal(err)
	}
	tok := confirmToken(t, e.page(t, ada, "/page checkout-api disk full"))
	e.page(t, ada, "/page --tell "+tok)
	var storefront []string
	for ch, n := range pub.counts() {
		if strings.EqualFold(strings.TrimPrefix(ch, "#"), "team-storefront") {
			storefront = append(storefront, fmt.Sprintf("%s×%d", ch, n))
		}
	}
	if len(storefront) != 1 || !strings.HasSuffix(storefront[0], "×1") {
		t.Errorf("#team-storefront told as %v, want once", storefront)
	}
}
