package manifest_test

import (
	"bytes"
	"encoding/json"
	"io"
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
)

// FuzzParse feeds the decoder and validator arbitrary bytes under each format:
// nothing may panic, and every finding must be positioned, named and severe.
// Seeds are the real-world corpus and the regression inputs under
// testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, c := range corpus(f) {
		f.Add(c.data)
	}
	f.Add([]byte(validComponent))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("spec: &s {<<: *s}\n"))
	f.Add([]byte("kind: Component\nmetadata: {name: \"a\\0b\"}\n---\nx: *s\n"))
	f.Add([]byte("\xff\xfek\x00:\x00 \x00v\x00"))
	rules := defaultRules()
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range []string{"catalog-info.yaml", "opslevel.yml", "descriptor.yaml"} {
			d := manifest.Parse(p, data, rules)
			if js, err := json.Marshal(d); err != nil || bytes.Contains(js, []byte(`\u0000`)) {
				t.Fatalf("%s: got a NUL in the decoded descriptor (or %v): nothing with a NUL may reach the catalog", p, err)
			}
			for _, fi := range d.Findings {
				if fi.Path != p || fi.Line < 1 || fi.Col < 1 || fi.Message == "" {
					t.Fatalf("%s: got finding %q, want a positioned finding with a message", p, fi)
				}
				if _, ok := manifest.LookupRule(fi.Rule); !ok {
					t.Fatalf("%s: got unknown rule %q", p, fi.Rule)
				}
				switch fi.Severity {
				case manifest.SeverityError, manifest.SeverityWarning, manifest.SeverityInfo:
				default:
					t.Fatalf("%s: got severity %q", p, fi.Severity)
				}
			}
			for _, e := range d.Entities {
				if e.Kind == "" || e.Pos.Line < 1 {
					t.Fatalf("%s: got entity %+v, want a kind and a position", p, e)
				}
			}
			var r manifest.Report
			r.Add(d)
			if err := r.WriteJSON(io.Discard); err != nil {
				t.Fatalf("%s: WriteJSON: %v", p, err)
			}
			if err := r.WriteCodeQuality(io.Discard); err != nil {
				t.Fatalf("%s: WriteCodeQuality: %v", p, err)
			}
		}
	})
}
