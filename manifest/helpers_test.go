package manifest_test

import (
	"errors"
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
)

func TestIsDescriptorPath(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"catalog-info.yaml", true},
		{"catalog-info.yml", true},
		{"services/pay/catalog-info.yaml", true},
		{"Catalog-Info.YAML", true},
		{"opslevel.yml", true},
		{"opslevel.yaml", true},
		{".backstage/api.yaml", true},
		{"a/.backstage/components/x.yml", true},
		{".backstage/README.md", false},
		{"catalog-info.json", false},
		{"catalog-info-1.yaml", false},
		{"values.yaml", false},
		{"backstage/x.yaml", false},
	}
	for _, tt := range tests {
		if got := manifest.IsDescriptorPath(tt.path); got != tt.want {
			t.Errorf("IsDescriptorPath(%q): got %v, want %v", tt.path, got, tt.want)
		}
	}
}

func TestParseRef(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"payments", "group:default/payments", true},
		{"user:jane", "user:default/jane", true},
		{"Group:Ops/payments", "group:ops/payments", true},
		{"ops/payments", "group:ops/payments", true},
		{"user:redhat/rushinde", "user:redhat/rushinde", true},
		{"a/b:c", "group:a/b:c", true},
		{"group:", "", false},
		{":payments", "", false},
		{"group:/payments", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		r, err := manifest.ParseRef(tt.in, "group", "")
		if tt.ok != (err == nil) || (tt.ok && r.String() != tt.want) {
			t.Errorf("ParseRef(%q): got %v, %v, want %q (ok=%v)", tt.in, r, err, tt.want, tt.ok)
		}
		if err != nil && !errors.Is(err, manifest.ErrBadRef) {
			t.Errorf("ParseRef(%q): got error %v, want ErrBadRef", tt.in, err)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	known := []string{"type", "lifecycle", "owner", "system", "subcomponentOf", "providesApis"}
	tests := []struct{ in, want string }{
		{"lifecyle", "lifecycle"},
		{"lifecylce", "lifecycle"},
		{"ownr", "owner"},
		{"subComponentOf", "subcomponentOf"},
		{"providesAPIs", "providesApis"},
		{"sys", "system"},
		{"zzz", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := manifest.DidYouMean(tt.in, known); got != tt.want {
			t.Errorf("DidYouMean(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestQualifiedName(t *testing.T) {
	tests := []struct {
		tmpl, team, purpose, want string
	}{
		{"", "payments", "frontend", "payments-frontend"},
		{"{purpose}-{team}", "payments", "frontend", "frontend-payments"},
		{"{team}-{purpose}", "", "redis", "<team>-redis"},
	}
	for _, tt := range tests {
		r := manifest.Rules{NameTemplate: tt.tmpl}
		if got := r.QualifiedName(tt.team, tt.purpose); got != tt.want {
			t.Errorf("QualifiedName(%q, %q) with %q: got %q, want %q", tt.team, tt.purpose, tt.tmpl, got, tt.want)
		}
	}
}

func TestKnownRules(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range manifest.KnownRules() {
		if seen[r.Name] || r.Summary == "" {
			t.Errorf("got rule %+v, want a unique name and a summary", r)
		}
		seen[r.Name] = true
		if r.Fixed && r.Severity != manifest.SeverityError {
			t.Errorf("got Backstage rule %s at %s, want error", r.Name, r.Severity)
		}
	}
	for _, s := range []string{"error", "Warning", " info ", "off"} {
		if _, err := manifest.ParseSeverity(s); err != nil {
			t.Errorf("ParseSeverity(%q): got %v, want nil", s, err)
		}
	}
	if _, err := manifest.ParseSeverity("fatal"); err == nil {
		t.Errorf("ParseSeverity(fatal): got nil, want an error")
	}
}
