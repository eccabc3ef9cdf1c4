package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/standards"
)

// TestRegisterFromDigest follows a Register button of the digest: the
// registration form for that repo, submitted, leaves a catalogued repo that
// the next digest no longer lists.
func TestRegisterFromDigest(t *testing.T) {
	ctx := context.Background()
	s := digestStore(t, 0)
	r := digestRouter(s)
	commands.RegisterServiceCommand(r, commands.ServiceConfig{Catalog: s, Standards: standards.Default()})
	user := commands.User{ID: "U1", Email: "ada@acme.test"}

	digest, err := r.Dispatch(ctx, commands.Request{Command: "/digest", User: user})
	if err != nil {
		t.Fatal(err)
	}
	register := ""
	for _, b := range digest.Blocks {
		if a, ok := b.(*commands.Actions); ok {
			for _, btn := range a.Buttons {
				if strings.HasPrefix(btn.Command, "/service add acme/payments/web") {
					register = btn.Command
				}
			}
		}
	}
	if register == "" {
		t.Fatalf("no Register button for acme/payments/web in:\n%s", flatten(digest))
	}
	cmd, text, _ := strings.Cut(register, " ")
	resp, err := r.Dispatch(ctx, commands.Request{Command: cmd, Text: text, User: user})
	if err != nil || resp.Form == nil {
		t.Fatalf("Register: %+v, %v", resp, err)
	}
	values := map[string]string{}
	for _, f := range resp.Form.Fields {
		values[f.Name] = f.Initial
	}
	if values["repo"] != "acme/payments/web" || values["team"] != "payments" || values["name"] == "" {
		t.Fatalf("form not prefilled from the repo: %v", values)
	}
	values["lifecycle"], values["tier"], values["language"] = "production", standards.Default().Tiers[0].Value, "go"
	res, err := r.Submit(ctx, commands.Request{User: user}, resp.Form.ID, resp.Form.State, values)
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("submit: %+v, %v", res.Errors, err)
	}
	after, err := r.Dispatch(ctx, commands.Request{Command: "/digest", User: user})
	if err != nil {
		t.Fatal(err)
	}
	if got := flatten(after); strings.Contains(got, "/service add acme/payments/web") || !strings.Contains(got, "3 of 5 active repos catalogued") {
		t.Fatalf("digest after registering:\n%s", got)
	}
}
