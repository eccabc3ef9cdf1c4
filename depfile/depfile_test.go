package depfile_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/depfile"
)

// mustParseTestdata parses a file of testdata/ under its repository-relative
// path.
func mustParseTestdata(t *testing.T, rel string) []depfile.Dependency {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	deps, err := depfile.Parse(rel, data)
	if err != nil {
		t.Fatalf("Parse(%s): got error %v, want none", rel, err)
	}
	return deps
}

// find returns the dependency whose name is name or ends in ":"+name.
func find(deps []depfile.Dependency, name string) (depfile.Dependency, bool) {
	for _, d := range deps {
		if d.Name == name || strings.HasSuffix(d.Name, ":"+name) {
			return d, true
		}
	}
	return depfile.Dependency{}, false
}

func TestLog4jCoreInCorpus(t *testing.T) {
	tests := []struct {
		file        string
		wantFound   bool
		wantVersion string
		wantLine    int
		wantScope   string
	}{
		{"tangxiaofeng7__CVE-2021-44228-Apache-Log4j-Rce/pom.xml", true, "2.14.1", 26, ""},
		{"leonjza__log4jpwn/pom.xml", true, "2.14.0", 29, ""},
		// The version comes from <log4j.version> in <properties>.
		{"ruhulmus__java-logging-log4j2/pom.xml", true, "2.11.2", 28, ""},
		{"minseo300__logger_test/pom.xml", true, "2.17.2", 32, ""},
		{"Kotlin__kotlinx.coroutines/integration/kotlinx-coroutines-log4j2/build.gradle.kts", true, "2.14.0", 4, "testImplementation"},
		{"chenluo__playground/tool-logger/build.gradle.kts", true, "2.20.0", 17, "api"},
		// log4j-api and log4j-to-slf4j only: not log4j-core.
		{"DataDog__vulnerable-java-application/gradle.lockfile", false, "", 0, ""},
		// log4j-jul and log4j-slf4j-impl only.
		{"forando__kotlin-training/commons/build.gradle.kts", false, "", 0, ""},
		// log4j-core comes through spring-boot-starter-log4j2, which the
		// build script does not name.
		{"christophetd__log4shell-vulnerable-app/build.gradle", false, "", 0, ""},
		// npm's log4js is a different package.
		{"log4js-node__log4js-example/package.json", false, "", 0, ""},
		{"toshiyukihina__hello-log4js-node/package.json", false, "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			deps := mustParseTestdata(t, tt.file)
			d, found := find(deps, "log4j-core")
			if found != tt.wantFound {
				t.Fatalf("log4j-core found: got %v, want %v (deps %v)", found, tt.wantFound, deps)
			}
			if !found {
				return
			}
			if d.Name != "org.apache.logging.log4j:log4j-core" {
				t.Errorf("name: got %q, want %q", d.Name, "org.apache.logging.log4j:log4j-core")
			}
			if d.Version != tt.wantVersion {
				t.Errorf("version: got %q, want %q", d.Version, tt.wantVersion)
			}
			if d.Line != tt.wantLine {
				t.Errorf("line: got %d, want %d", d.Line, tt.wantLine)
			}
			if d.Scope != tt.wantScope {
				t.Errorf("scope: got %q, want %q", d.Scope, tt.wantScope)
			}
			if d.File != tt.file {
				t.Errorf("file: got %q, want %q", d.File, tt.file)
			}
		})
	}
}

func TestParseCorpus(t *testing.T) {
	tests := []struct {
		file      string
		wantCount int
		want      []depfile.Dependency // checked by name; File is filled in
	}{
		{"DataDog__vulnerable-java-application/gradle.lockfile", 68, []depfile.Dependency{
			{Ecosystem: depfile.Gradle, Name: "org.apache.logging.log4j:log4j-api", Version: "2.21.1", Line: 25},
			{Ecosystem: depfile.Gradle, Name: "org.assertj:assertj-core", Version: "3.24.2", Scope: "test", Line: 31},
		}},
		{"PagerDuty__go-pagerduty/go.mod", 31, []depfile.Dependency{
			{Ecosystem: depfile.Go, Name: "github.com/google/go-cmp", Version: "v0.6.0", Line: 6},
			{Ecosystem: depfile.Go, Name: "google.golang.org/protobuf", Version: "v1.31.0", Scope: "indirect", Line: 39},
		}},
		{"hillu__local-log4j-vuln-scanner/go.mod", 0, nil},
		{"PagerDuty__pagerduty-change-events-action/package.json", 3, []depfile.Dependency{
			{Ecosystem: depfile.NPM, Name: "axios", Version: "^0.21.0", Line: 18},
		}},
		{"PagerDuty__pagerduty-change-events-action/package-lock.json", 23, []depfile.Dependency{
			{Ecosystem: depfile.NPM, Name: "@actions/core", Version: "1.2.6", Line: 7},
		}},
		{"log4js-node__log4js-example/package.json", 9, []depfile.Dependency{
			{Ecosystem: depfile.NPM, Name: "log4js", Version: "~0.6.14", Line: 16},
		}},
		{"PagerDuty__whazzup/Gemfile.lock", 56, []depfile.Dependency{
			{Ecosystem: depfile.RubyGems, Name: "activesupport", Version: "6.0.6.1", Line: 4},
			{Ecosystem: depfile.RubyGems, Name: "zookeeper", Version: "1.4.11", Line: 111},
		}},
		{"fullhunt__log4j-scan/requirements.txt", 65, []depfile.Dependency{
			{Ecosystem: depfile.PyPI, Name: "requests", Version: "2.22.0", Line: 49},
			{Ecosystem: depfile.PyPI, Name: "python-debian", Version: "0.1.36ubuntu1", Line: 47},
		}},
		{"christophetd__log4shell-vulnerable-app/build.gradle", 3, []depfile.Dependency{
			{Ecosystem: depfile.Gradle, Name: "org.springframework.boot:spring-boot-starter-web", Version: "", Scope: "implementation", Line: 17},
			{Ecosystem: depfile.Gradle, Name: "org.springframework.boot:spring-boot-starter-log4j2", Version: "2.6.1", Scope: "implementation", Line: 20},
		}},
		{"forando__kotlin-training/commons/build.gradle.kts", 6, []depfile.Dependency{
			{Ecosystem: depfile.Gradle, Name: "com.fasterxml.jackson.module:jackson-module-kotlin", Version: "2.9.+", Scope: "api", Line: 5},
		}},
		{"leonjza__log4jpwn/pom.xml", 5, []depfile.Dependency{
			{Ecosystem: depfile.Maven, Name: "junit:junit", Version: "4.11", Scope: "test", Line: 23},
		}},
		{"minseo300__logger_test/pom.xml", 12, []depfile.Dependency{
			{Ecosystem: depfile.Maven, Name: "org.projectlombok:lombok", Version: "1.18.24", Scope: "provided", Line: 85},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			deps := mustParseTestdata(t, tt.file)
			if len(deps) != tt.wantCount {
				t.Errorf("count: got %d, want %d", len(deps), tt.wantCount)
			}
			for _, w := range tt.want {
				w.File = tt.file
				got, ok := find(deps, w.Name)
				if !ok {
					t.Errorf("%s: got nothing, want %+v", w.Name, w)
					continue
				}
				// Direct and Via are held to real resolvers in graph_test.go.
				got.Direct, got.Via = false, nil
				if !reflect.DeepEqual(got, w) {
					t.Errorf("%s: got %+v, want %+v", w.Name, got, w)
				}
			}
		})
	}
}

// auxFile says whether a file of testdata/ is there to describe or check
// the corpus (provenance, scripts, resolvers' answers), not a dependency
// file.
func auxFile(name string) bool {
	return name == "SOURCES.tsv" || strings.HasSuffix(name, ".sh") || strings.HasSuffix(name, "-ls.json") || strings.HasSuffix(name, ".js") ||
		strings.HasSuffix(name, ".want") || strings.HasSuffix(name, ".md")
}

func TestParseEveryCorpusFile(t *testing.T) {
	err := filepath.WalkDir("testdata", func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() && (d.Name() == "scalibr-compare" || d.Name() == "sbom-compare" || d.Name() == "fuzz") {
			return filepath.SkipDir
		}
		if err != nil || d.IsDir() || auxFile(d.Name()) {
			return err
		}
		rel, _ := filepath.Rel("testdata", p)
		if !depfile.IsDependencyFile(rel) {
			t.Errorf("IsDependencyFile(%s): got false, want true", rel)
			return nil
		}
		deps := mustParseTestdata(t, rel)
		for _, dep := range deps {
			if dep.Name == "" || dep.Line <= 0 || dep.File != rel {
				t.Errorf("%s: got %+v, want a name, a line and the file", rel, dep)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestParseSynthetic(t *testing.T) {
	tests := []struct {
		name string
		path string
		data string
		want []depfile.Dependency // in order; File is filled in
	}{
		{
			name: "pom with properties, management, parent and profile",
			path: "services/api/pom.xml",
			data: `<?xml version="1.0" encoding="ISO-8859-1"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <parent>
    <groupId>com.acme</groupId>
    <artifactId>acme-parent</artifactId>
    <version>7.1.0</version>
  </parent>
  <artifactId>api</artifactId>
  <properties>
    <log4j2.version>2.14.1</log4j2.version>
    <log4j.line>${log4j2.version}</log4j.line>
  </properties>
  <dependencyManagement>
    <dependencies>
      <dependency>
        <groupId>org.apache.logging.log4j</groupId>
        <artifactId>log4j-core</artifactId>
        <version>${log4j.line}</version>
      </dependency>
      <dependency>
        <groupId>org.springframework.boot</groupId>
        <artifactId>spring-boot-dependencies</artifactId>
        <version>2.6.1</version>
        <type>pom</type>
        <scope>import</scope>
      </dependency>
    </dependencies>
  </dependencyManagement>
  <dependencies>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
    </dependency>
    <dependency>
      <groupId>${project.groupId}</groupId>
      <artifactId>acme-common</artifactId>
      <version>${project.version}</version>
    </dependency>
    <dependency>
      <groupId>com.acme</groupId>
      <artifactId>from-parent</artifactId>
      <version>${not.here}</version>
    </dependency>
  </dependencies>
  <build><plugins><plugin>
    <artifactId>maven-shade-plugin</artifactId>
    <dependencies><dependency><groupId>x</groupId><artifactId>plugin-dep</artifactId><version>1</version></dependency></dependencies>
  </plugin></plugins></build>
  <profiles><profile><id>it</id><dependencies><dependency>
    <groupId>org.testcontainers</groupId>
    <artifactId>postgresql</artifactId>
    <version>1.19.0</version>
    <scope>test</scope>
  </dependency></dependencies></profile></profiles>
</project>`,
			want: []depfile.Dependency{
				{Ecosystem: depfile.Maven, Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Line: 32},
				{Ecosystem: depfile.Maven, Name: "com.acme:acme-common", Version: "7.1.0", Line: 36},
				{Ecosystem: depfile.Maven, Name: "com.acme:from-parent", Version: "${not.here}", Line: 41},
				{Ecosystem: depfile.Maven, Name: "org.testcontainers:postgresql", Version: "1.19.0", Scope: "test", Line: 51},
				{Ecosystem: depfile.Maven, Name: "org.springframework.boot:spring-boot-dependencies", Version: "2.6.1", Scope: "import", Line: 22},
			},
		},
		{
			name: "groovy gradle with variables, maps, platform and comments",
			path: "build.gradle",
			data: `ext {
    log4jVersion = '2.17.1'
}
def jacksonVersion = "2.13.0"
dependencies {
    implementation platform('org.springframework.boot:spring-boot-dependencies:2.6.1')
    implementation "org.apache.logging.log4j:log4j-core:${log4jVersion}"
    implementation "com.fasterxml.jackson.core:jackson-databind:$jacksonVersion"
    // implementation 'org.apache.logging.log4j:log4j-core:2.14.1'
    /* compile 'commons-io:commons-io:2.4' */
    compile group: 'commons-lang', name: 'commons-lang', version: '2.6'
    runtimeOnly 'org.postgresql:postgresql:42.3.1@jar'
    testImplementation 'junit:junit:4.13.2'
    implementation "org.jetbrains:annotations:" + "23.0.0"
    url 'https://repo.example.com/maven2' // not a dependency
}`,
			want: []depfile.Dependency{
				{Ecosystem: depfile.Gradle, Name: "org.springframework.boot:spring-boot-dependencies", Version: "2.6.1", Scope: "import", Line: 6},
				{Ecosystem: depfile.Gradle, Name: "org.apache.logging.log4j:log4j-core", Version: "2.17.1", Scope: "implementation", Line: 7},
				{Ecosystem: depfile.Gradle, Name: "com.fasterxml.jackson.core:jackson-databind", Version: "2.13.0", Scope: "implementation", Line: 8},
				{Ecosystem: depfile.Gradle, Name: "commons-lang:commons-lang", Version: "2.6", Scope: "compile", Line: 11},
				{Ecosystem: depfile.Gradle, Name: "org.postgresql:postgresql", Version: "42.3.1", Scope: "runtimeOnly", Line: 12},
				{Ecosystem: depfile.Gradle, Name: "junit:junit", Version: "4.13.2", Scope: "testImplementation", Line: 13},
				{Ecosystem: depfile.Gradle, Name: "org.jetbrains:annotations", Version: "", Scope: "implementation", Line: 14},
			},
		},
		{
			name: "kotlin gradle with extra and named arguments",
			path: "app/build.gradle.kts",
			data: `val log4j by extra("2.14.1")
dependencies {
    implementation(group = "org.apache.logging.log4j", name = "log4j-core", version = "$log4j")
    implementation(kotlin("stdlib"))
    implementation(libs.jackson.databind)
    testImplementation("io.mockk:mockk:1.12.0")
}`,
			want: []depfile.Dependency{
				{Ecosystem: depfile.Gradle, Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Scope: "implementation", Line: 3},
				{Ecosystem: depfile.Gradle, Name: "io.mockk:mockk", Version: "1.12.0", Scope: "testImplementation", Line: 6},
			},
		},
		{
			name: "package.json sections, duplicates kept once",
			path: "web/package.json",
			data: `{
  "name": "web",
  "dependencies": {"react": "^18.2.0", "left-pad": "1.3.0"},
  "devDependencies": {
    "jest": "~29.0.0"
  },
  "peerDependencies": {"react": "^18.2.0"},
  "optionalDependencies": {"fsevents": "*"},
  "bundledDependencies": ["left-pad"]
}`,
			want: []depfile.Dependency{
				{Ecosystem: depfile.NPM, Name: "react", Version: "^18.2.0", Line: 3},
				{Ecosystem: depfile.NPM, Name: "left-pad", Version: "1.3.0", Line: 3},
				{Ecosystem: depfile.NPM, Name: "jest", Version: "~29.0.0", Scope: "dev", Line: 5},
				{Ecosystem: depfile.NPM, Name: "fsevents", Version: "*", Scope: "optional", Line: 8},
			},
		},
		{
			name: "package-lock v3",
			path: "package-lock.json",
			data: `{
  "name": "web",
  "lockfileVersion": 3,
  "packages": {
    "": {"name": "web", "dependencies": {"log4js": "^6.4.0"}},
    "node_modules/log4js": {"version": "6.4.0", "resolved": "https://registry.npmjs.org/log4js/-/log4js-6.4.0.tgz"},
    "node_modules/@babel/core": {"version": "7.20.0", "dev": true},
    "node_modules/log4js/node_modules/debug": {"version": "4.3.4"},
    "packages/shared": {"version": "1.0.0"},
    "node_modules/shared": {"resolved": "packages/shared", "link": true}
  }
}`,
			want: []depfile.Dependency{
				{Ecosystem: depfile.NPM, Name: "log4js", Version: "6.4.0", Line: 6},
				{Ecosystem: depfile.NPM, Name: "@babel/core", Version: "7.20.0", Scope: "dev", Line: 7},
				{Ecosystem: depfile.NPM, Name: "debug", Version: "4.3.4", Line: 8},
			},
		},
		{
			name: "package-lock v1 nested",
			path: "package-lock.json",
			data: `{"lockfileVersion": 1, "dependencies": {
  "a": {"version": "1.0.0", "dependencies": {
    "b": {"version": "2.0.0", "dev": true}
  }},
  "c": {"version": "3.0.0"}
}}`,
			want: []depfile.Dependency{
				{Ecosystem: depfile.NPM, Name: "a", Version: "1.0.0", Line: 2},
				{Ecosystem: depfile.NPM, Name: "b", Version: "2.0.0", Scope: "dev", Line: 3},
				{Ecosystem: depfile.NPM, Name: "c", Version: "3.0.0", Line: 5},
			},
		},
		{
			name: "requirements with extras, ranges, markers, options",
			path: "requirements-dev.txt",
			data: "# tools\r\n-r requirements.txt\r\n--index-url https://pypi.example.com/simple\r\n" +
				"requests[security,socks]==2.31.0 ; python_version >= \"3.8\"\r\n" +
				"Django>=3.2,<4.0  # LTS\r\n" +
				"numpy \\\r\n    ~=1.24\r\n" +
				"-e git+https://gitlab.example.com/x/y.git#egg=y\r\n" +
				"./libs/local\r\n" +
				"flask==2.3.* \r\n" +
				"pkg @ https://example.com/pkg-1.0.tar.gz\r\n" +
				"cryptography==41.0.0 --hash=sha256:abc\r\n",
			want: []depfile.Dependency{
				{Ecosystem: depfile.PyPI, Name: "requests", Version: "2.31.0", Line: 4},
				{Ecosystem: depfile.PyPI, Name: "Django", Version: ">=3.2,<4.0", Line: 5},
				{Ecosystem: depfile.PyPI, Name: "numpy", Version: "~=1.24", Line: 6},
				{Ecosystem: depfile.PyPI, Name: "flask", Version: "==2.3.*", Line: 10},
				{Ecosystem: depfile.PyPI, Name: "pkg", Version: "", Line: 11},
				{Ecosystem: depfile.PyPI, Name: "cryptography", Version: "41.0.0", Line: 12},
			},
		},
		{
			name: "poetry.lock",
			path: "poetry.lock",
			data: `# This file is automatically @generated by Poetry.

[[package]]
name = "certifi"
version = "2023.7.22"
description = "Python package for providing Mozilla's CA Bundle."
optional = false
python-versions = ">=3.6"
files = [
    {file = "certifi-2023.7.22-py3-none-any.whl", hash = "sha256:92d6"},
    {file = "certifi-2023.7.22.tar.gz", hash = "sha256:539c"},
]

[[package]]
name = "pytest"
version = "7.4.0"
description = """pytest: simple
powerful testing with Python"""
category = "dev"

[package.dependencies]
colorama = {version = "*", markers = "sys_platform == \"win32\""}
name = "not-a-package"

[package.extras]
testing = ["argcomplete", "hypothesis (>=3.56)"]

[metadata]
lock-version = "2.0"
content-hash = "abc" # comment
`,
			want: []depfile.Dependency{
				{Ecosystem: depfile.PyPI, Name: "certifi", Version: "2023.7.22", Line: 3},
				{Ecosystem: depfile.PyPI, Name: "pytest", Version: "7.4.0", Scope: "dev", Line: 14},
			},
		},
		{
			name: "Gemfile.lock with git and platform gems",
			path: "Gemfile.lock",
			data: `GIT
  remote: https://github.com/rails/rails.git
  revision: abc
  specs:
    rails (7.1.0.alpha)
      actionpack (= 7.1.0.alpha)

GEM
  remote: https://rubygems.org/
  specs:
    nokogiri (1.15.4-x86_64-linux)
      racc (~> 1.4)
    racc (1.7.1)

PLATFORMS
  x86_64-linux

DEPENDENCIES
  rails!
`,
			want: []depfile.Dependency{
				{Ecosystem: depfile.RubyGems, Name: "rails", Version: "7.1.0.alpha", Line: 5},
				{Ecosystem: depfile.RubyGems, Name: "nokogiri", Version: "1.15.4", Line: 11},
				{Ecosystem: depfile.RubyGems, Name: "racc", Version: "1.7.1", Line: 13},
			},
		},
		{
			name: "go.mod with replace",
			path: "go.mod",
			data: `module example.com/svc

go 1.22

require (
	github.com/a/b v1.0.0
	github.com/c/d v0.3.0 // indirect
)

replace github.com/a/b => github.com/a/b v1.0.1

replace github.com/c/d => ../d
`,
			want: []depfile.Dependency{
				{Ecosystem: depfile.Go, Name: "github.com/a/b", Version: "v1.0.1", Line: 6},
				{Ecosystem: depfile.Go, Name: "github.com/c/d", Version: "v0.3.0", Scope: "indirect", Line: 7},
			},
		},
		{
			name: "gradle 5 lockfile",
			path: "gradle/dependency-locks/compileClasspath.lockfile",
			data: "# comment\norg.apache.logging.log4j:log4j-core:2.14.1\n",
			want: []depfile.Dependency{
				{Ecosystem: depfile.Gradle, Name: "org.apache.logging.log4j:log4j-core", Version: "2.14.1", Line: 2},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps, err := depfile.Parse(tt.path, []byte(tt.data))
			if err != nil {
				t.Fatalf("Parse: got error %v, want none", err)
			}
			if len(deps) != len(tt.want) {
				t.Errorf("count: got %d, want %d:\ngot  %+v", len(deps), len(tt.want), deps)
			}
			for i := range min(len(deps), len(tt.want)) {
				w := tt.want[i]
				w.File = tt.path
				got := deps[i]
				// Direct and Via are tested in graph_test.go.
				got.Direct, got.Via = false, nil
				if !reflect.DeepEqual(got, w) {
					t.Errorf("dep %d: got %+v, want %+v", i, got, w)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name     string
		path     string
		data     string
		wantLine int
		wantCol  int // 0: not checked
		wantMsg  string
	}{
		{"pom unclosed tag", "pom.xml", "<project>\n<dependencies>\n<dependency>\n</dependencies>\n</project>", 4, 0, "invalid XML"},
		{"pom wrong root", "pom.xml", "<?xml version=\"1.0\"?>\n<settings/>", 2, 0, "want <project>"},
		{"pom empty", "pom.xml", "", 1, 0, "no <project>"},
		{"pom truncated", "pom.xml", "<project><dependencies>", 1, 0, "invalid XML"},
		{"package.json syntax", "package.json", "{\n  \"dependencies\": {\n    \"a\": \"1\",\n  }\n}", 4, 3, "invalid JSON"},
		{"package.json version not a string", "package.json", "{\"dependencies\": {\n\"a\": 1}}", 2, 0, "not a string"},
		{"package.json dependencies not an object", "package.json", "{\"dependencies\": [\"a\"]}", 1, 0, "want a JSON object"},
		{"package.json truncated", "package.json", "{\"dependencies\": {\"a\": \"1\"", 1, 27, "unexpected end"},
		{"package.json not an object", "package.json", "[1, 2]", 1, 0, "want a JSON object"},
		{"package.json trailing data", "package.json", "{}\n{}", 2, 0, "after the top-level"},
		{"package-lock bad packages", "package-lock.json", "{\"packages\": {\"node_modules/a\": 3}}", 1, 0, "want a JSON object"},
		{"go.mod bad directive", "go.mod", "module x\n\nrequire (\n\tgithub.com/a/b\n)\n", 4, 0, "usage"},
		{"gradle.lockfile bad line", "gradle.lockfile", "# x\norg.slf4j:slf4j-api=compileClasspath\n", 2, 1, "group:name:version"},
		{"requirements bad name", "requirements.txt", "requests==2.0\n$$$\n", 2, 1, "invalid requirement"},
		{"requirements bad specifier", "requirements.txt", "flask=>2.0\n", 1, 6, "invalid version specifier"},
		{"poetry unterminated array", "poetry.lock", "[[package]]\nname = \"a\"\nfiles = [\n  \"x\",\n", 3, 9, "unterminated array"},
		{"poetry unterminated string", "poetry.lock", "[[package]]\nname = \"a\n", 2, 8, "unterminated string"},
		{"poetry package without name", "poetry.lock", "[[package]]\nversion = \"1\"\n", 1, 1, "without a name"},
		{"poetry garbage", "poetry.lock", "[[package]]\nthis is not toml\n", 2, 1, "key = value"},
		{"Gemfile.lock bad spec", "Gemfile.lock", "GEM\n  specs:\n    rack 1.6.11\n", 3, 5, "name (version)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps, err := depfile.Parse(tt.path, []byte(tt.data))
			if err == nil {
				t.Fatalf("Parse: got %v and no error, want an error", deps)
			}
			var perr *depfile.Error
			if !errors.As(err, &perr) {
				t.Fatalf("error: got %T %v, want *depfile.Error", err, err)
			}
			if perr.Line != tt.wantLine {
				t.Errorf("line: got %d, want %d (%v)", perr.Line, tt.wantLine, err)
			}
			if tt.wantCol != 0 && perr.Column != tt.wantCol {
				t.Errorf("column: got %d, want %d (%v)", perr.Column, tt.wantCol, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("message: got %q, want it to contain %q", err.Error(), tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), tt.path+":") {
				t.Errorf("message: got %q, want it to start with %q", err.Error(), tt.path+":")
			}
		})
	}
}

func TestParseUnsupported(t *testing.T) {
	_, err := depfile.Parse("README.md", []byte("# hi"))
	if !errors.Is(err, depfile.ErrUnsupported) {
		t.Errorf("got %v, want ErrUnsupported", err)
	}
}

func TestIsDependencyFile(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"pom.xml", true},
		{"services/api/pom.xml", true},
		{"build.gradle", true},
		{"app/build.gradle.kts", true},
		{"settings.gradle", false},
		{"gradle.lockfile", true},
		{"gradle/dependency-locks/compileClasspath.lockfile", true},
		{"go.mod", true},
		{"go.sum", false},
		{"package.json", true},
		{"web/package-lock.json", true},
		{"npm-shrinkwrap.json", true},
		{"yarn.lock", true},
		{"web/pnpm-lock.yaml", true},
		{"pnpm-lock.yml", false},
		{"Pipfile", true},
		{"Pipfile.lock", true},
		{"uv.lock", true},
		{"Cargo.lock", true},
		{"Cargo.toml", false},
		{"composer.json", true},
		{"composer.lock", true},
		{"vendor/acme/lib/composer.lock", false},
		{"gradle/libs.versions.toml", true},
		{"libs.versions.toml", false},
		{"src/App/packages.lock.json", true},
		{"requirements.txt", true},
		{"requirements-dev.txt", true},
		{"requirements_test.txt", true},
		{"requirements/base.txt", true},
		{"docs/requirements.in", false},
		{"notes.txt", false},
		{"poetry.lock", true},
		{"pyproject.toml", true},
		{"Gemfile.lock", true},
		{"Gemfile", false},
		{"node_modules/left-pad/package.json", false},
		{"web/node_modules/@babel/core/package.json", false},
		{"vendor/github.com/x/y/go.mod", false},
		{"src/main/resources/log4j2.xml", false},
		{"catalog-info.yaml", false},
		{`windows\style\pom.xml`, true},
	}
	for _, tt := range tests {
		if got := depfile.IsDependencyFile(tt.path); got != tt.want {
			t.Errorf("IsDependencyFile(%q): got %v, want %v", tt.path, got, tt.want)
		}
	}
}

// TestParseHostileInput feeds inputs built to make a careless parser slow
// (self-referencing properties, deep nesting, long continuations); each must
// be read or rejected quickly.
func TestParseHostileInput(t *testing.T) {
	tests := []struct {
		name, path string
		data       string
	}{
		{"pom self-referencing property", "pom.xml",
			"<project><properties><a>${a}${a}${a}${a}${a}${a}${a}${a}</a></properties><dependencies>" +
				strings.Repeat("<dependency><groupId>g</groupId><artifactId>a</artifactId><version>${a}${a}</version></dependency>", 2000) +
				"</dependencies></project>"},
		{"pom deep nesting", "pom.xml",
			"<project><dependencies>" + strings.Repeat("<dependency>", 20000) + strings.Repeat("</dependency>", 20000) + "</dependencies></project>"},
		{"poetry many multi-line strings", "poetry.lock", strings.Repeat("[[package]]\nname = \"a\"\ndescription = \"\"\"x\ny\"\"\"\n", 20000)},
		{"requirements long continuation", "requirements.txt", strings.Repeat("requests \\\n", 50000) + "==1.0\n"},
		{"json deep nesting", "package.json", "{\"x\": " + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + "}"},
		{"lockfile deep nesting", "package-lock.json", strings.Repeat(`{"dependencies": {"a": `, 500) + strings.Repeat("}}", 500)},
		{"gradle many interpolations", "build.gradle", "def v = '1'\n" + strings.Repeat("implementation \"g:a:${v}${v}${v}\"\n", 5000)},
		{"gemfile many specs", "Gemfile.lock", "GEM\n  specs:\n" + strings.Repeat("    a (1.0)\n      b (>= 1)\n", 30000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			deps, err := depfile.Parse(tt.path, []byte(tt.data))
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("Parse took %v, want well under 5s", d)
			}
			for _, d := range deps {
				if len(d.Version) > 4096 {
					t.Fatalf("version of %d bytes, want it bounded", len(d.Version))
				}
			}
			_ = err // rejecting is as good as reading here
		})
	}
}

func TestSelect(t *testing.T) {
	paths := []string{
		"README.md", "package.json", "package-lock.json", "web/package.json",
		"build.gradle", "gradle.lockfile", "app/build.gradle.kts", "pom.xml",
		"node_modules/x/package.json", "go.mod", "go.sum", "requirements.txt",
	}
	want := []string{"package-lock.json", "web/package.json", "gradle.lockfile", "app/build.gradle.kts", "pom.xml", "go.mod", "requirements.txt"}
	if got := depfile.Select(paths); !slices.Equal(got, want) {
		t.Errorf("Select: got %v, want %v", got, want)
	}
}

func TestSelectGraph(t *testing.T) {
	paths := []string{
		"README.md", "package.json", "package-lock.json", "web/package.json", "web/yarn.lock",
		"build.gradle", "gradle.lockfile", "app/build.gradle.kts", "pom.xml",
		"node_modules/x/package.json", "go.mod", "go.sum", "py/pyproject.toml", "py/poetry.lock",
	}
	want := []string{"package.json", "package-lock.json", "web/package.json", "web/yarn.lock",
		"build.gradle", "gradle.lockfile", "app/build.gradle.kts", "pom.xml", "go.mod", "py/pyproject.toml", "py/poetry.lock"}
	if got := depfile.SelectGraph(paths); !slices.Equal(got, want) {
		t.Errorf("SelectGraph: got %v, want %v", got, want)
	}
}
