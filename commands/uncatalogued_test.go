package commands_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/commands"
)

// subcommand runs one of the /service subcommands the digest provides, as
// the /service dispatcher would: the words after the subcommand's name.
func subcommand(t *testing.T, fn func(context.Context, commands.Request, []string) (commands.Response, error), line string) string {
	t.Helper()
	req := commands.Request{Command: "/service", Text: line, User: commands.User{ID: "U42", Name: "Ada"}}
	fields := strings.Fields(line)
	resp, err := fn(context.Background(), req, fields[1:])
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	checkSlackLimits(t, resp)
	return flatten(resp)
}

func TestUncatalogued(t *testing.T) {
	s := digestStore(t, 45)
	fn := commands.Uncatalogued(s)
	tests := []struct {
		line    string
		want    []string
		notWant []string
	}{
		{"uncatalogued", []string{
			"H:Repos without a descriptor", "47 active repos without a descriptor, in 2 groups; page 1 of 3",
			"big/group/repo-", "button:/service add big/group/repo-", "button:/service ignore big/group/repo-",
			"button:/service uncatalogued --page 2",
		}, []string{"Previous page", "acme/payments/web"}},
		{"uncatalogued --page 3", []string{"page 3 of 3", "acme/payments/web", "group acme/payments", "button:/service uncatalogued --page 2"}, []string{"--page 4"}},
		{"uncatalogued --page=2", []string{"page 2 of 3"}, nil},
		{"uncatalogued big/group --page 2", []string{"H:Repos without a descriptor in big/group", "45 active repos without a descriptor in big/group, in 1 group; page 2 of 3",
			"button:/service uncatalogued big/group --page 1", "button:/service uncatalogued big/group --page 3"}, []string{"acme/payments", "· group big/group"}},
		{"uncatalogued acme/payments", []string{"2 active repos", "page 1 of 1"}, []string{"Next page", "--page"}},
		{"uncatalogued --page 9", []string{"There are only 3 pages"}, []string{"H:"}},
		{"uncatalogued nowhere", []string{"Every active repo in nowhere is catalogued or ignored."}, nil},
		{"uncatalogued --page x", []string{`"x" is not a page number`, "Usage"}, nil},
		{"uncatalogued --page", []string{"--page needs a number"}, nil},
		{"uncatalogued a b", []string{"one GitLab group at most"}, nil},
		{"uncatalogued --all", []string{"Unknown option --all"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			got := subcommand(t, fn, tt.line)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %q:\n%s", w, got)
				}
			}
			for _, w := range tt.notWant {
				if strings.Contains(got, w) {
					t.Errorf("has %q:\n%s", w, got)
				}
			}
		})
	}
}

// TestIgnoreFromDigest follows the Ignore button: it asks why, the reason
// ignores the repo, which leaves the digest and shows in /service ignored,
// and unignore brings it back.
func TestIgnoreFromDigest(t *testing.T) {
	s := digestStore(t, 0)
	digest := func() string {
		t.Helper()
		resp, err := digestRouter(s).Dispatch(context.Background(), commands.Request{Command: "/digest"})
		if err != nil {
			t.Fatal(err)
		}
		return flatten(resp)
	}
	ignore, unignore, ignored := commands.IgnoreRepo(s), commands.UnignoreRepo(s), commands.Ignored(s)
	if got := digest(); !strings.Contains(got, "button:/service ignore acme/payments/web") {
		t.Fatalf("the digest has no Ignore button for acme/payments/web:\n%s", got)
	}
	steps := []struct {
		name string
		fn   func(context.Context, commands.Request, []string) (commands.Response, error)
		line string
		want []string
	}{
		{"nothing ignored yet", ignored, "ignored", []string{"No repo is ignored"}},
		{"the button asks why", ignore, "ignore acme/payments/web", []string{"Why ignore acme/payments/web?",
			"button:/service ignore acme/payments/web not a service (library, docs or configuration)",
			"button:/service ignore acme/payments/web experiment or sandbox", "/service ignore acme/payments/web REASON"}},
		{"no repo", ignore, "ignore", []string{"Which repo, and why?"}},
		{"unknown repo", ignore, "ignore acme/nowhere just because", []string{"There is no repo acme/nowhere"}},
		{"with a reason", ignore, "ignore acme/payments/web experiment or sandbox", []string{"Ignored acme/payments/web: experiment or sandbox.", "/service unignore acme/payments/web"}},
		{"listed", ignored, "ignored", []string{"H:Ignored repos", "acme/payments/web: experiment or sandbox — U42, 3 Nov 2025"}},
	}
	for _, st := range steps {
		got := subcommand(t, st.fn, st.line)
		for _, w := range st.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: lacks %q:\n%s", st.name, w, got)
			}
		}
	}
	got := digest()
	if strings.Contains(got, "acme/payments/web") {
		t.Errorf("the digest still lists the ignored repo:\n%s", got)
	}
	if !strings.Contains(got, "1 repo ignored") {
		t.Errorf("the digest does not count the ignored repo:\n%s", got)
	}
	log, err := s.AuditLog(context.Background(), "acme/payments/web", 5)
	if err != nil || len(log) != 1 || log[0].Actor != "U42" || log[0].Action != "repo.ignore" {
		t.Errorf("audit log: got %+v, %v", log, err)
	}

	for _, st := range []struct{ line, want string }{
		{"unignore acme/payments/web", "acme/payments/web counts again"},
		{"unignore acme/payments/web", "acme/payments/web is not ignored"},
		{"unignore acme/nowhere", "There is no repo acme/nowhere"},
		{"unignore", "Which repo?"},
	} {
		if got := subcommand(t, unignore, st.line); !strings.Contains(got, st.want) {
			t.Errorf("%s: lacks %q:\n%s", st.line, st.want, got)
		}
	}
	if got := digest(); !strings.Contains(got, "button:/service add acme/payments/web") {
		t.Errorf("after unignore the digest does not list the repo again:\n%s", got)
	}
}
