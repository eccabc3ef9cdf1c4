package depfile_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/switchboard-dev/switchboard/depfile"
)

// npmLsGraph reads `npm ls --all --json`: the direct packages and, for
// each package, the packages it requires, as "name@version".
func npmLsGraph(t *testing.T, file string) (direct []string, edges map[string][]string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	type node struct {
		Version      string           `json:"version"`
		Dependencies map[string]*node `json:"dependencies"`
	}
	var root node
	if err := json.Unmarshal(data, &root); err != nil {
		t.Fatal(err)
	}
	edges = map[string][]string{}
	var walk func(id string, n *node)
	walk = func(id string, n *node) {
		for name, c := range n.Dependencies {
			cid := name + "@" + c.Version
			if !slices.Contains(edges[id], cid) {
				edges[id] = append(edges[id], cid)
			}
			if _, ok := edges[cid]; !ok {
				edges[cid] = nil
			}
			walk(cid, c)
		}
	}
	for name, c := range root.Dependencies {
		direct = append(direct, name+"@"+c.Version)
	}
	walk("", &root)
	slices.Sort(direct)
	return direct, edges
}

// depths is the length of the shortest chain from a direct package to
// each package (0 for a direct one).
func depths(direct []string, edges map[string][]string) map[string]int {
	d := map[string]int{}
	queue := slices.Clone(direct)
	for _, r := range direct {
		d[r] = 0
	}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, y := range edges[x] {
			if _, seen := d[y]; !seen {
				d[y] = d[x] + 1
				queue = append(queue, y)
			}
		}
	}
	return d
}

// TestSBOMAgainstNpmLs holds the graphs of real SBOMs of one npm project
// (cyclonedx-npm's JSON and XML, npm sbom's SPDX and CycloneDX) to what
// npm itself says of it (`npm ls --all --json`): the same packages, the
// same direct ones, and for each transitive one a chain npm's tree has,
// as short as the shortest there.
func TestSBOMAgainstNpmLs(t *testing.T) {
	dir := "testdata/sbom/npm"
	direct, edges := npmLsGraph(t, dir+"/npm-ls.json")
	depth := depths(direct, edges)
	var all []string
	for id := range edges {
		if id != "" {
			all = append(all, id)
		}
	}
	slices.Sort(all)
	for _, file := range []string{"bom.json", "bom.xml", "npm-sbom.spdx.json", "npm-sbom.cdx.json"} {
		t.Run(file, func(t *testing.T) {
			data, err := os.ReadFile(dir + "/" + file)
			if err != nil {
				t.Fatal(err)
			}
			r := depfile.ParseFile(file, data)
			if r.Err != nil || r.Graph != depfile.GraphPaths {
				t.Fatalf("got graph %v, err %v; want paths", r.Graph, r.Err)
			}
			var gotAll, gotDirect []string
			for _, d := range r.Deps {
				id := d.Name + "@" + d.Version
				gotAll = append(gotAll, id)
				if d.Ecosystem != depfile.NPM || d.File != file || d.Line == 0 {
					t.Errorf("%s: ecosystem %q file %q line %d", id, d.Ecosystem, d.File, d.Line)
				}
				if d.Direct {
					gotDirect = append(gotDirect, id)
					continue
				}
				if len(d.Via) != depth[id] {
					t.Errorf("%s: via %v, want a chain of %d (npm ls)", id, d.Via, depth[id])
					continue
				}
				chain := append(slices.Clone(d.Via), id)
				if !slices.Contains(direct, chain[0]) {
					t.Errorf("%s: via %v starts at no direct dependency", id, d.Via)
				}
				for i := 1; i < len(chain); i++ {
					if !slices.Contains(edges[chain[i-1]], chain[i]) {
						t.Errorf("%s: via %v: npm ls has no %s -> %s", id, d.Via, chain[i-1], chain[i])
					}
				}
			}
			slices.Sort(gotAll)
			slices.Sort(gotDirect)
			if !slices.Equal(gotAll, all) {
				t.Errorf("packages:\n got %v\nwant %v", gotAll, all)
			}
			if !slices.Equal(gotDirect, direct) {
				t.Errorf("direct: got %v, want %v", gotDirect, direct)
			}
		})
	}
}

// TestSBOMDevScope: cyclonedx-npm's development flag and SPDX's
// DEV_DEPENDENCY_OF make the devDependency, and what only it brings in,
// "dev" ones: those package-lock.json marks "dev": true.
func TestSBOMDevScope(t *testing.T) {
	lock, err := os.ReadFile("testdata/sbom/npm/package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	var l struct {
		Packages map[string]struct {
			Version string `json:"version"`
			Dev     bool   `json:"dev"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(lock, &l); err != nil {
		t.Fatal(err)
	}
	dev := map[string]bool{}
	for k, p := range l.Packages {
		if p.Dev {
			dev[k[strings.LastIndex(k, "node_modules/")+len("node_modules/"):]+"@"+p.Version] = true
		}
	}
	if len(dev) == 0 {
		t.Fatal("package-lock.json marks nothing dev")
	}
	for _, file := range []string{"bom.json", "bom.xml", "npm-sbom.spdx.json"} {
		data, err := os.ReadFile("testdata/sbom/npm/" + file)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range depfile.ParseFile(file, data).Deps {
			if want := map[bool]string{true: "dev"}[dev[d.Name+"@"+d.Version]]; d.Scope != want {
				t.Errorf("%s: %s@%s scope %q, want %q", file, d.Name, d.Version, d.Scope, want)
			}
		}
	}
}

// TestSBOMMatchesLockfile: the SBOM of a project and its package-lock.json
// (read with its package.json) give the same graph.
func TestSBOMMatchesLockfile(t *testing.T) {
	dir := "testdata/sbom/npm"
	read := func(name string) depfile.File {
		data, err := os.ReadFile(dir + "/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return depfile.File{Path: name, Data: data}
	}
	lock := depfile.ParseDir([]depfile.File{read("package.json"), read("package-lock.json")})
	if len(lock) != 1 || lock[0].Err != nil {
		t.Fatalf("lockfile: %+v", lock)
	}
	type dep struct {
		id     string
		direct bool
		via    int
	}
	key := func(r depfile.Result) []dep {
		var out []dep
		for _, d := range r.Deps {
			out = append(out, dep{d.Name + "@" + d.Version, d.Direct, len(d.Via)})
		}
		slices.SortFunc(out, func(a, b dep) int { return strings.Compare(a.id, b.id) })
		return out
	}
	want := key(lock[0])
	sbom := read("bom.json")
	if got := key(depfile.ParseFile(sbom.Path, sbom.Data)); !slices.Equal(got, want) {
		t.Errorf("bom.json:\n got %v\nwant %v (package-lock.json)", got, want)
	}
}

// TestSBOMGradle: a Gradle project whose build script cannot be resolved
// statically (versions from a platform and a plugin) has its graph from
// the CycloneDX SBOM beside it, cyclonedx-gradle-plugin's shape: the
// build script gives direct dependencies their line to change, and is not
// a result of its own.
func TestSBOMGradle(t *testing.T) {
	var files []depfile.File
	for _, name := range []string{"build.gradle", "bom.json"} {
		data, err := os.ReadFile("testdata/sbom/gradle/" + name)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, depfile.File{Path: name, Data: data})
	}
	rs := depfile.ParseDir(files)
	if len(rs) != 1 || rs[0].File != "bom.json" || rs[0].Err != nil || rs[0].Manifest != "build.gradle" || rs[0].Graph != depfile.GraphPaths {
		t.Fatalf("got %+v, want one result: bom.json with build.gradle, paths", rs)
	}
	r := rs[0]
	tests := []struct {
		name, version string
		direct        bool
		file          string
		via           []string
	}{
		{"com.acme.platform:acme-metrics-client", "3.2.0", true, "build.gradle", nil},
		{"org.apache.logging.log4j:log4j-core", "2.14.1", false, "bom.json",
			[]string{"com.acme.platform:acme-metrics-client@3.2.0", "com.acme.platform:acme-logging@3.2.0"}},
		{"io.prometheus:simpleclient", "0.10.0", false, "bom.json",
			[]string{"io.micrometer:micrometer-registry-prometheus@1.7.5", "io.prometheus:simpleclient_common@0.10.0"}},
	}
	for _, tt := range tests {
		i := slices.IndexFunc(r.Deps, func(d depfile.Dependency) bool { return d.Name == tt.name })
		if i < 0 {
			t.Errorf("%s missing", tt.name)
			continue
		}
		d := r.Deps[i]
		if d.Ecosystem != depfile.Maven || d.Version != tt.version || d.Direct != tt.direct || d.File != tt.file || d.Line == 0 || !slices.Equal(d.Via, tt.via) {
			t.Errorf("got %+v, want %s %s direct %v in %s via %v", d, tt.name, tt.version, tt.direct, tt.file, tt.via)
		}
	}
	// The test dependency and the platform BOM are not on the runtime
	// classpath the SBOM was made from: kept as declared, not a gap.
	if strings.Contains(r.Note, "not in the SBOM") {
		t.Errorf("note %q: a test dependency or a platform() import left out of a runtime SBOM is no gap", r.Note)
	}
	for _, name := range []string{"org.springframework.boot:spring-boot-starter-test", "com.acme.platform:acme-platform-bom"} {
		if !slices.ContainsFunc(r.Deps, func(d depfile.Dependency) bool { return d.Name == name }) {
			t.Errorf("%s: declared, want it kept", name)
		}
	}
	// A runtime dependency the SBOM lacks is a gap, and said.
	files[0].Data = append(slices.Clone(files[0].Data), "\ndependencies {\n    runtimeOnly 'org.postgresql:postgresql:42.7.3'\n}\n"...)
	if rs := depfile.ParseDir(files); len(rs) != 1 || !strings.Contains(rs[0].Note, "1 dependencies build.gradle declares are not in the SBOM") {
		t.Errorf("a runtime dependency missing from the SBOM: got %+v, want it noted", rs)
	}
}

// TestSBOMPurls: each package URL type maps to the ecosystem advisories
// know it by, with the name as that ecosystem writes it; others are left
// out and counted.
func TestSBOMPurls(t *testing.T) {
	tests := []struct {
		purl                     string
		eco, name, version, note string
	}{
		{"pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar", depfile.Maven, "org.apache.logging.log4j:log4j-core", "2.14.1", ""},
		{"pkg:npm/%40babel/code-frame@7.12.13", depfile.NPM, "@babel/code-frame", "7.12.13", ""},
		{"pkg:npm/lodash@4.17.20", depfile.NPM, "lodash", "4.17.20", ""},
		{"pkg:pypi/django@3.2.0", depfile.PyPI, "django", "3.2.0", ""},
		{"pkg:golang/github.com/gin-gonic/gin@v1.6.0", depfile.Go, "github.com/gin-gonic/gin", "v1.6.0", ""},
		{"pkg:cargo/regex@1.5.4", depfile.Cargo, "regex", "1.5.4", ""},
		{"pkg:gem/rails@6.1.0", depfile.RubyGems, "rails", "6.1.0", ""},
		{"pkg:composer/laravel/framework@8.0.0", depfile.Packagist, "laravel/framework", "8.0.0", ""},
		{"pkg:nuget/Newtonsoft.Json@12.0.1", depfile.NuGet, "Newtonsoft.Json", "12.0.1", ""},
		{"pkg:maven/org.example/no-version", depfile.Maven, "org.example:no-version", "9.9", ""},
		{"pkg:deb/debian/openssl@1.1.1", "", "", "", "1 pkg:deb"},
		{"pkg:maven/no-group@1", "", "", "", "1 invalid purl"},
		{"not a purl", "", "", "", "1 invalid purl"},
		{"", "", "", "", "1 no purl"},
	}
	for _, tt := range tests {
		t.Run(tt.purl, func(t *testing.T) {
			purl := ""
			if tt.purl != "" {
				purl = `, "purl": "` + tt.purl + `"`
			}
			data := `{"bomFormat": "CycloneDX", "specVersion": "1.5",
"metadata": {"component": {"bom-ref": "root", "name": "app"}},
"components": [{"bom-ref": "a", "name": "x", "version": "9.9"` + purl + `}],
"dependencies": [{"ref": "root", "dependsOn": ["a"]}]}`
			r := depfile.ParseFile("bom.json", []byte(data))
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			if tt.eco == "" {
				if len(r.Deps) != 0 || !strings.Contains(r.Note, tt.note) {
					t.Fatalf("got %+v note %q, want none and %q said", r.Deps, r.Note, tt.note)
				}
				return
			}
			if len(r.Deps) != 1 {
				t.Fatalf("got %+v", r.Deps)
			}
			d := r.Deps[0]
			if d.Ecosystem != tt.eco || d.Name != tt.name || d.Version != tt.version || !d.Direct || d.Line != 3 {
				t.Fatalf("got %+v, want %s %s %s direct at line 3", d, tt.eco, tt.name, tt.version)
			}
		})
	}
}

// TestSBOMRelationships: how each format's relationships make the graph:
// the subject's requirements are direct; with none recorded, those
// nothing requires; with no relationship at all, a flat graph, said so.
func TestSBOMRelationships(t *testing.T) {
	type want struct {
		graph  depfile.Graph
		direct []string
		via    map[string][]string
		note   string
	}
	spdx := func(rels string) string {
		return `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "packages": [
{"SPDXID": "SPDXRef-app", "name": "app"},
{"SPDXID": "SPDXRef-a", "name": "a", "versionInfo": "1", "externalRefs": [{"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/a@1"}]},
{"SPDXID": "SPDXRef-b", "name": "b", "versionInfo": "2", "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/b@2"}]}],
"relationships": [` + rels + `]}`
	}
	rel := func(a, typ, b string) string {
		return `{"spdxElementId": "` + a + `", "relationshipType": "` + typ + `", "relatedSpdxElement": "` + b + `"}`
	}
	cdx := func(deps string) string {
		return `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.4"><metadata><component type="application" bom-ref="app"><name>app</name></component></metadata>
<components><component type="library" bom-ref="a"><name>a</name><version>1</version><purl>pkg:npm/a@1</purl></component>
<component type="library" bom-ref="b"><name>b</name><version>2</version><purl>pkg:npm/b@2</purl></component></components>` + deps + `</bom>`
	}
	tests := []struct {
		name, file, data string
		want             want
	}{
		{"spdx DEPENDS_ON from what DESCRIBES names", "x.spdx.json",
			spdx(rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-app") + "," + rel("SPDXRef-app", "DEPENDS_ON", "SPDXRef-a") + "," + rel("SPDXRef-a", "DEPENDS_ON", "SPDXRef-b")),
			want{depfile.GraphPaths, []string{"a"}, map[string][]string{"b": {"a@1"}}, ""}},
		{"spdx DEPENDENCY_OF, DESCRIBED_BY", "x.spdx.json",
			spdx(rel("SPDXRef-app", "DESCRIBED_BY", "SPDXRef-DOCUMENT") + "," + rel("SPDXRef-a", "DEPENDENCY_OF", "SPDXRef-app") + "," + rel("SPDXRef-b", "DEPENDENCY_OF", "SPDXRef-a")),
			want{depfile.GraphPaths, []string{"a"}, map[string][]string{"b": {"a@1"}}, ""}},
		{"spdx the subject CONTAINS all, a package DEPENDS_ON another", "x.spdx.json",
			spdx(rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-app") + "," + rel("SPDXRef-app", "CONTAINS", "SPDXRef-a") + "," + rel("SPDXRef-app", "CONTAINS", "SPDXRef-b") + "," + rel("SPDXRef-a", "DEPENDS_ON", "SPDXRef-b")),
			want{depfile.GraphPaths, []string{"a"}, map[string][]string{"b": {"a@1"}}, "those nothing else requires"}},
		{"spdx the subject CONTAINS all, nothing more", "x.spdx.json",
			spdx(rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-app") + "," + rel("SPDXRef-app", "CONTAINS", "SPDXRef-a") + "," + rel("SPDXRef-app", "CONTAINS", "SPDXRef-b")),
			want{depfile.GraphFlat, nil, nil, "records no dependency relationships"}},
		{"spdx a package CONTAINS another (a shaded jar)", "x.spdx.json",
			spdx(rel("SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-app") + "," + rel("SPDXRef-app", "DEPENDS_ON", "SPDXRef-a") + "," + rel("SPDXRef-a", "CONTAINS", "SPDXRef-b")),
			want{depfile.GraphPaths, []string{"a"}, map[string][]string{"b": {"a@1"}}, ""}},
		{"cyclonedx xml nested dependency refs", "bom.xml",
			cdx(`<dependencies><dependency ref="app"><dependency ref="b"/></dependency><dependency ref="b"><dependency ref="a"/></dependency></dependencies>`),
			want{depfile.GraphPaths, []string{"b"}, map[string][]string{"a": {"b@2"}}, ""}},
		{"cyclonedx xml without the subject's entry", "bom.xml",
			cdx(`<dependencies><dependency ref="b"><dependency ref="a"/></dependency></dependencies>`),
			want{depfile.GraphPaths, []string{"b"}, map[string][]string{"a": {"b@2"}}, "those nothing else requires"}},
		{"cyclonedx xml without dependencies", "bom.xml", cdx(""),
			want{depfile.GraphFlat, nil, nil, "records no dependency relationships"}},
		{"cyclonedx json: a module of the subject requires a", "x.cdx.json",
			`{"bomFormat": "CycloneDX", "metadata": {"component": {"bom-ref": "app", "name": "app", "components": [{"bom-ref": "mod", "name": "mod", "purl": "pkg:maven/g/mod@1"}]}},
"components": [{"bom-ref": "a", "name": "a", "purl": "pkg:npm/a@1"}, {"bom-ref": "b", "name": "b", "purl": "pkg:npm/b@2"}],
"dependencies": [{"ref": "app", "dependsOn": ["mod"]}, {"ref": "mod", "dependsOn": ["a"]}, {"ref": "a", "dependsOn": ["b"]}]}`,
			want{depfile.GraphPaths, []string{"a"}, map[string][]string{"b": {"a@1"}}, ""}},
		{"cyclonedx json: a component nothing reaches", "x.cdx.json",
			`{"bomFormat": "CycloneDX", "metadata": {"component": {"bom-ref": "app", "name": "app"}},
"components": [{"bom-ref": "a", "name": "a", "purl": "pkg:npm/a@1"}, {"bom-ref": "b", "name": "b", "purl": "pkg:npm/b@2"}],
"dependencies": [{"ref": "app", "dependsOn": ["a"]}]}`,
			want{depfile.GraphPaths, []string{"a"}, nil, "1 components are not reached"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := depfile.ParseFile(tt.file, []byte(tt.data))
			if r.Err != nil {
				t.Fatal(r.Err)
			}
			var direct []string
			via := map[string][]string{}
			for _, d := range r.Deps {
				if d.Direct {
					direct = append(direct, d.Name)
				} else if d.Via != nil {
					via[d.Name] = d.Via
				}
			}
			if r.Graph != tt.want.graph || !slices.Equal(direct, tt.want.direct) || len(via) != len(tt.want.via) || len(r.Deps) != 2 {
				t.Fatalf("got graph %v, %d deps, direct %v, via %v; want %v, 2, %v, %v", r.Graph, len(r.Deps), direct, via, tt.want.graph, tt.want.direct, tt.want.via)
			}
			for name, v := range tt.want.via {
				if !slices.Equal(via[name], v) {
					t.Errorf("%s via %v, want %v", name, via[name], v)
				}
			}
			if tt.want.note == "" && r.Note != "" || !strings.Contains(r.Note, tt.want.note) {
				t.Errorf("note %q, want %q", r.Note, tt.want.note)
			}
		})
	}
}

// TestSBOMFlatWithManifest: an SBOM without relationships beside a build
// script takes its direct dependencies from the script.
func TestSBOMFlatWithManifest(t *testing.T) {
	bom := `{"bomFormat": "CycloneDX", "components": [
{"bom-ref": "a", "group": "g", "name": "a", "version": "1", "purl": "pkg:maven/g/a@1"},
{"bom-ref": "b", "group": "g", "name": "b", "version": "2", "purl": "pkg:maven/g/b@2"}]}`
	rs := depfile.ParseDir([]depfile.File{
		{Path: "svc/build.gradle.kts", Data: []byte("dependencies {\n    implementation(\"g:a\")\n}\n")},
		{Path: "svc/bom.json", Data: []byte(bom)},
	})
	if len(rs) != 1 || rs[0].Graph != depfile.GraphDirect || len(rs[0].Deps) != 2 {
		t.Fatalf("got %+v, want bom.json alone, direct known", rs)
	}
	a, b := rs[0].Deps[0], rs[0].Deps[1]
	if !a.Direct || a.File != "svc/build.gradle.kts" || a.Line != 2 || b.Direct || b.Via != nil {
		t.Fatalf("got %+v and %+v, want g:a direct at build.gradle.kts:2, g:b transitive, path unknown", a, b)
	}
}

// TestSBOMErrors: malformed and truncated SBOMs are positioned errors,
// never a graph.
func TestSBOMErrors(t *testing.T) {
	npm, err := os.ReadFile("testdata/sbom/npm/bom.json")
	if err != nil {
		t.Fatal(err)
	}
	xmlBOM, err := os.ReadFile("testdata/sbom/npm/bom.xml")
	if err != nil {
		t.Fatal(err)
	}
	spdx, err := os.ReadFile("testdata/sbom/npm/npm-sbom.spdx.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, data string
		line             int
		msg              string
	}{
		{"truncated json", "bom.json", string(npm[:len(npm)/2]), strings.Count(string(npm[:len(npm)/2]), "\n") + 1, "unexpected end"},
		{"truncated xml", "bom.xml", string(xmlBOM[:len(xmlBOM)/2]), 0, ""},
		{"truncated spdx", "x.spdx.json", string(spdx[:len(spdx)/3]), strings.Count(string(spdx[:len(spdx)/3]), "\n") + 1, "unexpected end"},
		{"not cyclonedx", "bom.json", "{\n  \"bomFormat\": \"SPDX\",\n  \"components\": []\n}", 2, `"bomFormat" is "SPDX"`},
		{"no bomFormat", "bom.json", `{"components": []}`, 1, "not a CycloneDX BOM"},
		{"empty", "bom.json", "", 1, "unexpected end"},
		{"components not an array", "x.cdx.json", "{\"bomFormat\": \"CycloneDX\",\n\"components\": {}}", 2, "want a JSON array"},
		{"xml of another schema", "bom.xml", "<?xml version=\"1.0\"?>\n<project xmlns=\"http://maven.apache.org/POM/4.0.0\"/>", 2, "not a CycloneDX BOM"},
		{"spdx 3", "x.spdx.json", "{\"spdxVersion\": \"SPDX-3.0\"}", 1, `"spdxVersion" is "SPDX-3.0"`},
		{"spdx bad value", "x.spdx.json", "{\"spdxVersion\": \"SPDX-2.3\",\n \"packages\": [1]}", 2, "want a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := depfile.ParseFile(tt.file, []byte(tt.data))
			var perr *depfile.Error
			if !errors.As(r.Err, &perr) || r.Deps != nil {
				t.Fatalf("got %v with %d deps, want an *Error and none", r.Err, len(r.Deps))
			}
			if perr.Line == 0 || tt.line != 0 && perr.Line != tt.line || !strings.Contains(perr.Msg, tt.msg) {
				t.Fatalf("got %v, want line %d and %q", perr, tt.line, tt.msg)
			}
		})
	}
}

// TestParseSBOM: a CI artifact's format is told from its content.
func TestParseSBOM(t *testing.T) {
	tests := []struct {
		file  string
		count int
		err   bool
	}{
		{"testdata/sbom/npm/bom.json", 64, false},
		{"testdata/sbom/npm/bom.xml", 64, false},
		{"testdata/sbom/npm/npm-sbom.spdx.json", 64, false},
		{"testdata/sbom/npm/package.json", 0, true},
		{"testdata/sbom/gradle/build.gradle", 0, true},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(tt.file)
		if err != nil {
			t.Fatal(err)
		}
		name := "CI artifact sbom:" + path.Base(tt.file) + ".out"
		r := depfile.ParseSBOM(name, data)
		var perr *depfile.Error
		if tt.err != errors.As(r.Err, &perr) || len(r.Deps) != tt.count || r.File != name {
			t.Errorf("%s: got %d deps, err %v; want %d, err %v", tt.file, len(r.Deps), r.Err, tt.count, tt.err)
		}
		for _, d := range r.Deps {
			if d.File != name {
				t.Fatalf("%s: dependency file %q, want %q", tt.file, d.File, name)
			}
		}
	}
}

// TestSelectSBOM: which of a folder's files give its graph when one is an
// SBOM.
func TestSelectSBOM(t *testing.T) {
	tests := []struct {
		name        string
		tree, graph []string
	}{
		{"beside a build script: the SBOM, with the script", []string{"build.gradle", "bom.json", "src/Main.java"}, []string{"bom.json", "build.gradle"}},
		{"alone", []string{"sbom/app.cdx.json"}, []string{"sbom/app.cdx.json"}},
		{"beside a lockfile: the lockfile", []string{"package.json", "package-lock.json", "bom.json"}, []string{"package-lock.json", "package.json"}},
		{"beside gradle.lockfile", []string{"build.gradle", "gradle.lockfile", "bom.xml"}, []string{"build.gradle", "gradle.lockfile"}},
		{"beside a pom.xml", []string{"pom.xml", "bom.json"}, []string{"pom.xml"}},
		{"a lockfile elsewhere does not count", []string{"web/package-lock.json", "bom.json"}, []string{"bom.json", "web/package-lock.json"}},
		{"xml twin of a json SBOM", []string{"bom.json", "bom.xml", "app.spdx.json"}, []string{"app.spdx.json", "bom.json"}},
		{"not SBOMs", []string{"bom.yaml", "sbom.txt", "spdx.json"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := depfile.SelectGraph(tt.tree)
			slices.Sort(got)
			if !slices.Equal(got, tt.graph) {
				t.Fatalf("SelectGraph: got %v, want %v", got, tt.graph)
			}
		})
	}
}

// bigSBOMs makes one SBOM of n components in each format, each component
// with the licenses, hashes and references real ones carry, each requiring
// up to three later ones.
func bigSBOMs(n int) map[string][]byte {
	var cdx, xml, spdx strings.Builder
	cdx.WriteString(`{"bomFormat": "CycloneDX", "specVersion": "1.5", "metadata": {"component": {"bom-ref": "root", "name": "big"}}, "components": [`)
	xml.WriteString(`<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"><metadata><component bom-ref="root"><name>big</name></component></metadata><components>`)
	spdx.WriteString(`{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "documentDescribes": ["SPDXRef-root"], "packages": [{"SPDXID": "SPDXRef-root", "name": "big"}`)
	hash := strings.Repeat("ab", 64)
	for i := range n {
		id := fmt.Sprintf("p%d", i)
		if i > 0 {
			cdx.WriteString(",")
		}
		fmt.Fprintf(&cdx, "\n{\"type\": \"library\", \"bom-ref\": %q, \"name\": %q, \"version\": \"1.0.%d\", \"purl\": \"pkg:npm/%s@1.0.%d\", \"description\": \"a package\", \"licenses\": [{\"license\": {\"id\": \"MIT\"}}], \"hashes\": [{\"alg\": \"SHA-512\", \"content\": %q}], \"externalReferences\": [{\"type\": \"vcs\", \"url\": \"https://example.invalid/%s.git\"}]}", id, id, i, id, i, hash, id)
		fmt.Fprintf(&xml, "\n<component type=\"library\" bom-ref=%q><name>%s</name><version>1.0.%d</version><description>a package</description><hashes><hash alg=\"SHA-512\">%s</hash></hashes><licenses><license><id>MIT</id></license></licenses><purl>pkg:npm/%s@1.0.%d</purl></component>", id, id, i, hash, id, i)
		fmt.Fprintf(&spdx, ",\n{\"SPDXID\": \"SPDXRef-%s\", \"name\": %q, \"versionInfo\": \"1.0.%d\", \"downloadLocation\": \"NOASSERTION\", \"licenseDeclared\": \"MIT\", \"checksums\": [{\"algorithm\": \"SHA512\", \"checksumValue\": %q}], \"externalRefs\": [{\"referenceCategory\": \"PACKAGE-MANAGER\", \"referenceType\": \"purl\", \"referenceLocator\": \"pkg:npm/%s@1.0.%d\"}]}", id, id, i, hash, id, i)
	}
	cdx.WriteString("],\n\"dependencies\": [")
	xml.WriteString("</components><dependencies>")
	spdx.WriteString("],\n\"relationships\": [")
	for i := -1; i < n; i++ {
		from, on := "root", []string{"p0", "p1", "p2"}
		if i >= 0 {
			from, on = fmt.Sprintf("p%d", i), nil
			for j := 1; j <= 3 && 3*i+j < n; j++ {
				on = append(on, fmt.Sprintf("p%d", 3*i+j))
			}
		}
		if i >= 0 {
			cdx.WriteString(",")
		}
		fmt.Fprintf(&cdx, "\n{\"ref\": %q, \"dependsOn\": [", from)
		fmt.Fprintf(&xml, "\n<dependency ref=%q>", from)
		for k, to := range on {
			if k > 0 {
				cdx.WriteString(", ")
			}
			fmt.Fprintf(&cdx, "%q", to)
			fmt.Fprintf(&xml, "<dependency ref=%q/>", to)
			if i >= 0 || k > 0 {
				spdx.WriteString(",")
			}
			fmt.Fprintf(&spdx, "\n{\"spdxElementId\": \"SPDXRef-%s\", \"relationshipType\": \"DEPENDS_ON\", \"relatedSpdxElement\": \"SPDXRef-%s\"}", from, to)
		}
		cdx.WriteString("]}")
		xml.WriteString("</dependency>")
	}
	cdx.WriteString("]}\n")
	xml.WriteString("</dependencies></bom>\n")
	spdx.WriteString("]}\n")
	return map[string][]byte{"bom.json": []byte(cdx.String()), "bom.xml": []byte(xml.String()), "big.spdx.json": []byte(spdx.String())}
}

// BenchmarkParseSBOM reads a 20,000-component SBOM in each format:
// go test ./depfile -run '^$' -bench ParseSBOM
func BenchmarkParseSBOM(b *testing.B) {
	const n = 20000
	docs := bigSBOMs(n)
	for _, name := range []string{"bom.json", "bom.xml", "big.spdx.json"} {
		b.Run(name, func(b *testing.B) {
			data := docs[name]
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				r := depfile.ParseFile(name, data)
				if r.Err != nil || len(r.Deps) != n || r.Graph != depfile.GraphPaths {
					b.Fatalf("got %d deps, graph %v, err %v", len(r.Deps), r.Graph, r.Err)
				}
			}
		})
	}
}

// fuzzSBOM fuzzes the SBOM parser of one file name as fuzzLockfile does,
// seeded with the small Gradle SBOM (the npm ones, 100 KB, make every
// execution slow) and seeds.
func fuzzSBOM(f *testing.F, name string, seeds ...string) {
	f.Helper()
	data, err := os.ReadFile("testdata/sbom/gradle/bom.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := depfile.ParseFile(name, data)
		if r.Err != nil {
			var perr *depfile.Error
			if !errors.As(r.Err, &perr) || perr.Line == 0 || r.Deps != nil {
				t.Fatalf("ParseFile(%s): got %T %v with %d deps, want a positioned *depfile.Error and none", name, r.Err, r.Err, len(r.Deps))
			}
			return
		}
		for _, d := range r.Deps {
			if d.File != name || d.Ecosystem == "" || d.Name == "" || d.Direct && d.Via != nil || len(d.Via) > depfile.MaxVia {
				t.Fatalf("ParseFile(%s): got %+v", name, d)
			}
		}
	})
}

func FuzzCycloneDXJSON(f *testing.F) {
	fuzzSBOM(f, "bom.json", `{"bomFormat": "CycloneDX", "metadata": {"component": {"bom-ref": "r", "name": "app", "components": [{"bom-ref": "m"}]}}, "components": [{"bom-ref": "a", "group": "g", "name": "a", "purl": "pkg:maven/g/a@1?type=jar", "components": [{"bom-ref": "b", "purl": "pkg:npm/%40s/b@2", "properties": [{"name": "cdx:npm:package:development", "value": "true"}]}]}], "dependencies": [{"ref": "r", "dependsOn": ["a", "m"]}, {"ref": "a", "dependsOn": ["b", "a"]}]}`)
}

func FuzzCycloneDXXML(f *testing.F) {
	fuzzSBOM(f, "bom.xml", `<?xml version="1.0"?><bom xmlns="http://cyclonedx.org/schema/bom/1.5"><metadata><component bom-ref="r"><name>app</name></component></metadata><components><component bom-ref="a"><group>g</group><name>a</name><purl>pkg:maven/g/a@1</purl><components><component bom-ref="b"><purl>pkg:pypi/b@2</purl></component></components></component></components><dependencies><dependency ref="r"><dependency ref="a"/></dependency><dependency ref="a"><dependency ref="b"/></dependency></dependencies></bom>`)
}

func FuzzSPDXJSON(f *testing.F) {
	fuzzSBOM(f, "npm-sbom.spdx.json", `{"spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT", "documentDescribes": ["SPDXRef-r"], "packages": [{"SPDXID": "SPDXRef-r", "name": "r"}, {"SPDXID": "SPDXRef-a", "name": "a", "externalRefs": [{"referenceType": "purl", "referenceLocator": "pkg:cargo/a@1"}]}], "relationships": [{"spdxElementId": "SPDXRef-a", "relationshipType": "DEV_DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-r"}, {"spdxElementId": "SPDXRef-r", "relationshipType": "CONTAINS", "relatedSpdxElement": "SPDXRef-a"}]}`)
}
