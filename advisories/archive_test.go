package advisories_test

import (
	"archive/zip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/advisories"
)

// mustZip writes an archive shaped like osv.dev's exports: one JSON file
// per record at the root, plus extra entries.
func mustZip(t *testing.T, path string, extra map[string]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := zip.NewWriter(f)
	files, _ := filepath.Glob(filepath.Join("testdata", "*.json"))
	for _, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		e, err := w.Create(filepath.Base(src))
		if err != nil {
			t.Fatal(err)
		}
		e.Write(b)
	}
	for name, body := range extra {
		e, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		e.Write([]byte(body))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRead(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "Maven", "all.zip")
	os.MkdirAll(filepath.Dir(archive), 0o755)
	mustZip(t, archive, map[string]string{"BROKEN-1.json": `{"id": "BROKEN-1", "modified": `, "README": "not a record"})
	os.WriteFile(filepath.Join(dir, "GHSA-jfh8-c2jp-5v3q.json"), mustReadFile(t, "testdata/GHSA-jfh8-c2jp-5v3q.json"), 0o644)
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("ignored"), 0o644)
	os.WriteFile(filepath.Join(dir, "truncated.zip"), []byte("PK\x03\x04 truncated"), 0o644)

	tests := []struct {
		name     string
		paths    []string
		records  int
		failures []string // sources of the items with errors
	}{
		{"one file", []string{"testdata/GHSA-jfh8-c2jp-5v3q.json"}, 1, nil},
		{"an export archive", []string{archive}, 13, []string{archive + "!BROKEN-1.json"}},
		{"a directory", []string{dir}, 14, []string{archive + "!BROKEN-1.json", filepath.Join(dir, "truncated.zip")}},
		{"a missing path and a good one", []string{filepath.Join(dir, "missing.json"), "testdata"}, 13, []string{filepath.Join(dir, "missing.json")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var records int
			var failures []string
			err := advisories.Read(tt.paths, func(it advisories.Item) error {
				if it.Err != nil {
					failures = append(failures, it.Source)
					return nil
				}
				records++
				if !strings.HasSuffix(it.Source, it.Record.ID+".json") {
					t.Errorf("got source %q for %s", it.Source, it.Record.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if records != tt.records || !slices.Equal(failures, tt.failures) {
				t.Errorf("got %d records, failures %v; want %d, %v", records, failures, tt.records, tt.failures)
			}
		})
	}
}

func TestReadMalformedReason(t *testing.T) {
	dir := t.TempDir()
	archive := filepath.Join(dir, "all.zip")
	mustZip(t, archive, map[string]string{"GHSA-bad.json": `{"id":"GHSA-bad","modified":"2022-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"fixed":"1.0.0"}]}]}]}`})
	var got error
	advisories.Read([]string{archive}, func(it advisories.Item) error {
		if it.Err != nil {
			got = it.Err
		}
		return nil
	})
	if !errors.Is(got, advisories.ErrInvalidRecord) || !strings.Contains(got.Error(), "GHSA-bad: affected[0].ranges[0]: no introduced event") {
		t.Errorf("got %v, want the record's id and what is wrong", got)
	}
}

func TestReadStopsOnCallbackError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	err := advisories.Read([]string{"testdata"}, func(advisories.Item) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("got %v after %d items, want stop after 1", err, n)
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
