package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/standards"
)

// TestServiceFormErrorsBesideTheirField: what lint finds in a
// registration is shown beside the form field it is about, found by the
// finding's field path, not by its wording.
func TestServiceFormErrorsBesideTheirField(t *testing.T) {
	ctx := context.Background()
	s := catalog.NewStore(pgtest.New(t), nil)
	if _, err := s.PutTeam(ctx, catalog.Team{Name: "payments"}); err != nil {
		t.Fatal(err)
	}
	std := standards.Default()
	r := commands.NewRouter(nil, 0)
	commands.RegisterServiceCommand(r, commands.ServiceConfig{Catalog: s, Standards: std})
	user := commands.User{ID: "U1", Email: "ada@acme.test"}
	form, err := r.Dispatch(ctx, commands.Request{Command: "/service", Text: "add", User: user})
	if err != nil || form.Form == nil {
		t.Fatalf("/service add: got %+v, %v; want a form", form, err)
	}
	valid := func() map[string]string {
		return map[string]string{"name": "payments-ledger", "team": "payments", "lifecycle": "production",
			"tier": std.Tiers[0].Value, "language": "go"}
	}
	tests := []struct {
		name      string
		field     string // the value changed
		value     string
		wantField string
		wantText  string
	}{
		{"a name that is not one", "name", "Ledger Service!", "name", "metadata.name"},
		{"a generic name", "name", "frontend", "name", "too generic"},
		{"no owning team", "team", "", "team", "spec.owner"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			values := valid()
			values[tt.field] = tt.value
			res, err := r.Submit(ctx, commands.Request{User: user}, form.Form.ID, form.Form.State, values)
			if err != nil {
				t.Fatalf("submit: %v", err)
			}
			if got := res.Errors[tt.wantField]; len(res.Errors) != 1 || !strings.Contains(got, tt.wantText) {
				t.Errorf("errors: got %v, want one, beside %s, saying %q", res.Errors, tt.wantField, tt.wantText)
			}
		})
	}
}
