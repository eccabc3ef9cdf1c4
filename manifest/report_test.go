package manifest_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/manifest"
)

func sampleReport() manifest.Report {
	var r manifest.Report
	r.Add(manifest.Parse("svc/catalog-info.yaml", []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: payments-api\nspec:\n  type: service\n  lifecycle: production\n"), defaultRules()))
	r.Add(manifest.Parse("ops/opslevel.yml", []byte("version: 1\nservice:\n  name: Payments\n  ownr: payments\n"), defaultRules()))
	r.Add(manifest.Parse("ok/catalog-info.yaml", []byte(validComponent), defaultRules()))
	return r
}

func TestReportText(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{
		"svc/catalog-info.yaml:5:1: error: spec.owner is missing",
		"ops/opslevel.yml:4:3: warning: unknown key service.ownr: did you mean owner? (fix: rename `ownr` to `owner`)",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("got\n%s want a line containing %q", got, want)
		}
	}
	if strings.Contains(got, "ok/catalog-info.yaml") {
		t.Errorf("got\n%s want nothing about the valid file", got)
	}
}

func TestReportJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := sampleReport().WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Files []struct {
			Path     string             `json:"path"`
			Format   string             `json:"format"`
			Entities []manifest.Entity  `json:"entities"`
			Findings []manifest.Finding `json:"findings"`
		} `json:"files"`
		Summary manifest.Summary `json:"summary"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, buf.String())
	}
	if len(doc.Files) != 3 || doc.Files[1].Format != "opslevel" || doc.Files[2].Entities[0].Name != "payments-api" {
		t.Errorf("got %+v, want three files, the second OpsLevel, the third payments-api", doc.Files)
	}
	if doc.Summary.Files != 3 || doc.Summary.Errors != 1 || doc.Summary.Warnings != 1 {
		t.Errorf("got summary %+v, want 3 files, 1 error, 1 warning", doc.Summary)
	}
	if doc.Files[2].Findings == nil {
		t.Errorf("got null findings for a clean file, want []")
	}
}

func TestReportCodeQuality(t *testing.T) {
	var buf bytes.Buffer
	r := sampleReport()
	r.Add(r.Descriptors[0]) // the same findings again are listed once
	if err := r.WriteCodeQuality(&buf); err != nil {
		t.Fatal(err)
	}
	var issues []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &issues); err != nil {
		t.Fatalf("got invalid JSON: %v\n%s", err, buf.String())
	}
	if len(issues) != 2 {
		t.Fatalf("got %d issues, want 2:\n%s", len(issues), buf.String())
	}
	first := issues[0]
	for _, key := range []string{"description", "check_name", "fingerprint", "severity", "location"} {
		if _, ok := first[key]; !ok {
			t.Errorf("got issue %v, want key %q", first, key)
		}
	}
	loc := first["location"].(map[string]any)
	lines := loc["lines"].(map[string]any)
	if loc["path"] != "svc/catalog-info.yaml" || lines["begin"] != float64(5) || first["severity"] != "major" || first["check_name"] != "required" {
		t.Errorf("got %v, want svc/catalog-info.yaml line 5, major, required", first)
	}
	if issues[1]["severity"] != "minor" {
		t.Errorf("got severity %v for a warning, want minor", issues[1]["severity"])
	}
	if a, b := manifest.Fingerprint("p", "r", 1, "m"), manifest.Fingerprint("p", "r", 1, "m"); a != b || a == manifest.Fingerprint("p", "r", 2, "m") {
		t.Errorf("got fingerprints %s, %s, want stable and line-sensitive", a, b)
	}
	var empty bytes.Buffer
	if err := (manifest.Report{}).WriteCodeQuality(&empty); err != nil || strings.TrimSpace(empty.String()) != "[]" {
		t.Errorf("got %q, %v for no findings, want []", empty.String(), err)
	}
}
