package standards_test

import (
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
	"github.com/switchboard-dev/switchboard/standards"
)

// FuzzCheck feeds the standards parser arbitrary bytes: nothing may panic,
// every finding is positioned, and the result is always usable.
func FuzzCheck(f *testing.F) {
	f.Add(standards.DefaultYAML())
	f.Add([]byte("enforce:\n  naming: error\nrequired: [runbook]\n"))
	f.Add([]byte("naming: {pattern: '[', reserved: [a, a]}\ndigest: {schedule: '* * *', timezone: X}\n"))
	f.Add([]byte("tiers: [t1]\nscorecard:\n  levels: [a, {name: b}]\n  checks:\n    - {id: x, level: a, fact: 'file:docs/**/*.md', message: m}\n    - {id: y, level: b, fact: tier, op: in, value: [t1], applies_to: {tiers: [t1], tags: [pci]}}\n    - {id: z, level: b, fact: last_merge_age, op: le, value: 90d}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, findings := standards.Parse("sb.yaml", data)
		if s == nil {
			t.Fatal("got nil standards")
		}
		for _, fi := range findings {
			if fi.Line < 1 || fi.Col < 1 || fi.Rule == "" || fi.Message == "" {
				t.Fatalf("got finding %q, want it positioned with a rule and message", fi)
			}
		}
		r := s.Rules()
		manifest.Parse("catalog-info.yaml", []byte("kind: Component\nmetadata: {name: x}\n"), r)
	})
}
