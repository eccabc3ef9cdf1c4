package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// TestChangesHostileTitles: merge request titles, authors, environments
// and links as GitLab sends them may hold anything; /changes shows them
// escaped, in the blocks and in the fallback text, through the real Slack
// adapter (the fake Slack checks the ack: no live mention, link or
// hostile value as is).
func TestChangesHostileTitles(t *testing.T) {
	h := newHarness(t, 2*time.Second)
	ctx := context.Background()
	h.router.Register(commands.Changes(commands.ChangesConfig{Catalog: h.store, History: h.store}))
	now := time.Now()
	var cs []catalog.Change
	for i, v := range fakeslack.Hostile {
		cs = append(cs,
			catalog.Change{Kind: catalog.ChangeMerge, ProjectID: 7, Ref: fmt.Sprint(i + 1), At: now.Add(-time.Duration(i+1) * time.Minute),
				Title: v.Value, AuthorName: v.Value, AuthorUsername: v.Value, WebURL: v.Value, Source: catalog.ChangeFromWebhook},
			catalog.Change{Kind: catalog.ChangeDeployment, ProjectID: 7, Ref: fmt.Sprint(100 + i), At: now.Add(-time.Duration(i+1) * time.Minute),
				Title: v.Value, Environment: v.Value, Status: "success", WebURL: "https://gitlab.acme.test/-/jobs/1?" + v.Value, Source: catalog.ChangeFromSync},
		)
		if strings.Contains(v.Value, "<") {
			h.slack.Forbid(v.Value)
		}
	}
	if err := h.store.RecordChanges(ctx, cs); err != nil {
		t.Fatal(err)
	}
	body := fakeslack.SlashCommand("/changes", "checkout-api --since 2h", "U0ADA", "C1", h.slack.ResponseURL("r1"), "T1")
	code, ack := h.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now()))
	if code != 200 {
		t.Fatalf("status %d: %s", code, ack)
	}
	// The answer is there, escaped: not vacuously clean.
	for _, want := range []string{`\u0026lt;!channel\u0026gt;`, "deployed to", "merged", `"text":"28 changes`} {
		if !strings.Contains(ack, want) {
			t.Errorf("ack lacks %q: %.2000s", want, ack)
		}
	}
}
