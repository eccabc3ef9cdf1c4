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
		"yarn.lock", "pnpm-lock.yaml", "pyproject.toml", "Pipfile", "Pipfile.lock", "uv.lock",
		"Cargo.lock", "composer.json", "composer.lock", "gradle/libs.versions.toml", "packages.lock.json",
		"bom.json", "bom.xml", "npm-sbom.spdx.json", "npm-sbom.cdx.json",
	}
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && (d.Name() == "scalibr-compare" || d.Name() == "sbom-compare" || d.Name() == "fuzz") {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() || auxFile(d.Name()) {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, name := range fuzzNames {
			if path.Base(name) == path.Base(filepath.ToSlash(p)) {
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

// fuzzLockfile fuzzes the parser of one file name: seeded with the files
// of testdata/ so named and with seeds, it wants no panic, an *Error and
// no dependencies on failure, and dependencies that make sense on success
// (a name, the file, Via only on transitive ones and bounded).
func fuzzLockfile(f *testing.F, name string, seeds ...string) {
	f.Helper()
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && (d.Name() == "scalibr-compare" || d.Name() == "sbom-compare" || d.Name() == "fuzz") {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() || d.Name() != path.Base(name) {
			return err
		}
		data, err := os.ReadFile(p)
		if err == nil {
			f.Add(data)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := depfile.ParseFile(name, data)
		if r.Err != nil {
			var perr *depfile.Error
			if !errors.As(r.Err, &perr) {
				t.Fatalf("ParseFile(%s): got error %T %v, want *depfile.Error", name, r.Err, r.Err)
			}
			if r.Deps != nil {
				t.Fatalf("ParseFile(%s): got %d deps with an error, want none", name, len(r.Deps))
			}
			return
		}
		for _, d := range r.Deps {
			if d.File != name || d.Ecosystem == "" || d.Name == "" {
				t.Fatalf("ParseFile(%s): got %+v, want File, Ecosystem and Name set", name, d)
			}
			if d.Direct && d.Via != nil {
				t.Fatalf("ParseFile(%s): %s direct with Via %v", name, d.Name, d.Via)
			}
			if len(d.Via) > depfile.MaxVia {
				t.Fatalf("ParseFile(%s): %s Via of %d, want at most %d", name, d.Name, len(d.Via), depfile.MaxVia)
			}
		}
	})
}

func FuzzPackageLock(f *testing.F) {
	fuzzLockfile(f, "package-lock.json",
		`{"packages": {"": {"dependencies": {"a": "1"}}, "node_modules/a": {"version": "1", "dependencies": {"b": "1"}}, "node_modules/a/node_modules/b": {"version": "1"}}}`,
		`{"lockfileVersion": 1, "dependencies": {"a": {"version": "1", "requires": {"b": "1"}, "dependencies": {"b": {"version": "2"}}}}}`)
}

func FuzzYarnLock(f *testing.F) {
	fuzzLockfile(f, "yarn.lock",
		"# yarn lockfile v1\n\n\"@s/a@^1\", \"@s/a@^1.1\":\n  version \"1.2.0\"\n  dependencies:\n    b \"~2\"\n\nb@~2:\n  version \"2.0.1\"\n",
		"__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n\n\"w@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"w@workspace:.\"\n  dependencies:\n    a: \"npm:^1\"\n")
}

func FuzzPnpmLock(f *testing.F) {
	fuzzLockfile(f, "pnpm-lock.yaml",
		"lockfileVersion: '6.0'\ndependencies:\n  a:\n    specifier: ^1\n    version: 1.0.0\npackages:\n  /a@1.0.0:\n    dependencies:\n      b: 2.0.0(c@1.0.0)\n  /b@2.0.0(c@1.0.0):\n    dev: false\n",
		"lockfileVersion: 5.4\nspecifiers:\n  a: ^1\ndependencies:\n  a: 1.0.0\npackages:\n  /a/1.0.0:\n    dependencies:\n      b: 2.0.0_c@1.0.0\n  /b/2.0.0_c@1.0.0:\n    dev: false\n")
}

func FuzzPoetryLock(f *testing.F) {
	fuzzLockfile(f, "poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\n\n[package.dependencies]\nb = \">=1\"\n\n[[package]]\nname = \"B\"\nversion = \"2\"\n\n[metadata]\nlock-version = \"2.0\"\n")
}

func FuzzPipfileLock(f *testing.F) {
	fuzzLockfile(f, "Pipfile.lock", `{"_meta": {}, "default": {"a": {"version": "==1.0"}}, "develop": {"b": {"version": "==2"}}}`)
}

func FuzzUVLock(f *testing.F) {
	fuzzLockfile(f, "uv.lock", "version = 1\n\n[[package]]\nname = \"p\"\nversion = \"0.1\"\nsource = { editable = \".\" }\ndependencies = [{ name = \"a\", extra = [\"x\"] }]\n\n[[package]]\nname = \"a\"\nversion = \"1\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[package.optional-dependencies]\nx = [{ name = \"p\" }]\n")
}

func FuzzCargoLock(f *testing.F) {
	fuzzLockfile(f, "Cargo.lock", "version = 3\n\n[[package]]\nname = \"me\"\nversion = \"0.1.0\"\ndependencies = [\"a 1.0.0 (registry+https://x)\"]\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://x\"\n")
}

func FuzzGemfileLock(f *testing.F) {
	fuzzLockfile(f, "Gemfile.lock", "GEM\n  remote: https://rubygems.org/\n  specs:\n    a (1.0)\n      b (>= 1)\n    b (1.1-x86_64-linux)\n\nDEPENDENCIES\n  a!\n")
}

func FuzzComposerLock(f *testing.F) {
	fuzzLockfile(f, "composer.lock", `{"packages": [{"name": "a/b", "version": "v1.0.0", "require": {"php": ">=8", "c/d": "^2"}}], "packages-dev": [{"name": "c/d", "version": "2.0.0"}]}`)
}

func FuzzComposerJSON(f *testing.F) {
	fuzzLockfile(f, "composer.json", `{"require": {"php": ">=8", "a/b": "^1"}, "require-dev": {"c/d": "*"}}`)
}

func FuzzNuGetLock(f *testing.F) {
	fuzzLockfile(f, "packages.lock.json", `{"version": 1, "dependencies": {"net8.0": {"A": {"type": "Direct", "resolved": "1.0.0", "dependencies": {"B": "2.0.0"}}, "B": {"type": "Transitive", "resolved": "2.0.0"}, "p": {"type": "Project", "dependencies": {"B": "[2.0.0, )"}}}}}`)
}

func FuzzVersionCatalog(f *testing.F) {
	fuzzLockfile(f, "gradle/libs.versions.toml", "[versions]\nlog4j = \"2.14.1\"\n[libraries]\nlog4j-core = { module = \"org.apache.logging.log4j:log4j-core\", version.ref = \"log4j\" }\nx = \"g:a:1\"\n[plugins]\nboot = { id = \"org.springframework.boot\", version = \"3.2.0\" }\n")
}

func FuzzPyproject(f *testing.F) {
	fuzzLockfile(f, "pyproject.toml", "[project]\ndependencies = [\"requests>=2\", \"flask==2.3.0 ; python_version>'3'\"]\n[tool.poetry.dependencies]\npython = \"^3.9\"\nrich = { version = \"^13\" }\n")
}

func FuzzPipfile(f *testing.F) {
	fuzzLockfile(f, "Pipfile", "[packages]\nrequests = \"*\"\nflask = { version = \"==2.3.0\" }\n[dev-packages]\npytest = \"*\"\n")
}

// FuzzParseDir fuzzes the pairing of a lockfile with its manifest: any
// manifest, well formed or not, beside any lockfile, gives results that
// are *Errors or named dependencies, never a panic.
func FuzzParseDir(f *testing.F) {
	pairs := [][2]string{
		{"package.json", "yarn.lock"}, {"package.json", "package-lock.json"}, {"pyproject.toml", "poetry.lock"},
		{"Pipfile", "Pipfile.lock"}, {"composer.json", "composer.lock"}, {"build.gradle", "gradle.lockfile"},
	}
	f.Add(uint8(0), []byte(`{"dependencies": {"a": "^1"}}`), []byte("# yarn lockfile v1\n\na@^1:\n  version \"1.0.0\"\n"))
	f.Add(uint8(1), []byte(`{"dependencies": {"a": "^1"}}`), []byte(`{"lockfileVersion": 1, "dependencies": {"a": {"version": "1.0.0"}}}`))
	f.Add(uint8(2), []byte("[project]\ndependencies = [\"a\"]\n"), []byte("[[package]]\nname = \"a\"\nversion = \"1\"\n\n[metadata]\n"))
	f.Add(uint8(3), []byte("[packages]\na = \"*\"\n"), []byte(`{"default": {"a": {"version": "==1"}}}`))
	f.Add(uint8(4), []byte(`{"require": {"a/a": "^1"}}`), []byte(`{"packages": [{"name": "a/a", "version": "1.0.0"}]}`))
	f.Add(uint8(5), []byte("dependencies { implementation 'g:a:1.+' }\n"), []byte("g:a:1.2=runtimeClasspath\nempty=\n"))
	f.Fuzz(func(t *testing.T, which uint8, manifest, lock []byte) {
		pair := pairs[int(which)%len(pairs)]
		for _, r := range depfile.ParseDir([]depfile.File{{Path: pair[0], Data: manifest}, {Path: pair[1], Data: lock}}) {
			if r.Err != nil {
				var perr *depfile.Error
				if !errors.As(r.Err, &perr) || r.Deps != nil {
					t.Fatalf("%s: got %T %v with %d deps, want an *Error and none", r.File, r.Err, r.Err, len(r.Deps))
				}
				continue
			}
			for _, d := range r.Deps {
				if d.Name == "" || d.Ecosystem == "" || (d.Direct && d.Via != nil) {
					t.Fatalf("%s: got %+v", r.File, d)
				}
			}
		}
	})
}
