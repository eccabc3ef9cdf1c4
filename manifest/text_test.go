package manifest_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
)

func TestTextEncoding(t *testing.T) {
	base := component("", "")
	withDescription := func(d string) string {
		return strings.Replace(base, "name: payments-api\n", "name: payments-api\n  description: "+d+"\n", 1)
	}
	utf16 := func(s string) string {
		var b strings.Builder
		b.WriteString("\xff\xfe")
		for _, r := range s {
			b.WriteByte(byte(r))
			b.WriteByte(0)
		}
		return b.String()
	}
	tests := []struct {
		name      string
		path      string
		data      string
		line, col int    // of the encoding warning
		message   string // in it
		desc      string // the description read
	}{
		{"raw NUL", "catalog-info.yaml", withDescription("a\x00b"), 5, 17, "NUL byte", "a\uFFFDb"},
		{"escaped NUL", "catalog-info.yaml", withDescription(`"a\0b"`), 5, 16, "NUL character", "a\uFFFDb"},
		{"escaped \\u0000", "catalog-info.yaml", withDescription(`"a\u0000b"`), 5, 16, "NUL character", "a\uFFFDb"},
		{"invalid UTF-8", "catalog-info.yaml", withDescription("caf\xe9"), 5, 19, "not UTF-8", "caf\uFFFD"},
		{"control character", "catalog-info.yaml", withDescription("a\x07b"), 5, 17, "U+0007", "a\uFFFDb"},
		{"UTF-16", "catalog-info.yaml", utf16(withDescription("café")), 1, 1, "UTF-16", "café"},
		{"NUL in OpsLevel", "opslevel.yml", "version: 1\nservice:\n  name: pay\x00ments\n  owner: payments\n", 3, 12, "NUL byte", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := manifest.Parse(tt.path, []byte(tt.data), defaultRules())
			if d.HasErrors() || len(d.Entities) != 1 {
				t.Fatalf("got %d entities, findings\n%s want one entity and no error", len(d.Entities), findingsText(d.Findings))
			}
			found := false
			for _, f := range d.Findings {
				if f.Rule == manifest.RuleEncoding && f.Line == tt.line && f.Col == tt.col && strings.Contains(f.Message, tt.message) && f.Fix != "" {
					found = true
				}
			}
			if !found {
				t.Errorf("got findings\n%s want an encoding warning at %d:%d about %q", findingsText(d.Findings), tt.line, tt.col, tt.message)
			}
			if tt.desc != "" && d.Entities[0].Description != tt.desc {
				t.Errorf("got description %q, want %q", d.Entities[0].Description, tt.desc)
			}
			js, err := json.Marshal(d)
			if err != nil || bytes.Contains(js, []byte(`\u0000`)) {
				t.Errorf("got %s (%v), want no NUL anywhere in the descriptor", js, err)
			}
		})
	}
}

func TestYAMLAsBackstageReadsIt(t *testing.T) {
	tests := []struct {
		name   string
		data   string
		errors bool
	}{
		{"YAML 1.2 directive", "%YAML 1.2\n---\n" + component("", ""), false},
		{"custom tag is a string", strings.Replace(component("", ""), "type: service", "type: !svc service", 1), false},
		{"1_000 is a string in YAML 1.2", strings.Replace(component("", ""), "type: service", "type: 1_000", 1), false},
		{"0x1F is a number", strings.Replace(component("", ""), "type: service", "type: 0x1F", 1), true},
		{"yes is a string", strings.Replace(component("", ""), "type: service", "type: yes", 1), false},
		{"True is a boolean", strings.Replace(component("", ""), "type: service", "type: True", 1), true},
		{"alias within a document", component("  labels: {team: &t payments}\n", "  system: *t\n"), false},
		{"alias across documents", component("  labels: {team: &t payments}\n", "") + "---\n" + strings.Replace(component("", "  system: *t\n"), "payments-api", "other", 1), true},
		{"keys differing in case", component("", "  Type: website\n"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := manifest.Parse("catalog-info.yaml", []byte(tt.data), defaultRules())
			if d.HasErrors() != tt.errors {
				t.Errorf("got errors=%v, want %v; findings:\n%s", d.HasErrors(), tt.errors, findingsText(d.Findings))
			}
		})
	}
}
