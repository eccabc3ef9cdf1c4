package fakeslack_test

import (
	"net/url"
	"testing"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
)

func TestControlSequences(t *testing.T) {
	tests := []struct {
		text string
		bad  int
	}{
		{"plain &lt;!channel&gt; &amp; co", 0},
		{"by <@U0ADA> and <@W123ABC>", 0},
		{"see <https://e.example/a?b=1&amp;c=2|the docs> or <mailto:a@b.example|mail>", 0},
		{"version <2.17.1 and a < b", 0},
		{"<!channel>", 1},
		{"<!here|here>", 1},
		{"<!subteam^S1|x>", 1},
		{"<#C1|x>", 1},
		{"<@U123|name>", 1},
		{"<@u123>", 1},
		{"<@U1>", 1},
		{"<https://evil.example>", 1},
		{"<HTTPS://evil.example|x <!here>>", 2},
		{"<https://e.example/a b|x>", 1},
		{"<https://e.example|x|y>", 1},
		{"<javascript:alert(1)|x> <http", 1},
		{"<mailto:a@b|x", 1},
		{"<!channel> and <!here>", 2},
	}
	for _, tt := range tests {
		if got := fakeslack.ControlSequences(tt.text); len(got) != tt.bad {
			t.Errorf("%q: got %v, want %d unintended", tt.text, got, tt.bad)
		}
	}
}

func TestUnintendedSkipsWhatSlackDoesNotShow(t *testing.T) {
	payload := map[string]any{
		"text": "ok",
		"blocks": []any{map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "button", "text": map[string]any{"type": "plain_text", "text": "<!here>"},
			"value": "/whoowns <!channel>", "url": "https://e.example/<x>", "action_id": "<!a>",
		}}}},
	}
	got := fakeslack.Unintended(payload)
	if len(got) != 1 || got[0] != `blocks[0].elements[0].text.text: "<!here>" in "<!here>"` {
		t.Fatalf("got %q, want only the button's text", got)
	}
	form := url.Values{"channel": {"<!x>"}, "text": {"<!here>"}, "blocks": {`[{"type":"section","text":{"type":"mrkdwn","text":"<@U1|x>"}}]`}}
	if got := fakeslack.UnintendedForm(form); len(got) != 2 {
		t.Fatalf("form: got %q, want the text and the block", got)
	}
}
