package commands

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/depfile"
)

// ImpactIndex is what /impact needs of the catalog: the dependency and file
// index the sync keeps.
type ImpactIndex interface {
	DependentRepos(ctx context.Context, name string) ([]catalog.ImpactHit, error)
	ReposWithFile(ctx context.Context, pattern string, limit int) ([]catalog.ImpactHit, error)
}

// maxImpactLines is how many repos /impact lists before summarising.
const maxImpactLines = 60

// Impact is /impact PACKAGE [CONSTRAINT] and /impact file:PATTERN: which
// repos and services depend on a package (optionally at versions matching
// a constraint such as "<2.17.1"), or contain a file, with their owners.
func Impact(idx ImpactIndex) Command {
	return Command{
		Name:    "/impact",
		Usage:   "PACKAGE [<VERSION] | file:PATTERN",
		Summary: "Which services depend on a package (at which versions) or contain a file",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			text := strings.TrimSpace(req.Text)
			if text == "" {
				return usageResponse("Which package or file? Usage: ", "/impact log4j-core <2.17.1", " or ", "/impact file:log4j2.xml"), nil
			}
			if pattern, ok := strings.CutPrefix(text, "file:"); ok {
				pattern = strings.TrimSpace(pattern)
				hits, err := idx.ReposWithFile(ctx, pattern, 5000)
				if err != nil {
					return Response{}, err
				}
				return impactResponse("file "+pattern, hits, nil), nil
			}
			name, constraint, _ := strings.Cut(text, " ")
			constraint = strings.ReplaceAll(strings.TrimSpace(constraint), " ", "")
			if constraint != "" {
				if _, err := depfile.MatchConstraint("1.0", constraint); err != nil {
					return usageResponse(fmt.Sprintf("%q is not a version constraint (%v). Examples: ", constraint, err), "/impact log4j-core <2.17.1", " or ", "/impact log4j-core >=2.0,<2.15.0"), nil
				}
			}
			hits, err := idx.DependentRepos(ctx, name)
			if err != nil {
				return Response{}, err
			}
			var matched, unknown []catalog.ImpactHit
			for _, h := range hits {
				if constraint == "" {
					matched = append(matched, h)
					continue
				}
				if h.Dependency.Version == "" {
					unknown = append(unknown, h)
					continue
				}
				ok, err := depfile.MatchConstraint(h.Dependency.Version, constraint)
				switch {
				case err != nil:
					unknown = append(unknown, h) // a range or a variable: cannot tell
				case ok:
					matched = append(matched, h)
				}
			}
			what := name
			if constraint != "" {
				what += " " + constraint
			}
			return impactResponse(what, matched, unknown), nil
		},
	}
}

func usageResponse(parts ...string) Response {
	var t Text
	for i, p := range parts {
		if i%2 == 1 {
			t = append(t, Code(p))
		} else {
			t = append(t, Plain(p))
		}
	}
	return Response{Text: t.String(), Blocks: []Block{&Section{Text: t}}}
}

// impactResponse lists hits by owning team, services first.
func impactResponse(what string, hits, unknown []catalog.ImpactHit) Response {
	repos, services, teams := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, h := range hits {
		repos[h.Repo.Path] = true
		for _, s := range h.Services {
			services[s.Ref()] = true
			if s.Team != "" {
				teams[s.Team] = true
			}
		}
	}
	summary := fmt.Sprintf("%s: %d repos, %d services, %d teams", what, len(repos), len(services), len(teams))
	if len(hits) == 0 {
		summary = fmt.Sprintf("%s: no repo found", what)
	}
	blocks := []Block{&Header{Text: "Impact of " + what}, &Section{Text: T(Bold(summary))}}

	byTeam := map[string][]Text{}
	for _, h := range hits {
		team, line := impactLine(h)
		byTeam[team] = append(byTeam[team], line)
	}
	teamNames := make([]string, 0, len(byTeam))
	for t := range byTeam {
		teamNames = append(teamNames, t)
	}
	sort.Slice(teamNames, func(i, j int) bool {
		if (teamNames[i] == "") != (teamNames[j] == "") {
			return teamNames[j] == "" // unowned last
		}
		return teamNames[i] < teamNames[j]
	})
	shown := 0
	for _, team := range teamNames {
		lines := byTeam[team]
		if shown >= maxImpactLines {
			break
		}
		if n := maxImpactLines - shown; len(lines) > n {
			lines = lines[:n]
		}
		shown += len(lines)
		title := "Team " + team
		if team == "" {
			title = "No catalogued service (owner unknown)"
		}
		blocks = append(blocks, &Section{Text: append(T(Bold(title), Plain("\n")), Join(lines, "\n")...)})
	}
	if left := len(hits) - shown; left > 0 {
		blocks = append(blocks, &Context{Text: T(Plain(fmt.Sprintf("…and %d more; narrow the question (a version constraint, a file path).", left)))})
	}
	if len(unknown) > 0 {
		var lines []Text
		for i, h := range unknown {
			if i == 20 {
				lines = append(lines, T(Plain(fmt.Sprintf("…and %d more", len(unknown)-20))))
				break
			}
			_, line := impactLine(h)
			lines = append(lines, line)
		}
		blocks = append(blocks, &Section{Text: append(T(Bold(fmt.Sprintf("Version not known from the file (%d): check these by hand", len(unknown))), Plain("\n")), Join(lines, "\n")...)})
	}
	return Response{Text: summary, Blocks: blocks, Shareable: true}
}

// impactLine renders one hit: service (or repo), version, file.
func impactLine(h catalog.ImpactHit) (team string, line Text) {
	line = T(Plain("• "))
	if len(h.Services) > 0 {
		var names []string
		for _, s := range h.Services {
			names = append(names, s.Ref())
			if team == "" {
				team = s.Team
			}
		}
		line = append(line, Bold(strings.Join(names, ", ")), Plain(" — "))
	}
	line = append(line, Link(h.Repo.Path, h.Repo.WebURL))
	switch {
	case h.File != "":
		line = append(line, Plain(" "), Code(h.File))
	default:
		v := h.Dependency.Version
		if v == "" {
			v = "version not declared"
		}
		line = append(line, Plain(" "), Code(v), Plain(" in "+h.Dependency.File))
	}
	return team, line
}
