package depfile_test

import (
	"errors"
	"os"
	"path"
	"path/filepath"
	"testing"

	"github.com/switchboard-dev/switchboard/depfile"
)

func FuzzParse(f *testing.F) {
	// The fuzzer picks a file name by index, so that every parser sees
	// every input.
	fuzzNames := []string{
		"pom.xml", "build.gradle", "build.gradle.kts", "gradle.lockfile", "go.mod",
		"package.json", "package-lock.json", "requirements.txt", "poetry.lock", "Gemfile.lock",
	}
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "SOURCES.tsv" {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, name := range fuzzNames {
			if name == path.Base(filepath.ToSlash(p)) {
				f.Add(uint8(i), data)
			}
		}
		return nil
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []struct {
		which uint8
		data  string
	}{
		{8, "[[package]]\nname = \"a\"\nversion = '1'\nfiles = [\n{a = \"b\"},\n]\n"},
		{7, "-r x.txt\nrequests[security]>=2.0,<3 ; python_version<'3'\n"},
		{6, `{"packages": {"node_modules/a": {"version": "1", "dev": true}}, "dependencies": {"a": {"version": "1", "dependencies": {}}}}`},
		{0, "<project><properties><v>${v}</v></properties><dependencies><dependency><groupId>g</groupId><artifactId>a</artifactId><version>${v}</version></dependency></dependencies></project>"},
		{1, "ext { v = '1' }\n/* x */ implementation \"g:a:$v\" // y\ncompile group: 'g', name: 'b', version: \"${v}\"\n"},
	} {
		f.Add(seed.which, []byte(seed.data))
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		name := fuzzNames[int(which)%len(fuzzNames)]
		deps, err := depfile.Parse(name, data)
		if err != nil {
			var perr *depfile.Error
			if !errors.As(err, &perr) {
				t.Fatalf("Parse(%s): got error %T %v, want *depfile.Error", name, err, err)
			}
			if deps != nil {
				t.Fatalf("Parse(%s): got %d deps with an error, want none", name, len(deps))
			}
			return
		}
		for _, d := range deps {
			if d.File != name || d.Ecosystem == "" {
				t.Fatalf("Parse(%s): got %+v, want File and Ecosystem set", name, d)
			}
		}
		for _, d := range deps {
			// The version helpers must cope with whatever a file holds.
			depfile.CompareVersions(d.Version, "2.17.1")
			_, _ = depfile.MatchConstraint(d.Version, "<2.17.1")
		}
	})
}
