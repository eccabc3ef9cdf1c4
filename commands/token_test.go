package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

// TestSwitchboardToken: an admin creates a token (shown once, ephemeral,
// not shareable), lists and revokes it; anyone else is refused and the
// refusal audited; without admin groups nobody may, in Slack.
func TestSwitchboardToken(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	r := commands.NewRouter(nil, 0)
	r.Register(commands.Switchboard(commands.TokenConfig{Store: s, Admins: allowList{"UADMIN": true}}))
	run := func(user, text string) commands.Response {
		t.Helper()
		resp, err := r.Dispatch(ctx, commands.Request{Command: "/switchboard", Text: text, User: commands.User{ID: user}})
		if err != nil {
			t.Fatalf("/switchboard %s: %v", text, err)
		}
		return resp
	}
	created := run("UADMIN", "token create deploy-pipeline")
	if created.InChannel || created.Shareable || !strings.Contains(created.Text, "shown this once") {
		t.Fatalf("create: %+v", created)
	}
	var token string
	for _, b := range created.Blocks {
		if sec, ok := b.(*commands.Section); ok {
			for _, sp := range sec.Text {
				if catalog.LooksLikeAPIToken(sp.Text) {
					token = sp.Text
				}
			}
		}
	}
	if _, err := s.AuthenticateAPIToken(ctx, token); err != nil {
		t.Fatalf("the token shown does not authenticate: %q: %v", token, err)
	}
	tests := []struct {
		user, text string
		want       string
	}{
		{"UADMIN", "token create deploy-pipeline", "exists already"},
		{"UADMIN", "token create bad/name", "a token's name is"},
		{"UADMIN", "token list", "deploy-pipeline"},
		{"UADMIN", "token", "Usage"},
		{"UADMIN", "token create", "Usage"},
		{"UADMIN", "", "Usage"},
		{"UMALLORY", "token create mine", "You may not manage API tokens"},
		{"UMALLORY", "token list", "You may not manage API tokens"},
		{"UMALLORY", "token revoke deploy-pipeline", "You may not manage API tokens"},
		{"UADMIN", "token revoke deploy-pipeline", "revoked"},
		{"UADMIN", "token revoke deploy-pipeline", "No valid API token"},
		{"UADMIN", "token list", "No API tokens"},
	}
	for _, tt := range tests {
		resp := run(tt.user, tt.text)
		if !strings.Contains(render(resp), tt.want) {
			t.Errorf("%s /switchboard %s: got %s, want %q", tt.user, tt.text, render(resp), tt.want)
		}
	}
	if _, err := s.AuthenticateAPIToken(ctx, token); err == nil {
		t.Error("the revoked token still authenticates")
	}
	log, err := s.AuditLog(ctx, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	refused := 0
	for _, e := range log {
		if e.Actor == "UMALLORY" && e.Result == "refused" {
			refused++
		}
	}
	if refused != 3 {
		t.Errorf("%d refusals audited, want 3", refused)
	}

	// No admin groups: nobody may, and the answer says how instead.
	r2 := commands.NewRouter(nil, 0)
	r2.Register(commands.Switchboard(commands.TokenConfig{Store: s}))
	resp, err := r2.Dispatch(ctx, commands.Request{Command: "/switchboard", Text: "token create x", User: commands.User{ID: "UADMIN"}})
	if err != nil || !strings.Contains(render(resp), "switchboard token create NAME") {
		t.Errorf("no admins: %s, %v", render(resp), err)
	}
}

// render is the response's text and blocks' text, for assertions.
func render(r commands.Response) string {
	var b strings.Builder
	b.WriteString(r.Text)
	for _, bl := range r.Blocks {
		if sec, ok := bl.(*commands.Section); ok {
			b.WriteString("\n" + sec.Text.String())
		}
	}
	return b.String()
}
