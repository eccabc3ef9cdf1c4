package bot_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/commands"
)

// TestFileUploaded: an answer's file goes through Slack's upload flow
// (files.getUploadURLExternal, the bytes, files.completeUploadExternal),
// to the asker's DM for an ephemeral answer and to the channel for one
// posted in it, its title and comment escaped; a failed upload is told.
func TestFileUploaded(t *testing.T) {
	content := []byte("team,service\npayments,\"checkout-api, <!channel>\"\n" + strings.Repeat("x,y\n", 5000))
	tests := []struct {
		name        string
		inChannel   bool
		fail        string
		wantChannel string
		wantText    string
	}{
		{"ephemeral to DM", false, "", "DU0ADA", "Here is the list"},
		{"in channel", true, "", "C1", "Here is the list"},
		{"upload refused", false, "internal_error", "", "Could not send list.csv: Slack answered internal_error"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, 5*time.Second)
			h.slack.Forbid("<!channel>")
			h.router.Register(commands.Command{Name: "/file", Handler: func(ctx context.Context, req commands.Request) (commands.Response, error) {
				if tt.fail != "" {
					h.slack.FailNext(2, tt.fail)
				}
				return commands.Response{InChannel: tt.inChannel, Text: "Here is the list",
					Blocks: []commands.Block{&commands.Section{Text: commands.T(commands.Plain("Here is the list"))}},
					File:   &commands.File{Name: "list.csv", Title: "List <!channel>", Comment: "for <@U999|x> & co", Content: content}}, nil
			}})
			body := fakeslack.SlashCommand("/file", "", "U0ADA", "C1", h.slack.ResponseURL("f"+string(rune('0'+i))), "T1")
			code, resp := h.post("/slack/commands", body, fakeslack.Sign(secret, body, time.Now()))
			if code != http.StatusOK || !strings.Contains(resp, tt.wantText) {
				t.Fatalf("answer: %d %s, want %q", code, resp, tt.wantText)
			}
			files := h.slack.Files()
			if tt.wantChannel == "" {
				if len(files) != 0 {
					t.Fatalf("files shared after a refused upload: %+v", files)
				}
				return
			}
			if len(files) != 1 {
				t.Fatalf("files: got %d, want 1", len(files))
			}
			f := files[0]
			if f.Channel != tt.wantChannel || f.Name != "list.csv" || !bytes.Equal(f.Content, content) {
				t.Errorf("file: channel %q name %q %d bytes; want %q list.csv %d bytes", f.Channel, f.Name, len(f.Content), tt.wantChannel, len(content))
			}
			if f.Title != "List &lt;!channel&gt;" || f.InitialComment != "for &lt;@U999|x&gt; &amp; co" {
				t.Errorf("title %q, comment %q: want them escaped", f.Title, f.InitialComment)
			}
		})
	}
}
