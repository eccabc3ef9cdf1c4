package depfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/switchboard-dev/switchboard/depfile"
)

// BenchmarkParseDir reads every folder of testdata/ that holds a lockfile
// with ParseDir, graphs included: files/s and MB/s. (The comparison with
// osv-scalibr is testdata/scalibr-compare's BenchmarkParse.)
func BenchmarkParseDir(b *testing.B) {
	dirs := map[string][]depfile.File{}
	size, n := 0, 0
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && (d.Name() == "scalibr-compare" || d.Name() == "sbom-compare" || d.Name() == "fuzz") {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() || auxFile(d.Name()) {
			return err
		}
		rel, _ := filepath.Rel("testdata", p)
		if !depfile.IsDependencyFile(rel) {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dir := filepath.Dir(rel)
		dirs[dir] = append(dirs[dir], depfile.File{Path: filepath.ToSlash(rel), Data: data})
		size += len(data)
		n++
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, files := range dirs {
			for _, r := range depfile.ParseDir(files) {
				if r.Err != nil {
					b.Fatal(r.Err)
				}
			}
		}
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(b.N*n)/secs, "files/s")
	b.ReportMetric(float64(b.N*size)/secs/1e6, "MB/s")
}
