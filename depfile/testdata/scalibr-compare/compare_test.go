package scalibrcompare

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// corpusFile is a lockfile of depfile/testdata.
type corpusFile struct {
	rel  string
	data []byte
}

const corpusRoot = ".."

func mustCorpus(tb testing.TB) []corpusFile {
	tb.Helper()
	var out []corpusFile
	err := filepath.WalkDir(corpusRoot, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "scalibr-compare" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(corpusRoot, p)
		if _, err := Extractor(rel); err != nil {
			return nil
		}
		if d.Name() == "libs.versions.toml" && path.Base(path.Dir(filepath.ToSlash(rel))) != "gradle" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out = append(out, corpusFile{rel: filepath.ToSlash(rel), data: data})
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return out
}

var pep503 = regexp.MustCompile(`[-_.]+`)

// key names a package the same way for both libraries.
func key(file string, p Package) string {
	name := strings.ToLower(p.Name)
	switch path.Base(file) {
	case "poetry.lock", "Pipfile.lock", "uv.lock":
		name = pep503.ReplaceAllString(name, "-")
	}
	return name + "@" + strings.TrimPrefix(p.Version, "v")
}

// TestCompare prints, per lockfile, what each library found: the
// packages both found, those only one did, how many carry a line, and
// what each says of direct and transitive dependencies. Run with -v.
func TestCompare(t *testing.T) {
	ctx := context.Background()
	fmt.Printf("%-75s %5s %5s %5s %6s %6s %6s %6s %s\n", "file", "dep", "scal", "both", "dLine", "sLine", "dDirKn", "sParnt", "only-depfile / only-scalibr")
	for _, f := range mustCorpus(t) {
		ex, _ := Extractor(f.rel)
		s, serr := Scalibr(ctx, ex, corpusRoot, f.rel, f.data)
		d, derr := Depfile(f.rel, f.data)
		if serr != nil || derr != nil {
			fmt.Printf("%-75s scalibr err=%v depfile err=%v\n", f.rel, serr, derr)
			continue
		}
		ds, ss := map[string]bool{}, map[string]bool{}
		dLine, sLine, dKnown, sParents := 0, 0, 0, 0
		for _, p := range d {
			ds[key(f.rel, p)] = true
			if p.Line > 0 {
				dLine++
			}
			if p.Known {
				dKnown++
			}
		}
		for _, p := range s {
			ss[key(f.rel, p)] = true
			if p.Line > 0 {
				sLine++
			}
			if p.Parents > 0 {
				sParents++
			}
		}
		var onlyD, onlyS []string
		both := 0
		for k := range ds {
			if ss[k] {
				both++
			} else {
				onlyD = append(onlyD, k)
			}
		}
		for k := range ss {
			if !ds[k] {
				onlyS = append(onlyS, k)
			}
		}
		sort.Strings(onlyD)
		sort.Strings(onlyS)
		fmt.Printf("%-75s %5d %5d %5d %6d %6d %6d %6d %s / %s\n", f.rel, len(ds), len(ss), both, dLine, sLine, dKnown, sParents, short(onlyD), short(onlyS))
	}
}

func short(s []string) string {
	if len(s) > 4 {
		return fmt.Sprintf("%v +%d", s[:4], len(s)-4)
	}
	return fmt.Sprint(s)
}

// BenchmarkParse reads the whole corpus with each library: files/s and
// MB/s.
func BenchmarkParse(b *testing.B) {
	corpus := mustCorpus(b)
	size := 0
	for _, f := range corpus {
		size += len(f.data)
	}
	ctx := context.Background()
	run := func(b *testing.B, one func(f corpusFile) error) {
		b.ReportAllocs()
		for b.Loop() {
			for _, f := range corpus {
				if err := one(f); err != nil {
					b.Fatal(err)
				}
			}
		}
		secs := b.Elapsed().Seconds()
		b.ReportMetric(float64(b.N*len(corpus))/secs, "files/s")
		b.ReportMetric(float64(b.N*size)/secs/1e6, "MB/s")
	}
	b.Run("depfile", func(b *testing.B) {
		run(b, func(f corpusFile) error { _, err := Depfile(f.rel, f.data); return err })
	})
	b.Run("scalibr", func(b *testing.B) {
		run(b, func(f corpusFile) error {
			ex, err := Extractor(f.rel)
			if err != nil {
				return err
			}
			_, err = Scalibr(ctx, ex, corpusRoot, f.rel, f.data)
			return err
		})
	})
}

// BenchmarkParseByFormat is BenchmarkParse for each file name apart.
func BenchmarkParseByFormat(b *testing.B) {
	corpus := mustCorpus(b)
	byName := map[string][]corpusFile{}
	for _, f := range corpus {
		byName[path.Base(f.rel)] = append(byName[path.Base(f.rel)], f)
	}
	ctx := context.Background()
	for _, name := range sortedKeys(byName) {
		files := byName[name]
		size := 0
		for _, f := range files {
			size += len(f.data)
		}
		for _, lib := range []string{"depfile", "scalibr"} {
			b.Run(name+"/"+lib, func(b *testing.B) {
				for b.Loop() {
					for _, f := range files {
						var err error
						if lib == "depfile" {
							_, err = Depfile(f.rel, f.data)
						} else {
							ex, _ := Extractor(f.rel)
							_, err = Scalibr(ctx, ex, corpusRoot, f.rel, f.data)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds()/1e6, "MB/s")
			})
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
