package depfile

import (
	"path"
	"regexp"
	"strings"
)

// gradleConf matches the dependency configurations of Gradle's Java, Kotlin
// and Android plugins (implementation, testRuntimeOnly, kapt, ...), the
// legacy ones (compile, runtime), buildscript classpath, the
// dependency-management plugin's mavenBom and resolutionStrategy's force.
const gradleConf = `(?:api|implementation|compile|compileOnly|compileOnlyApi|runtime|runtimeOnly|annotationProcessor|kapt|ksp|classpath|developmentOnly|mavenBom|force|providedCompile|providedRuntime|[a-z][A-Za-z0-9]*(?:Implementation|Api|CompileOnly|RuntimeOnly|Compile|Runtime|AnnotationProcessor))`

var (
	// implementation 'g:a:v', implementation("g:a:v"),
	// implementation platform("g:a:v")
	gradleStringDep = regexp.MustCompile(`\b(` + gradleConf + `)\s*\(?\s*(?:(platform|enforcedPlatform|testFixtures)\s*\(\s*)?["']([^"'\n]*)["']`)
	// implementation group: 'g', name: 'a', version: 'v'
	// implementation(group = "g", name = "a", version = "v")
	gradleMapDep = regexp.MustCompile(`\b(` + gradleConf + `)\s*\(?\s*((?:group|name|version)\s*[:=][^\n)]*)`)
	gradleMapKV  = regexp.MustCompile(`(group|name|version)\s*[:=]\s*["']([^"'\n]*)["']`)
	// def log4jVersion = '2.14.1', val x = "1", ext.x = '1', extra["x"] = "1",
	// set("x", "1"), val x by extra("1")
	gradleVarAssign = regexp.MustCompile(`(?m)^[ \t]*(?:(?:def|val|var|final|String)[ \t]+)?(?:(?:project\.|rootProject\.)?ext(?:ra)?[.\[]["']?)?([A-Za-z_][A-Za-z0-9_.]*)["']?\]?[ \t]*(?:=|by[ \t]+extra[ \t]*\()[ \t]*["']([^"'\n$]*)["']`)
	gradleVarSet    = regexp.MustCompile(`\bset\(\s*["']([A-Za-z_][A-Za-z0-9_.]*)["']\s*,\s*["']([^"'\n$]*)["']`)
	gradleInterp    = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_.]*)\}?`)
	gradleCoordPart = regexp.MustCompile(`^[A-Za-z0-9_.\-]+$`)
)

// parseGradle reads a Groovy or Kotlin Gradle build script. A build script
// is a program, so this is pattern matching on the common notations
// ("group:name:version" strings and group/name/version maps after a
// configuration name), with "$var" and "${var}" versions resolved from
// variables the same file assigns. Notations it does not recognise (version
// catalogs such as libs.log4j.core) are skipped; it never fails.
func parseGradle(file string, data []byte) ([]Dependency, error) {
	src := stripGradleComments(data)
	idx := NewLineIndex(src)
	text := string(src)

	vars := map[string]string{}
	for _, m := range gradleVarAssign.FindAllStringSubmatch(text, -1) {
		setVar(vars, m[1], m[2])
	}
	for _, m := range gradleVarSet.FindAllStringSubmatch(text, -1) {
		setVar(vars, m[1], m[2])
	}
	interp := func(s string) string {
		return gradleInterp.ReplaceAllStringFunc(s, func(ref string) string {
			name := gradleInterp.FindStringSubmatch(ref)[1]
			if v, ok := vars[name]; ok {
				return v
			}
			if i := strings.LastIndexByte(name, '.'); i >= 0 {
				if v, ok := vars[name[i+1:]]; ok {
					return v
				}
			}
			return ref
		})
	}

	type found struct {
		off int
		dep Dependency
	}
	var all []found
	for _, m := range gradleStringDep.FindAllStringSubmatchIndex(text, -1) {
		conf := text[m[2]:m[3]]
		if m[4] >= 0 && strings.HasSuffix(text[m[4]:m[5]], "latform") {
			conf = "import" // a BOM imported (platform()), as Maven names it: not a library on the classpath
		}
		coord := text[m[6]:m[7]]
		parts := strings.Split(coord, ":")
		if len(parts) < 2 || len(parts) > 4 {
			continue
		}
		group, name := parts[0], parts[1]
		if !gradleCoordPart.MatchString(group) || !gradleCoordPart.MatchString(strings.SplitN(name, "@", 2)[0]) {
			continue
		}
		name = strings.SplitN(name, "@", 2)[0]
		version := ""
		if len(parts) >= 3 {
			version = strings.SplitN(parts[2], "@", 2)[0]
		}
		all = append(all, found{m[0], Dependency{
			Ecosystem: Gradle, Name: group + ":" + name, Version: interp(version),
			Scope: conf, File: file, Line: idx.Line(m[0]),
		}})
	}
	for _, m := range gradleMapDep.FindAllStringSubmatchIndex(text, -1) {
		conf := text[m[2]:m[3]]
		kv := map[string]string{}
		for _, p := range gradleMapKV.FindAllStringSubmatch(text[m[4]:m[5]], -1) {
			kv[p[1]] = p[2]
		}
		group, name := interp(kv["group"]), interp(kv["name"])
		if group == "" || name == "" {
			continue
		}
		all = append(all, found{m[0], Dependency{
			Ecosystem: Gradle, Name: group + ":" + name, Version: interp(kv["version"]),
			Scope: conf, File: file, Line: idx.Line(m[0]),
		}})
	}
	// The two patterns find different declarations; put them back in file
	// order.
	for i := 1; i < len(all); i++ {
		for j := i; j > 0 && all[j].off < all[j-1].off; j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	deps := make([]Dependency, 0, len(all))
	for _, f := range all {
		deps = append(deps, f.dep)
	}
	return deps, nil
}

func setVar(vars map[string]string, name, value string) {
	if _, ok := vars[name]; !ok {
		vars[name] = value
	}
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		if _, ok := vars[name[i+1:]]; !ok {
			vars[name[i+1:]] = value
		}
	}
}

// stripGradleComments blanks out // and /* */ comments, keeping string
// literals (a URL's "//" is not a comment) and every newline, so that byte
// offsets still give the right line.
func stripGradleComments(data []byte) []byte {
	out := make([]byte, len(data))
	copy(out, data)
	const (
		code = iota
		lineComment
		blockComment
		str
	)
	state := code
	var quote []byte
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch state {
		case code:
			switch {
			case c == '/' && i+1 < len(out) && out[i+1] == '/':
				state = lineComment
				out[i] = ' '
			case c == '/' && i+1 < len(out) && out[i+1] == '*':
				state = blockComment
				out[i], out[i+1] = ' ', ' '
				i++
			case c == '"' || c == '\'':
				if i+2 < len(out) && out[i+1] == c && out[i+2] == c {
					quote = []byte{c, c, c}
					i += 2
				} else {
					quote = []byte{c}
				}
				state = str
			}
		case lineComment:
			if c == '\n' {
				state = code
			} else {
				out[i] = ' '
			}
		case blockComment:
			if c == '*' && i+1 < len(out) && out[i+1] == '/' {
				out[i], out[i+1] = ' ', ' '
				i++
				state = code
			} else if c != '\n' {
				out[i] = ' '
			}
		case str:
			switch {
			case c == '\\':
				i++
			case c == '\n' && len(quote) == 1:
				// An unterminated one-line string ends at the newline.
				state = code
			case c == quote[0] && (len(quote) == 1 || (i+2 < len(out) && out[i+1] == c && out[i+2] == c)):
				i += len(quote) - 1
				state = code
			}
		}
	}
	return out
}

// parseGradleLock reads gradle.lockfile ("group:name:version=conf,conf"
// lines) and Gradle 5's per-configuration lockfiles (no "=...").
func parseGradleLock(file string, data []byte) ([]Dependency, error) {
	var deps []Dependency
	sawEmpty := false
	lines := splitLines(data)
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		coord, confs, _ := strings.Cut(line, "=")
		if coord == "empty" {
			sawEmpty = true
			continue
		}
		parts := strings.Split(coord, ":")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
			return nil, &Error{File: file, Line: i + 1, Column: 1, Msg: "want group:name:version=configurations, got " + quoteShort(line)}
		}
		scope := ""
		if confs != "" {
			scope = "test"
			for c := range strings.SplitSeq(confs, ",") {
				if !strings.HasPrefix(c, "test") {
					scope = ""
					break
				}
			}
		}
		deps = append(deps, Dependency{Ecosystem: Gradle, Name: parts[0] + ":" + parts[1], Version: parts[2], Scope: scope, File: file, Line: i + 1})
	}
	// Gradle 6 and later end gradle.lockfile with an "empty=" line (the
	// per-configuration lockfiles of Gradle 5 have none): without it the
	// file was cut short.
	if path.Base(file) == "gradle.lockfile" && !sawEmpty {
		line, col := lineCol(data, len(data))
		return nil, &Error{File: file, Line: line, Column: col, Msg: "no closing \"empty=\" line: truncated gradle.lockfile"}
	}
	return deps, nil
}

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	const max = 60
	r := []rune(s)
	if len(r) > max {
		s = string(r[:max]) + "..."
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}
