package depfile

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// parseVersionCatalog reads a Gradle version catalog
// (gradle/libs.versions.toml): each [libraries] entry as "group:name" with
// its version (a literal, a version.ref into [versions], or the
// "require"/"strictly"/"prefer" of a rich version), and each [plugins]
// entry as its plugin marker artifact "id:id.gradle.plugin", scope
// "plugin". A catalog declares what builds may use: every entry counts as
// direct, though a build may leave one unused.
func parseVersionCatalog(file string, data []byte) ([]Dependency, error) {
	var cat struct {
		Versions  map[string]any
		Libraries map[string]any
		Plugins   map[string]any
	}
	if err := decodeTOML(file, data, &cat); err != nil {
		return nil, err
	}
	lines := keyLines(data)
	entryVersion := func(t map[string]any) string {
		if v, ok := t["version"]; ok {
			return rich(v, cat.Versions)
		}
		if ref, ok := t["version.ref"].(string); ok {
			return rich(cat.Versions[ref], nil)
		}
		return ""
	}
	var deps []Dependency
	for _, alias := range slices.Sorted(maps.Keys(cat.Libraries)) {
		d := Dependency{Ecosystem: Gradle, File: file, Line: lines["libraries"][alias]}
		switch v := cat.Libraries[alias].(type) {
		case string:
			parts := strings.Split(v, ":")
			if len(parts) < 2 || len(parts) > 3 {
				return nil, &Error{File: file, Line: d.Line, Column: 1, Msg: fmt.Sprintf("library %s: want \"group:name:version\", got %s", alias, quoteShort(v))}
			}
			d.Name = parts[0] + ":" + parts[1]
			if len(parts) == 3 {
				d.Version = parts[2]
			}
		case map[string]any:
			if m, ok := v["module"].(string); ok {
				d.Name = m
			} else {
				g, _ := v["group"].(string)
				n, _ := v["name"].(string)
				d.Name = g + ":" + n
			}
			d.Version = entryVersion(v)
		}
		if d.Name == "" || !strings.Contains(d.Name, ":") || strings.HasPrefix(d.Name, ":") || strings.HasSuffix(d.Name, ":") {
			return nil, &Error{File: file, Line: d.Line, Column: 1, Msg: fmt.Sprintf("library %s: want a module \"group:name\"", alias)}
		}
		deps = append(deps, d)
	}
	for _, alias := range slices.Sorted(maps.Keys(cat.Plugins)) {
		d := Dependency{Ecosystem: Gradle, Scope: "plugin", File: file, Line: lines["plugins"][alias]}
		var id string
		switch v := cat.Plugins[alias].(type) {
		case string:
			id, d.Version, _ = strings.Cut(v, ":")
		case map[string]any:
			id, _ = v["id"].(string)
			d.Version = entryVersion(v)
		}
		if id == "" {
			return nil, &Error{File: file, Line: d.Line, Column: 1, Msg: fmt.Sprintf("plugin %s: want an id", alias)}
		}
		d.Name = id + ":" + id + ".gradle.plugin"
		deps = append(deps, d)
	}
	sortByLine(deps)
	return deps, nil
}

// rich returns the version v gives: a string, or the
// strictly/require/prefer of a rich version, else (with versions, the
// [versions] table) the entry its "ref" names.
func rich(v any, versions map[string]any) string {
	switch v := v.(type) {
	case string:
		return v
	case map[string]any:
		for _, k := range []string{"strictly", "require", "prefer"} {
			if s, ok := v[k].(string); ok {
				return s
			}
		}
		if ref, ok := v["ref"].(string); ok && versions != nil {
			return rich(versions[ref], nil)
		}
	}
	return ""
}

// sortByLine orders dependencies by line, keeping ties in place.
func sortByLine(deps []Dependency) {
	sort.SliceStable(deps, func(i, j int) bool { return deps[i].Line < deps[j].Line })
}
