package standards_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/standards"
)

// TestCampaigns: campaigns.allowed_usergroups is read like
// paging.allowed_usergroups; mistakes are reported at their position.
func TestCampaigns(t *testing.T) {
	tests := []struct {
		name      string
		yaml      string
		want      []string
		line, col int    // of the one finding, 0: none
		message   string // the finding's message contains this
	}{
		{name: "default: everyone", yaml: "version: 1\n", want: nil},
		{name: "groups", yaml: "campaigns:\n  allowed_usergroups: [S0PLATFORM, sre-leads]\n", want: []string{"S0PLATFORM", "sre-leads"}},
		{name: "not a list", yaml: "campaigns:\n  allowed_usergroups: sre\n", want: []string{}, line: 2, col: 23, message: "campaigns.allowed_usergroups"},
		{name: "a map in the list", yaml: "campaigns:\n  allowed_usergroups:\n    - S01\n    - {a: b}\n", want: []string{"S01"}, line: 4, col: 7, message: "campaigns.allowed_usergroups[1] must be text"},
		{name: "twice", yaml: "campaigns:\n  allowed_usergroups: [sre, SRE]\n", want: []string{"sre"}, line: 2, col: 29, message: "listed twice"},
		{name: "unknown key", yaml: "campaigns:\n  allowed_groups: [sre]\n", want: nil, line: 2, col: 3, message: "allowed_groups"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, findings := standards.Parse("sb.yaml", []byte(tt.yaml))
			if got := s.Campaigns.AllowedUsergroups; !reflect.DeepEqual(got, tt.want) && !(len(got) == 0 && len(tt.want) == 0) {
				t.Errorf("allowed_usergroups = %#v, want %#v", got, tt.want)
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
	if got := standards.Default().Campaigns.AllowedUsergroups; len(got) != 0 {
		t.Errorf("default allowed_usergroups = %v, want none (everyone may start a campaign)", got)
	}
}
