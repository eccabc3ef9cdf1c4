package standards_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/standards"
)

// TestAPI: api.token_admins_usergroups is read like the other user group
// lists; mistakes are reported at their position; nobody by default.
func TestAPI(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		want      []string
		line, col int
		message   string
	}{
		{name: "default: nobody", yaml: "version: 1\n", want: nil},
		{name: "groups", yaml: "api:\n  token_admins_usergroups: [S0PLATFORM, sre-leads]\n", want: []string{"S0PLATFORM", "sre-leads"}},
		{name: "not a list", yaml: "api:\n  token_admins_usergroups: sre\n", want: []string{}, line: 2, col: 28, message: "api.token_admins_usergroups"},
		{name: "twice", yaml: "api:\n  token_admins_usergroups: [sre, SRE]\n", want: []string{"sre"}, line: 2, col: 34, message: "listed twice"},
		{name: "unknown key", yaml: "api:\n  admins: [sre]\n", want: nil, line: 2, col: 3, message: "admins"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, findings := standards.Parse("sb.yaml", []byte(tt.yaml))
			if got := s.API.TokenAdminsUsergroups; !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("token_admins_usergroups = %#v, want %#v", got, tt.want)
			}
			if tt.line == 0 {
				if len(findings) > 0 {
					t.Errorf("findings %v, want none", findings)
				}
				return
			}
			if len(findings) != 1 || findings[0].Line != tt.line || findings[0].Col != tt.col || !strings.Contains(findings[0].Message, tt.message) {
				t.Errorf("findings %v, want one at %d:%d containing %q", findings, tt.line, tt.col, tt.message)
			}
		})
	}
	if got := standards.Default().API.TokenAdminsUsergroups; len(got) != 0 {
		t.Errorf("default token_admins_usergroups = %v, want none", got)
	}
}
