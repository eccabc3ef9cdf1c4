package depfile_test

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/depfile"
)

// TestLockfileGraphs reads the real lockfiles of testdata/ with ParseDir
// (each with its manifest when it has one) and checks, for each format,
// what it records of the graph and a few dependencies in full: version,
// line (a direct dependency's in the manifest when there is one, the line
// to change; a transitive one's in the lockfile), direct or not, and the
// chain that brings a transitive one in.
func TestLockfileGraphs(t *testing.T) {
	type want struct {
		name, version string
		line          int
		direct        bool
		via           []string
		scope         string
	}
	tests := []struct {
		dir, file    string
		wantGraph    depfile.Graph
		wantManifest string
		wantCount    int
		want         []want
	}{
		{"BurntSushi__ripgrep", "Cargo.lock", depfile.GraphPaths, "", 52, []want{
			{"aho-corasick", "1.1.5", 5, true, nil, ""},
			{"cfg-if", "1.0.4", 52, false, []string{"encoding_rs@0.8.35"}, ""},
		}},
		{"python-poetry__poetry", "poetry.lock", depfile.GraphPaths, "pyproject.toml", 78, []want{
			{"build", "1.5.0", 8, true, nil, ""},
			{"anyio", "4.13.0", 3, false, []string{"pbs-installer@2026.4.7", "httpx@0.28.1"}, ""},
			// Scopes come from pyproject's groups, down to what only they
			// bring in.
			{"pytest", "9.0.3", 80, true, nil, "test"},
			{"iniconfig", "2.3.0", 873, false, []string{"pytest@9.0.3"}, "test"},
		}},
		{"fastapi__full-stack-fastapi-template", "uv.lock", depfile.GraphPaths, "", 80, []want{
			{"alembic", "1.18.5", 22, true, nil, ""},
			{"prek", "0.4.11", 823, true, nil, "dev"},
			{"argon2-cffi-bindings", "25.1.0", 137, false, []string{"pwdlib@0.3.0", "argon2-cffi@25.1.0"}, ""},
		}},
		{"composer__composer", "composer.lock", depfile.GraphPaths, "composer.json", 36, []want{
			{"composer/ca-bundle", "1.5.12", 29, true, nil, ""},
			{"marc-mabe/php-enum", "4.7.2", 589, false, []string{"justinrainbow/json-schema@6.10.0"}, ""},
		}},
		{"pypa__pipenv/examples", "Pipfile.lock", depfile.GraphDirect, "Pipfile", 10, []want{
			{"requests", "2.33.0", 7, true, nil, ""},
			{"idna", "3.15", 10, true, nil, ""},
			{"pytest", "9.0.3", 14, true, nil, "dev"},
			{"pluggy", "1.6.0", 209, false, nil, "dev"},
		}},
		{"Caraxi__SimpleTweaksPlugin", "packages.lock.json", depfile.GraphPaths, "", 3, []want{
			{"DalamudPackager", "14.0.1", 5, true, nil, ""},
			{"SixLabors.ImageSharp", "3.1.12", 17, false, []string{"kamitoolkit@project"}, ""},
		}},
		{"Aida-Enna__TwitchXIV", "packages.lock.json", depfile.GraphPaths, "", 24, []want{
			{"TwitchLib", "3.5.3", 17, true, nil, ""},
			{"Newtonsoft.Json", "13.0.1", 72, false, []string{"TwitchLib@3.5.3", "TwitchLib.Api@3.8.0"}, ""},
		}},
		{"PagerDuty__whazzup", "Gemfile.lock", depfile.GraphPaths, "", 56, []want{
			{"activesupport", "6.0.6.1", 4, true, nil, ""},
			{"addressable", "2.4.0", 10, false, []string{"travis@1.8.10", "gh@0.15.1"}, ""},
		}},
		{"android__nowinandroid/gradle", "libs.versions.toml", depfile.GraphDeclared, "", 137, []want{
			{"androidx.activity:activity-compose", "1.9.3", 74, true, nil, ""},
		}},
		{"PagerDuty__go-pagerduty", "go.mod", depfile.GraphDirect, "", 0, []want{
			{"github.com/Masterminds/goutils", "v1.1.1", 16, false, nil, "indirect"},
		}},
		{"ansible__awx/requirements", "requirements.txt", depfile.GraphPaths, "", 160, []want{
			{"aiohttp", "3.9.5", 3, true, nil, ""},
			{"adal", "1.2.7", 1, false, []string{"msrestazure@0.6.4"}, ""},
			{"autocommand", "2.2.2", 38, false, []string{"irc@20.3.1", "jaraco-text@3.12.0"}, ""},
		}},
		{"DataDog__vulnerable-java-application", "gradle.lockfile", depfile.GraphDirect, "build.gradle", 68, []want{
			{"org.springframework.boot:spring-boot-starter-web", "3.2.5", 19, true, nil, ""},
			{"org.apache.logging.log4j:log4j-api", "2.21.1", 25, false, nil, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.dir+"/"+tt.file, func(t *testing.T) {
			file := tt.file
			if tt.file == "libs.versions.toml" {
				file = "gradle/libs.versions.toml"
			}
			r := mustParseDirAs(t, filepath.Join("testdata", tt.dir), tt.file, file)
			if r.Graph != tt.wantGraph {
				t.Errorf("graph: got %v, want %v", r.Graph, tt.wantGraph)
			}
			if r.Manifest != tt.wantManifest {
				t.Errorf("manifest: got %q, want %q", r.Manifest, tt.wantManifest)
			}
			if tt.wantCount > 0 && len(r.Deps) != tt.wantCount {
				t.Errorf("count: got %d, want %d", len(r.Deps), tt.wantCount)
			}
			for _, w := range tt.want {
				i := slices.IndexFunc(r.Deps, func(d depfile.Dependency) bool { return d.Name == w.name })
				if i < 0 {
					t.Errorf("%s: got nothing", w.name)
					continue
				}
				d := r.Deps[i]
				if d.Version != w.version || d.Line != w.line || d.Direct != w.direct || !slices.Equal(d.Via, w.via) || d.Scope != w.scope {
					t.Errorf("%s: got %s line %d direct %v via %v scope %q, want %s line %d direct %v via %v scope %q",
						w.name, d.Version, d.Line, d.Direct, d.Via, d.Scope, w.version, w.line, w.direct, w.via, w.scope)
				}
				if len(d.Via) > 0 && !strings.HasSuffix(d.Via[0], "@project") {
					if top, ok := r.Entry(d.Via[0]); !ok || !top.Direct {
						t.Errorf("%s: Entry(%s): got %+v, %v, want the direct dependency", w.name, d.Via[0], top, ok)
					}
				}
			}
		})
	}
}

// mustParseDirAs is mustParseDir with the lockfile given the path as: a
// version catalog is only one under gradle/.
func mustParseDirAs(t *testing.T, dir, file, as string) depfile.Result {
	t.Helper()
	if file == as {
		return mustParseDir(t, dir, file)
	}
	data := mustRead(t, filepath.Join(dir, file))
	r := depfile.ParseFile(as, data)
	if r.Err != nil {
		t.Fatalf("ParseFile(%s): got error %v, want none", as, r.Err)
	}
	return r
}

// TestLockfileSyntaxes covers each format's variants on small files:
// what is direct and the chain to each transitive package, and what a
// lockfile without its manifest says it had to infer.
func TestLockfileSyntaxes(t *testing.T) {
	type dep struct {
		name, version string
		direct        bool
		via           string // chain joined with " > "
	}
	tests := []struct {
		name      string
		files     map[string]string
		file      string
		wantNote  string // a substring; "" wants none
		wantGraph depfile.Graph
		want      []dep
	}{
		{
			name: "yarn classic with package.json",
			files: map[string]string{
				"package.json": `{"dependencies": {"@s/a": "^1.0.0"}, "devDependencies": {"c": "3"}}`,
				"yarn.lock":    "# yarn lockfile v1\n\n\"@s/a@^1.0.0\", \"@s/a@^1.1.0\":\n  version \"1.2.0\"\n  dependencies:\n    b \"~2.0.0\"\n\nb@~2.0.0:\n  version \"2.0.1\"\n  optionalDependencies:\n    c \"^3.0.0\"\n\nc@3, c@^3.0.0:\n  version \"3.0.0\"\n",
			},
			file: "yarn.lock", wantGraph: depfile.GraphPaths,
			want: []dep{{"@s/a", "1.2.0", true, ""}, {"b", "2.0.1", false, "@s/a@1.2.0"}, {"c", "3.0.0", true, ""}},
		},
		{
			name: "yarn classic workspaces",
			files: map[string]string{
				"package.json": `{"private": true, "workspaces": ["pkgs/*"], "devDependencies": {"a": "^1"}}`,
				"yarn.lock":    "# yarn lockfile v1\n\na@^1:\n  version \"1.0.0\"\n\nb@^2:\n  version \"2.0.0\"\n  dependencies:\n    c \"^3\"\n\nc@^3:\n  version \"3.0.0\"\n",
			},
			file: "yarn.lock", wantGraph: depfile.GraphPaths, wantNote: "workspace",
			want: []dep{{"a", "1.0.0", true, ""}, {"b", "2.0.0", true, ""}, {"c", "3.0.0", false, "b@2.0.0"}},
		},
		{
			name: "stale lockfile keeps what only the manifest declares",
			files: map[string]string{
				"package.json": `{"dependencies": {"a": "^1", "z": "^2", "w": "workspace:*"}}`,
				"yarn.lock":    "# yarn lockfile v1\n\na@^1:\n  version \"1.0.0\"\n",
			},
			file: "yarn.lock", wantGraph: depfile.GraphPaths, wantNote: "1 dependencies package.json declares are not in the lockfile",
			want: []dep{{"a", "1.0.0", true, ""}, {"z", "^2", true, ""}},
		},
		{
			name:  "yarn classic alone infers",
			files: map[string]string{"yarn.lock": "# yarn lockfile v1\n\na@^1:\n  version \"1.0.0\"\n  dependencies:\n    b \"^2\"\n\nb@^2:\n  version \"2.0.0\"\n"},
			file:  "yarn.lock", wantGraph: depfile.GraphPaths, wantNote: "taken to be",
			want: []dep{{"a", "1.0.0", true, ""}, {"b", "2.0.0", false, "a@1.0.0"}},
		},
		{
			name: "yarn berry workspace",
			files: map[string]string{"yarn.lock": `__metadata:
  version: 8

"a@npm:^1.0.0":
  version: 1.0.1
  resolution: "a@npm:1.0.1"
  dependencies:
    b: "npm:^2.0.0"

"b@npm:^2.0.0":
  version: 2.0.0
  resolution: "b@npm:2.0.0"
  peerDependencies:
    react: "*"

"web@workspace:.":
  version: 0.0.0-use.local
  resolution: "web@workspace:."
  dependencies:
    a: "npm:^1.0.0"
  languageName: unknown
  linkType: soft
`},
			file: "yarn.lock", wantGraph: depfile.GraphPaths,
			want: []dep{{"a", "1.0.1", true, ""}, {"b", "2.0.0", false, "a@1.0.1"}},
		},
		{
			name: "pnpm 6",
			files: map[string]string{"pnpm-lock.yaml": `lockfileVersion: '6.0'
dependencies:
  a:
    specifier: ^1.0.0
    version: 1.0.0
devDependencies:
  local:
    specifier: link:../local
    version: link:../local
packages:
  /a@1.0.0:
    resolution: {integrity: sha512-x}
    dependencies:
      b: 2.0.0(c@1.0.0)
    dev: false
  /b@2.0.0(c@1.0.0):
    resolution: {integrity: sha512-y}
    dev: false
`},
			file: "pnpm-lock.yaml", wantGraph: depfile.GraphPaths,
			want: []dep{{"a", "1.0.0", true, ""}, {"b", "2.0.0", false, "a@1.0.0"}},
		},
		{
			name: "pnpm 5",
			files: map[string]string{"pnpm-lock.yaml": `lockfileVersion: 5.4
specifiers:
  '@s/a': ^1.0.0
dependencies:
  '@s/a': 1.0.0
packages:
  /@s/a/1.0.0:
    dependencies:
      b: 2.0.0_c@1.0.0
    dev: false
  /b/2.0.0_c@1.0.0:
    dev: false
`},
			file: "pnpm-lock.yaml", wantGraph: depfile.GraphPaths,
			want: []dep{{"@s/a", "1.0.0", true, ""}, {"b", "2.0.0", false, "@s/a@1.0.0"}},
		},
		{
			name:  "package-lock v1 alone infers",
			files: map[string]string{"package-lock.json": `{"lockfileVersion": 1, "requires": true, "dependencies": {"a": {"version": "1.0.0", "requires": {"b": "^2"}, "dependencies": {"b": {"version": "2.1.0"}}}, "b": {"version": "3.0.0"}}}`},
			file:  "package-lock.json", wantGraph: depfile.GraphPaths, wantNote: "taken to be",
			want: []dep{{"a", "1.0.0", true, ""}, {"b", "2.1.0", false, "a@1.0.0"}, {"b", "3.0.0", true, ""}},
		},
		{
			name: "package-lock v3 workspace",
			files: map[string]string{"package-lock.json": `{"lockfileVersion": 3, "packages": {
  "": {"workspaces": ["pkgs/*"], "devDependencies": {"t": "1"}},
  "pkgs/w": {"name": "w", "dependencies": {"a": "1"}},
  "node_modules/w": {"resolved": "pkgs/w", "link": true},
  "node_modules/a": {"version": "1.0.0", "dependencies": {"w": "*"}},
  "node_modules/t": {"version": "1.0.0", "dev": true}}}`},
			file: "package-lock.json", wantGraph: depfile.GraphPaths,
			want: []dep{{"a", "1.0.0", true, ""}, {"t", "1.0.0", true, ""}},
		},
		{
			name: "poetry with PEP 621 pyproject",
			files: map[string]string{
				"pyproject.toml": "[project]\nname = \"x\"\ndependencies = [\"Flask_Cors>=4\"]\n",
				"poetry.lock":    "[[package]]\nname = \"flask-cors\"\nversion = \"4.0.0\"\n\n[package.dependencies]\nFlask = \">=0.9\"\n\n[[package]]\nname = \"flask\"\nversion = \"3.0.0\"\n\n[metadata]\nlock-version = \"2.0\"\n",
			},
			file: "poetry.lock", wantGraph: depfile.GraphPaths,
			want: []dep{{"flask-cors", "4.0.0", true, ""}, {"flask", "3.0.0", false, "flask-cors@4.0.0"}},
		},
		{
			name: "poetry with a pyproject that declares none of its packages",
			files: map[string]string{
				"pyproject.toml": "[tool.poetry]\nname = \"x\"\n",
				"poetry.lock":    "[[package]]\nname = \"a\"\nversion = \"1\"\n\n[package.dependencies]\nb = \"*\"\n\n[[package]]\nname = \"b\"\nversion = \"2\"\n\n[metadata]\nlock-version = \"2.0\"\n",
			},
			file: "poetry.lock", wantGraph: depfile.GraphPaths, wantNote: "pyproject.toml declares none of the locked packages",
			want: []dep{{"a", "1", true, ""}, {"b", "2", false, "a@1"}},
		},
		{
			name: "gradle.lockfile beside a script naming modules through a catalog",
			files: map[string]string{
				"build.gradle.kts": "dependencies {\n    implementation(libs.log4j.core)\n}\n",
				"gradle.lockfile":  "org.apache.logging.log4j:log4j-core:2.14.1=runtimeClasspath\nempty=\n",
			},
			file: "gradle.lockfile", wantGraph: depfile.GraphFlat, wantNote: "names none of the locked modules",
			want: []dep{{"org.apache.logging.log4j:log4j-core", "2.14.1", false, ""}},
		},
		{
			name:  "Pipfile.lock alone",
			files: map[string]string{"Pipfile.lock": `{"_meta": {}, "default": {"a": {"version": "==1.0"}}, "develop": {}}`},
			file:  "Pipfile.lock", wantGraph: depfile.GraphFlat, wantNote: "no Pipfile",
			want: []dep{{"a", "1.0", false, ""}},
		},
		{
			name:  "Cargo workspace",
			files: map[string]string{"Cargo.lock": "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\ndependencies = [\n \"b 0.1.0\",\n]\n\n[[package]]\nname = \"b\"\nversion = \"0.1.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"b\"\nversion = \"0.2.0\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"me\"\nversion = \"0.1.0\"\ndependencies = [\n \"a\",\n \"b 0.2.0\",\n \"util\",\n]\n\n[[package]]\nname = \"util\"\nversion = \"0.1.0\"\n"},
			file:  "Cargo.lock", wantGraph: depfile.GraphPaths,
			want: []dep{{"a", "1.0.0", true, ""}, {"b", "0.1.0", false, "a@1.0.0"}, {"b", "0.2.0", true, ""}},
		},
		{
			name:  "pip-compile, inline via",
			files: map[string]string{"requirements.txt": "#\n# This file is autogenerated by pip-compile\n#\ncffi==1.12.2              # via cryptography\ncryptography==2.6.1\npycparser==2.19           # via cffi\n"},
			file:  "requirements.txt", wantGraph: depfile.GraphPaths,
			want: []dep{{"cffi", "1.12.2", false, "cryptography@2.6.1"}, {"cryptography", "2.6.1", true, ""}, {"pycparser", "2.19", false, "cryptography@2.6.1 > cffi@1.12.2"}},
		},
		{
			name:  "pip-compile with hashes",
			files: map[string]string{"requirements.txt": "flask==3.0.3 \\\n    --hash=sha256:aa\n    # via -r requirements.in\nwerkzeug==3.0.4 \\\n    --hash=sha256:bb\n    # via\n    #   flask\n    #   other\n"},
			file:  "requirements.txt", wantGraph: depfile.GraphPaths,
			want: []dep{{"flask", "3.0.3", true, ""}, {"werkzeug", "3.0.4", false, "flask@3.0.3"}},
		},
		{
			name:  "go.mod before 1.17",
			files: map[string]string{"go.mod": "module m\n\ngo 1.16\n\nrequire (\n\tgithub.com/a/b v1.0.0\n\tgithub.com/c/d v0.1.0 // indirect\n)\n"},
			file:  "go.mod", wantGraph: depfile.GraphDirect, wantNote: "before go 1.17",
			want: []dep{{"github.com/a/b", "v1.0.0", true, ""}, {"github.com/c/d", "v0.1.0", false, ""}},
		},
		{
			name: "composer.lock without composer.json infers",
			files: map[string]string{"composer.lock": `{"packages": [
 {"name": "a/a", "version": "v1.0.0", "require": {"php": ">=8", "b/b": "^2"}},
 {"name": "b/b", "version": "2.0.0"}], "packages-dev": []}`},
			file: "composer.lock", wantGraph: depfile.GraphPaths, wantNote: "no composer.json was given",
			want: []dep{{"a/a", "1.0.0", true, ""}, {"b/b", "2.0.0", false, "a/a@1.0.0"}},
		},
		{
			name:  "version catalog",
			files: map[string]string{"gradle/libs.versions.toml": "[versions]\nlog4j = { strictly = \"2.17.1\" }\n\n[libraries]\nlog4j-core = { module = \"org.apache.logging.log4j:log4j-core\", version.ref = \"log4j\" }\nslf4j = \"org.slf4j:slf4j-api:2.0.9\"\n\n[plugins]\nboot = { id = \"org.springframework.boot\", version = \"3.2.0\" }\n"},
			file:  "gradle/libs.versions.toml", wantGraph: depfile.GraphDeclared,
			want: []dep{{"org.apache.logging.log4j:log4j-core", "2.17.1", true, ""}, {"org.slf4j:slf4j-api", "2.0.9", true, ""}, {"org.springframework.boot:org.springframework.boot.gradle.plugin", "3.2.0", true, ""}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var files []depfile.File
			for p, data := range tt.files {
				files = append(files, depfile.File{Path: p, Data: []byte(data)})
			}
			var r depfile.Result
			for _, x := range depfile.ParseDir(files) {
				if x.File == tt.file {
					r = x
				}
			}
			if r.Err != nil {
				t.Fatalf("got error %v, want none", r.Err)
			}
			if r.Graph != tt.wantGraph {
				t.Errorf("graph: got %v, want %v", r.Graph, tt.wantGraph)
			}
			if (tt.wantNote == "") != (r.Note == "") || !strings.Contains(r.Note, tt.wantNote) {
				t.Errorf("note: got %q, want %q", r.Note, tt.wantNote)
			}
			var got []dep
			for _, d := range r.Deps {
				got = append(got, dep{d.Name, d.Version, d.Direct, strings.Join(d.Via, " > ")})
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestLockfileErrors: each new format's malformed or inconsistent files
// are positioned errors, never an empty graph.
func TestLockfileErrors(t *testing.T) {
	tests := []struct {
		name, path, data string
		wantLine         int
		wantMsg          string
	}{
		{"yarn entry without version", "yarn.lock", "# yarn lockfile v1\n\na@^1:\n  resolved \"x\"\n", 3, "without a version"},
		{"yarn requirement without entry", "yarn.lock", "# yarn lockfile v1\n\na@^1:\n  version \"1.0.0\"\n  dependencies:\n    b \"^2\"\n", 6, "b@^2, which has no entry"},
		{"yarn not a header", "yarn.lock", "# yarn lockfile v1\n\na@^1\n", 3, "entry header"},
		{"yarn empty", "yarn.lock", "", 1, "not a yarn.lock"},
		{"berry bad yaml", "yarn.lock", "__metadata:\n  version: 8\n\"a@npm:1\":\n  version: [\n", 4, "invalid YAML"},
		{"berry requirement without entry", "yarn.lock", "__metadata:\n  version: 8\n\n\"a@npm:^1\":\n  version: 1.0.0\n  resolution: \"a@npm:1.0.0\"\n  dependencies:\n    b: \"npm:^2\"\n", 8, "has no entry"},
		{"pnpm without lockfileVersion", "pnpm-lock.yaml", "packages: {}\n", 1, "lockfileVersion"},
		{"pnpm 9 cut before snapshots", "pnpm-lock.yaml", "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      a: {specifier: ^1, version: 1.0.0}\npackages:\n  a@1.0.0:\n    resolution: {integrity: x}\n", 9, "truncated"},
		{"pnpm importer without package", "pnpm-lock.yaml", "lockfileVersion: '6.0'\ndependencies:\n  a:\n    specifier: ^1\n    version: 1.0.0\npackages: {}\n", 5, "has no entry"},
		{"poetry without metadata", "poetry.lock", "[[package]]\nname = \"a\"\nversion = \"1\"\n", 4, "truncated"},
		{"uv bad toml", "uv.lock", "version = 1\n[[package]]\nname = \"a\n", 3, "invalid TOML"},
		{"uv empty", "uv.lock", "version = 1\n", 1, "no [[package]]"},
		{"uv requirement without package", "uv.lock", "version = 1\n\n[[package]]\nname = \"p\"\nversion = \"0.1\"\nsource = { virtual = \".\" }\ndependencies = [{ name = \"a\" }]\n", 1, "has no entry"},
		{"cargo requirement without package", "Cargo.lock", "version = 3\n\n[[package]]\nname = \"me\"\nversion = \"0.1.0\"\ndependencies = [\"a\"]\n", 3, "has no entry"},
		{"cargo package without version", "Cargo.lock", "[[package]]\nname = \"a\"\n", 1, "without a name or version"},
		{"Gemfile.lock without DEPENDENCIES", "Gemfile.lock", "GEM\n  specs:\n    a (1.0)\n", 4, "truncated"},
		{"Gemfile.lock bad dependency", "Gemfile.lock", "GEM\n  specs:\n    a (1.0)\n      b (\n", 4, "under a spec"},
		{"gradle.lockfile cut", "gradle.lockfile", "# Gradle\na:b:1=compileClasspath\n", 3, "truncated"},
		{"composer.lock cut", "composer.lock", `{"packages": [{"name": "a/b", "version": "1"`, 1, "unexpected end"},
		{"composer.lock entry without name", "composer.lock", `{"packages": [{"version": "1"}]}`, 1, "without a name"},
		{"composer.lock not one", "composer.lock", `{}`, 1, "not a composer.lock"},
		{"Pipfile.lock cut", "Pipfile.lock", "{\"default\": {\"a\": {\"version\": \"==1\"}", 1, "unexpected end"},
		{"NuGet not one", "packages.lock.json", `{"version": 1}`, 1, "not a NuGet"},
		{"NuGet cut", "packages.lock.json", "{\"version\": 1, \"dependencies\": {\"net8.0\": {\n", 2, "unexpected end"},
		{"catalog bad library", "gradle/libs.versions.toml", "[libraries]\nx = \"nocolon\"\n", 2, "group:name:version"},
		{"catalog bad toml", "gradle/libs.versions.toml", "[libraries\n", 1, "invalid TOML"},
		{"pyproject bad toml", "pyproject.toml", "[project]\ndependencies = [\"a\"\n", 2, "invalid TOML"},
		{"Pipfile bad toml", "Pipfile", "[packages]\nrequests = \n", 2, "invalid TOML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := depfile.ParseFile(tt.path, []byte(tt.data))
			var perr *depfile.Error
			if !errors.As(r.Err, &perr) {
				t.Fatalf("got %d deps and error %v, want a *depfile.Error", len(r.Deps), r.Err)
			}
			if r.Deps != nil {
				t.Errorf("got %d deps with the error, want none", len(r.Deps))
			}
			if perr.Line != tt.wantLine || !strings.Contains(perr.Msg, tt.wantMsg) {
				t.Errorf("got %v, want line %d and %q", perr, tt.wantLine, tt.wantMsg)
			}
		})
	}
}
