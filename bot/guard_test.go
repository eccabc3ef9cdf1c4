package bot

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestOnlyRenderBuildsSlackText keeps Slack text structural: in the bot,
// only render.go makes text objects, message text, response_url payloads
// and form errors, from escaped values; and nothing outside the bot posts
// to Slack (it goes through the bot with a commands.Response).
func TestOnlyRenderBuildsSlackText(t *testing.T) {
	// Made from strings: only render.go may call or build these.
	textMakers := map[string]bool{
		"NewTextBlockObject": true, "TextBlockObject": true, "MsgOptionText": true,
		"MsgOptionAttachments": true, "NewErrorsViewSubmissionResponse": true, "WebhookMessage": true,
		"UploadFileParameters": true, "CompleteUploadExternalParameters": true,
	}
	// Posting to Slack: only the bot may.
	posters := map[string]bool{
		"PostMessage": true, "PostMessageContext": true, "PostEphemeral": true, "PostEphemeralContext": true,
		"SendMessage": true, "SendMessageContext": true, "UpdateMessage": true, "UpdateMessageContext": true,
		"PublishView": true, "PublishViewContext": true, "OpenView": true, "OpenViewContext": true,
		"UpdateView": true, "UpdateViewContext": true, "PushView": true, "PushViewContext": true,
		"PostWebhook": true, "PostWebhookContext": true, "PostWebhookCustomHTTP": true, "PostWebhookCustomHTTPContext": true,
		"UploadFile": true, "UploadFileContext": true, "CompleteUploadExternal": true, "CompleteUploadExternalContext": true,
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == filepath.Join("bot", "fakeslack") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		slackName := ""
		for _, imp := range f.Imports {
			if imp.Path.Value == `"github.com/slack-go/slack"` {
				slackName = "slack"
				if imp.Name != nil {
					slackName = imp.Name.Name
				}
			}
		}
		if slackName == "" {
			return nil
		}
		inBot := filepath.Dir(rel) == "bot"
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			name := sel.Sel.Name
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == slackName && textMakers[name] && rel != filepath.Join("bot", "render.go") {
				t.Errorf("%s: slack.%s outside bot/render.go: build Slack text with render (it escapes)", rel, name)
			}
			if posters[name] && !inBot {
				t.Errorf("%s: %s outside the bot: post to Slack through the bot (Notify, SendDirect) with a commands.Response", rel, name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
