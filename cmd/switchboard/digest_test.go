package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// TestDigestCommand prints the digest, then posts it to the fake Slack as
// Block Kit.
func TestDigestCommand(t *testing.T) {
	fs := fakeslack.NewForTest(t, nil, nil)
	cfg := filepath.Join(t.TempDir(), "standards.yaml")
	if err := os.WriteFile(cfg, []byte("digest:\n  channel: \"#catalog\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	url := pgtest.URL(t)
	vars := map[string]string{"DATABASE_URL": url, "SWITCHBOARD_CONFIG": cfg, "SLACK_BOT_TOKEN": fakeslack.Token, "SLACK_API_URL": fs.APIURL()}

	env, out, errb := testEnv(t, vars)
	if code := run(context.Background(), []string{"digest"}, env); code != 0 || !strings.Contains(out.String(), "Catalog digest") {
		t.Fatalf("print: exit %d, %q, stderr %s", code, out, errb)
	}
	env, out, errb = testEnv(t, vars)
	if code := run(context.Background(), []string{"digest", "--post"}, env); code != 0 || !strings.Contains(out.String(), "catalog") {
		t.Fatalf("post: exit %d, %q, stderr %s", code, out, errb)
	}
	posts := fs.Calls("chat.postMessage")
	if len(posts) != 1 || !strings.HasSuffix(posts[0].Form.Get("channel"), "catalog") || !strings.Contains(posts[0].Form.Get("blocks"), `"type":"header"`) {
		t.Fatalf("chat.postMessage: %+v", posts)
	}
	env, _, errb = testEnv(t, map[string]string{"DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxp-user"})
	if code := run(context.Background(), []string{"digest", "--post"}, env); code != 2 || !strings.Contains(errb.String(), "SLACK_BOT_TOKEN must start with xoxb-") {
		t.Fatalf("bad token: exit %d, %s", code, errb)
	}
}
