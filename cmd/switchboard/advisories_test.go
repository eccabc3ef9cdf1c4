package main

import (
	"archive/zip"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/advisories/fakeosv"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
)

const advisoriesTestdata = "../../advisories/testdata"

// mustExportZip writes an archive shaped like osv.dev's all.zip: the
// testdata records, one malformed record and a file that is not a record.
func mustExportZip(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "all.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := zip.NewWriter(f)
	files, _ := filepath.Glob(filepath.Join(advisoriesTestdata, "*.json"))
	for _, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := w.Create(filepath.Base(src))
		e.Write(b)
	}
	e, _ := w.Create("GHSA-bad0-bad0-bad0.json")
	e.Write([]byte(`{"id": "GHSA-bad0-bad0-bad0", "summary": "no modified time"}`))
	e, _ = w.Create("README.md")
	e.Write([]byte("not a record"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAdvisoriesLoad(t *testing.T) {
	ctx := context.Background()
	db := pgtest.URL(t)
	archive := mustExportZip(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   []string
		noStderr bool
	}{
		{"an export zip with a malformed record", []string{"advisories", "load", archive}, 1,
			"advisories: loaded 13 (new 13, updated 0), skipped 0 already up to date, malformed 1",
			[]string{archive + "!GHSA-bad0-bad0-bad0.json: invalid OSV record GHSA-bad0-bad0-bad0: modified is missing"}, false},
		{"the same records again, as a directory", []string{"advisories", "load", advisoriesTestdata}, 0,
			"advisories: loaded 0 (new 0, updated 0), skipped 13 already up to date, malformed 0", nil, true},
		{"a file and a missing path", []string{"advisories", "load", filepath.Join(advisoriesTestdata, "GHSA-jfh8-c2jp-5v3q.json"), "nowhere.zip"}, 1,
			"advisories: loaded 0 (new 0, updated 0), skipped 1 already up to date, malformed 1",
			[]string{"nowhere.zip: stat nowhere.zip: no such file or directory"}, false},
		{"no files", []string{"advisories", "load"}, 2, "", []string{"usage: switchboard advisories load"}, false},
		{"no verb", []string{"advisories"}, 2, "", []string{"Usage:", "advisories load"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, out, errb := testEnv(t, map[string]string{"DATABASE_URL": db})
			code := run(ctx, tt.args, env)
			if code != tt.code {
				t.Errorf("got exit %d, want %d (stderr %s)", code, tt.code, errb)
			}
			if got := strings.TrimSpace(out.String()); got != tt.stdout {
				t.Errorf("got stdout %q, want %q", got, tt.stdout)
			}
			for _, want := range tt.stderr {
				if !strings.Contains(errb.String(), want) {
					t.Errorf("got stderr %q, want it to contain %q", errb, want)
				}
			}
			if tt.noStderr && errb.Len() > 0 {
				t.Errorf("got stderr %q, want none", errb)
			}
		})
	}
}

func TestAdvisoriesShow(t *testing.T) {
	ctx := context.Background()
	db := pgtest.URL(t)
	fake, err := fakeosv.FromDir(advisoriesTestdata)
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(fake)
	defer api.Close()

	env, _, errb := testEnv(t, map[string]string{"DATABASE_URL": db})
	if code := run(ctx, []string{"advisories", "load", filepath.Join(advisoriesTestdata, "GHSA-jfh8-c2jp-5v3q.json")}, env); code != 0 {
		t.Fatalf("load: exit %d, %s", code, errb)
	}
	tests := []struct {
		name   string
		id     string
		apiURL string
		code   int
		stdout []string
		stderr string
	}{
		{"loaded, by alias in lower case", "cve-2021-44228", "off", 0, []string{
			"GHSA-jfh8-c2jp-5v3q (CVE-2021-44228): Remote code injection in Log4j",
			"Maven org.apache.logging.log4j:log4j-core: >=2.13.0 <2.15.0",
			"Maven org.apache.logging.log4j:log4j-core: <2.3.1",
		}, ""},
		{"not loaded, no API", "CVE-2019-17571", "off", 1, nil, "advisory not found"},
		{"not loaded, from the API", "CVE-2019-17571", api.URL, 0, []string{
			"GHSA-2qrg-x229-3v8q (CVE-2019-17571)",
			"Maven log4j:log4j: >=1.2 <=1.2.17",
			"Maven org.zenframework.z8.dependencies.commons:log4j-1.2.17: versions 2.0",
		}, ""},
		{"unknown to both", "CVE-1999-0001", api.URL, 1, nil, "advisory not found"},
		{"bad API URL", "CVE-2019-17571", "osv.example", 2, nil, "OSV_API_URL: want an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, out, errb := testEnv(t, map[string]string{"DATABASE_URL": db, "OSV_API_URL": tt.apiURL})
			if code := run(ctx, []string{"advisories", "show", tt.id}, env); code != tt.code {
				t.Errorf("got exit %d, want %d (stderr %s)", code, tt.code, errb)
			}
			for _, want := range tt.stdout {
				if !strings.Contains(out.String(), want) {
					t.Errorf("got stdout %q, want it to contain %q", out, want)
				}
			}
			if !strings.Contains(errb.String(), tt.stderr) {
				t.Errorf("got stderr %q, want it to contain %q", errb, tt.stderr)
			}
		})
	}
}
