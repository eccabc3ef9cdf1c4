package depfile

import (
	"regexp"
	"strings"
)

var (
	// "    name (version)" or "    name (version-platform)"
	gemSpec = regexp.MustCompile(`^    ([A-Za-z0-9][A-Za-z0-9._-]*) \(([^()\s]+)\)$`)
	// "      name" or "      name (constraints)": a spec's own dependency;
	// "  name", "  name (constraints)" or "  name!": a DEPENDENCIES entry.
	gemReq = regexp.MustCompile(`^ *([A-Za-z0-9][A-Za-z0-9._-]*)!?(?: \([^()]*\))?$`)
)

// parseGemfileLock reads the specs: of Gemfile.lock's GEM, GIT and PATH
// sections: every resolved gem with its exact version (a platform suffix
// such as "-x86_64-linux" is dropped) and the gems each requires, and the
// DEPENDENCIES section, which names the Gemfile's own, direct, gems.
func parseGemfileLock(file string, data []byte) (parsed, error) {
	var (
		g       graph
		section string
		inSpecs bool
		cur     = -1
		byName  = map[string]int{}
		reqs    = map[int][]string{}
		direct  []string
		sawDeps bool
	)
	for i, line := range splitLines(data) {
		if strings.TrimSpace(line) == "" {
			inSpecs = false
			continue
		}
		if line[0] != ' ' {
			section = strings.TrimSpace(line)
			sawDeps = sawDeps || section == "DEPENDENCIES"
			inSpecs = false
			continue
		}
		if section == "DEPENDENCIES" {
			m := gemReq.FindStringSubmatch(line)
			if m == nil || !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") {
				return parsed{}, &Error{File: file, Line: i + 1, Column: 3, Msg: "want \"name\" or \"name (constraint)\" in DEPENDENCIES, got " + quoteShort(strings.TrimSpace(line))}
			}
			direct = append(direct, m[1])
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
		if !inSpecs {
			continue
		}
		if strings.HasPrefix(line, "      ") {
			m := gemReq.FindStringSubmatch(line)
			if m == nil || strings.HasPrefix(line, "       ") || cur < 0 {
				return parsed{}, &Error{File: file, Line: i + 1, Column: 7, Msg: "want \"name (constraint)\" under a spec, got " + quoteShort(strings.TrimSpace(line))}
			}
			reqs[cur] = append(reqs[cur], m[1])
			continue
		}
		m := gemSpec.FindStringSubmatch(line)
		if m == nil {
			return parsed{}, &Error{File: file, Line: i + 1, Column: 5, Msg: "want \"name (version)\" in specs, got " + quoteShort(strings.TrimSpace(line))}
		}
		version := m[2]
		if j := strings.IndexByte(version, '-'); j > 0 {
			version = version[:j]
		}
		if j, ok := byName[m[1]]; ok && g.deps[j].Version == version {
			// The same gem for another platform.
			cur = j
			continue
		}
		cur = g.add(Dependency{Ecosystem: RubyGems, Name: m[1], Version: version, File: file, Line: i + 1})
		if _, ok := byName[m[1]]; !ok {
			byName[m[1]] = cur
		}
	}
	for from := range g.deps {
		for _, r := range reqs[from] {
			if to, ok := byName[r]; ok {
				g.edge(from, to)
			}
		}
	}
	for _, d := range direct {
		if i, ok := byName[d]; ok {
			g.root(i)
		}
	}
	if !sawDeps {
		line, col := lineCol(data, len(data))
		return parsed{}, &Error{File: file, Line: line, Column: col, Msg: "no DEPENDENCIES section, which Bundler always writes: truncated Gemfile.lock"}
	}
	p := parsed{graph: GraphPaths}
	p.deps = g.resolve()
	return p, nil
}
