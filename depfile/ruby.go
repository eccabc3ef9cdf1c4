package depfile

import (
	"regexp"
	"strings"
)

// "    name (version)" or "    name (version-platform)"
var gemSpec = regexp.MustCompile(`^    ([A-Za-z0-9][A-Za-z0-9._-]*) \(([^()\s]+)\)$`)

// parseGemfileLock reads the specs: of Gemfile.lock's GEM, GIT and PATH
// sections: every resolved gem, direct or not, with its exact version (a
// platform suffix such as "-x86_64-linux" is dropped).
func parseGemfileLock(file string, data []byte) ([]Dependency, error) {
	var (
		deps    []Dependency
		section string
		inSpecs bool
	)
	for i, line := range splitLines(data) {
		if strings.TrimSpace(line) == "" {
			inSpecs = false
			continue
		}
		if line[0] != ' ' {
			section = strings.TrimSpace(line)
			inSpecs = false
			continue
		}
		switch section {
		case "GEM", "GIT", "PATH", "PLUGIN SOURCE":
		default:
			continue
		}
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") {
			inSpecs = strings.TrimSpace(line) == "specs:"
			continue
		}
		if !inSpecs || strings.HasPrefix(line, "      ") {
			// A gem's own dependencies (six spaces) are listed as specs too.
			continue
		}
		m := gemSpec.FindStringSubmatch(line)
		if m == nil {
			return nil, &Error{File: file, Line: i + 1, Column: 5, Msg: "want \"name (version)\" in specs, got " + quoteShort(strings.TrimSpace(line))}
		}
		version := m[2]
		if j := strings.IndexByte(version, '-'); j > 0 {
			version = version[:j]
		}
		deps = append(deps, Dependency{Ecosystem: RubyGems, Name: m[1], Version: version, File: file, Line: i + 1})
	}
	return deps, nil
}
