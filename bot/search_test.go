package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// searchHarness is the harness with /search and /whoowns's search
// fallback, linking to a web catalog, and a service whose description and
// README are hostile: Slack markup that must arrive as text.
func searchHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, 2*time.Second)
	ctx := context.Background()
	svc, err := h.store.PutService(ctx, catalog.Service{Name: "billing-core", Team: "payments", Source: catalog.SourceImport,
		Description: "Sends invoices to <!channel> & <@U0EVIL> via <https://evil.example|click here> `now`"})
	if err != nil {
		t.Fatal(err)
	}
	repo, err := h.store.PutRepo(ctx, catalog.Repo{GitLabID: 8, Path: "acme/payments/billing-core"})
	if err != nil {
		t.Fatal(err)
	}
	if err := h.store.AttachRepo(ctx, svc.ID, repo.ID, ""); err != nil {
		t.Fatal(err)
	}
	if err := h.store.SetRepoReadme(ctx, repo.ID, "README.md", "Dunning letters for <!here> *bold* _it_ ~x~ > quoted & done"); err != nil {
		t.Fatal(err)
	}
	links := weblinks.New("https://sb.example")
	h.router.Register(commands.WhoOwnsWith(commands.WhoOwnsConfig{Catalog: h.store, Search: h.store, Links: links}))
	h.router.Register(commands.Search(h.store, links))
	for _, v := range []string{"<!channel>", "<@U0EVIL>", "<https://evil.example|click here>", "<!here>"} {
		h.slack.Forbid(v)
	}
	return h
}

func (h *harness) command(cmd, text string) (int, string) {
	body := fakeslack.SlashCommand(cmd, text, "U0ADA", "C1", h.slack.ResponseURL("r1"), "T1")
	return h.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now()))
}

// TestSlashSearch: /search and /whoowns with words answer through the real
// bot path with the best matches, each linked to its page and with a
// button that opens its card; hostile descriptions arrive as text in the
// blocks and in the fallback text.
func TestSlashSearch(t *testing.T) {
	h := searchHarness(t)
	tests := []struct {
		cmd, text string
		want      []string
	}{
		{"/search", "invoices", []string{
			`<https://sb.example/services/default/billing-core|billing-core>`,
			`"value":"/whoowns billing-core"`,
			`description: \"Sends invoices to &lt;!channel&gt; &amp; &lt;@U0EVIL&gt; via &lt;https://evil.example|click here&gt; `,
			`<https://sb.example/search?q=invoices|All results in the catalog>`,
		}},
		{"/whoowns", "thing that sends invoices", []string{"No service is named", "These match it best", `"value":"/whoowns billing-core"`}},
		{"/search", "dunning letters", []string{`readme: \"Dunning letters for &lt;!here&gt;`}},
		{"/search", "", []string{"What are you looking for?"}},
		{"/search", "zebra", []string{"No service matches"}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd+" "+tt.text, func(t *testing.T) {
			code, raw := h.command(tt.cmd, tt.text)
			if code != http.StatusOK {
				t.Fatalf("status %d %s", code, raw)
			}
			// As Slack reads it: JSON's \u003c is "<".
			ack := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(raw)
			for _, w := range tt.want {
				if !strings.Contains(ack, w) {
					t.Errorf("ack lacks %s:\n%s", w, ack)
				}
			}
			var msg struct {
				Text string `json:"text"`
			}
			if err := json.Unmarshal([]byte(raw), &msg); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(msg.Text, "<!") || strings.Contains(msg.Text, "<@") || strings.Contains(msg.Text, "<http") {
				t.Errorf("fallback text has live markup: %q", msg.Text)
			}
		})
	}

	// The match's button opens the service's card.
	body := interactionBody(t, "run:2:0", "/whoowns billing-core", "")
	body = bytes.Replace(body, []byte("response_url%22%3A%22%22"), []byte("response_url%22%3A%22"+urlEscape(h.slack.ResponseURL("btn"))+"%22"), 1)
	if code, resp := h.post("/slack/interactions", body, fakeslack.Sign(secret, body, time.Now())); code != http.StatusOK {
		t.Fatalf("click: %d %s", code, resp)
	}
	calls := h.slack.WaitFor("response_url", 1, 5*time.Second)
	if len(calls) != 1 || calls[0].JSON["text"] != "billing-core is owned by payments (Payments)" {
		t.Fatalf("the button's answer: %v", calls)
	}
	if blocks := fmt.Sprint(calls[0].JSON["blocks"]); !strings.Contains(blocks, "<https://sb.example/services/default/billing-core|Its page in the catalog>") {
		t.Errorf("the card does not link to its page: %s", blocks)
	}
}
