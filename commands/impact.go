package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/internal/csvsafe"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// ImpactIndex is what /impact needs of the catalog: the dependency and file
// index the sync keeps, with each dependency's graph.
type ImpactIndex interface {
	DependentRepos(ctx context.Context, name string) ([]catalog.ImpactHit, error)
	EcosystemsOf(ctx context.Context, name string) ([]string, error)
	ReposWithFile(ctx context.Context, pattern string, limit int) ([]catalog.ImpactHit, error)
	VersionsInUse(ctx context.Context, keys []catalog.PackageKey) ([]catalog.PackageVersion, error)
	ReposUsing(ctx context.Context, versions []catalog.PackageVersion) ([]catalog.ImpactHit, error)
	GraphGaps(ctx context.Context, ecosystems []string, limit int) (catalog.GraphGaps, error)
	Declarations(ctx context.Context, refs []catalog.EntryRef) (map[catalog.EntryRef]catalog.Dependency, error)
}

// AdvisoryIndex finds advisories by id (their own or an alias, any case):
// Find makes sure the store holds them (asking the OSV API when one is
// configured), Packages returns what they affect.
type AdvisoryIndex interface {
	Find(ctx context.Context, id string) ([]*advisories.Record, error)
	Packages(ctx context.Context, id string) ([]advisories.Affects, error)
}

// ImpactConfig configures /impact.
type ImpactConfig struct {
	Index ImpactIndex
	// Advisories answers /impact CVE-…; nil: such questions are told
	// advisories are not set up.
	Advisories AdvisoryIndex
	// Online says the OSV API is asked for ids the store lacks (said when
	// an id is not found).
	Online bool
	// Links link each service named to its page in the web catalog; zero:
	// no links.
	Links weblinks.Links
}

// maxImpactLines is how many lines (hits) a page of an /impact answer lists.
const maxImpactLines = 60

// maxViaShown bounds the steps of a chain a line shows.
const maxViaShown = 5

// maxGapLines is how many repos with incomplete graphs an answer lists.
const maxGapLines = 15

// impactLinesPerSection is how many lines a section holds at most.
const impactLinesPerSection = 12

// advisoryID is the shape of an advisory id: CVE, GHSA, and OSV's
// database prefixes (GO-, PYSEC-, RUSTSEC-, ...).
var advisoryID = regexp.MustCompile(`(?i)^(CVE-\d{4}-\d{4,}|GHSA(-[0-9a-z]{4}){3}|(GO|PYSEC|RUSTSEC|OSV|GSD|MAL|RUBYSEC|UVI)-\d{4}-\d+)$`)

// IsAdvisoryID reports whether s has the shape of an advisory id
// ("CVE-2021-44228", "GHSA-jfh8-c2jp-5v3q", "GO-2022-0969").
func IsAdvisoryID(s string) bool { return advisoryID.MatchString(strings.TrimSpace(s)) }

// Impact is /impact over idx, without advisories.
func Impact(idx ImpactIndex) Command { return ImpactCommand(ImpactConfig{Index: idx}) }

// ImpactCommand is /impact PACKAGE [CONSTRAINT], /impact ADVISORY-ID and
// /impact file:PATTERN: which repos and services depend on a package
// (optionally at versions matching a constraint such as "<2.17.1"), are
// affected by an advisory, or contain a file, by owning team, each
// dependency direct or with the chain bringing it in and the line to
// change. Every package and advisory answer says how many repos' graphs
// are incomplete, and lists some with why.
func ImpactCommand(cfg ImpactConfig) Command {
	return Command{
		Name:    "/impact",
		Usage:   "PACKAGE [<VERSION] | CVE-… | GHSA-… | file:PATTERN",
		Summary: "Which services depend on a package (at which versions), are affected by an advisory, or contain a file",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			text, view, err := impactOptions(req.Text)
			if err != nil {
				return usageResponse(err.Error()+". Usage: ", "/impact log4j-core <2.17.1 --page 2", " or ", "/impact CVE-2021-44228 --csv"), nil
			}
			if text == "" {
				return usageResponse("Which package, advisory or file? Usage: ", "/impact log4j-core <2.17.1", " or ", "/impact CVE-2021-44228", " or ", "/impact file:log4j2.xml"), nil
			}
			a, reply, err := cfg.answer(ctx, text, view)
			if err != nil || reply != nil {
				if reply != nil {
					return reply.resp, err
				}
				return Response{}, err
			}
			return impactResponse(a), nil
		},
	}
}

// Kinds of impact question (ImpactResult.Kind).
const (
	ImpactPackage  = "package"
	ImpactAdvisory = "advisory"
	ImpactFile     = "file"
)

// Why a question has no hits to look for (ImpactRefusal.Kind).
const (
	// ImpactInvalid: the question is malformed (a bad constraint).
	ImpactInvalid = "invalid"
	// ImpactNotFound: no advisory has the id.
	ImpactNotFound = "not_found"
	// ImpactUnavailable: advisories are not set up, or the OSV API failed.
	ImpactUnavailable = "unavailable"
)

// ImpactRefusal is Answer's error for a question answered with an
// explanation instead of hits; Message is what /impact says.
type ImpactRefusal struct {
	Kind    string
	Message string
}

func (e *ImpactRefusal) Error() string { return e.Message }

// ImpactResult is /impact's answer as data (the JSON API, the MCP server):
// every hit by owning team, with the chain's entry point and the fix.
type ImpactResult struct {
	// What is the question as answered ("log4j-core <2.17.1", the
	// advisory's id as it spells it, "file log4j2.xml").
	What string
	Kind string
	// Hits are the matching dependencies (or files), by owning team.
	Hits []ImpactFinding
	// Unknown are the hits whose version cannot be judged.
	Unknown []ImpactFinding
	// Gaps are the repos whose graphs are incomplete (package and
	// advisory questions), up to 15 listed.
	Gaps catalog.GraphGaps
	// Advisories and Packages are the advisories asked about and what
	// they affect.
	Advisories []*advisories.Record
	Packages   []advisories.Affects
}

// ImpactFinding is one hit of an ImpactResult.
type ImpactFinding struct {
	Hit catalog.ImpactHit
	// Transitive: the package comes in only through other packages.
	Transitive bool
	// FixedIn is, for an advisory, the first fixed version ("" if none).
	FixedIn string
	// Why the version cannot be judged (Unknown only).
	Why string
	// Entry is, for a transitive hit with a chain, the direct dependency
	// the chain starts from, where it is declared (zero when unknown).
	Entry catalog.Dependency
}

// Answer answers an /impact question ("log4j-core <2.17.1",
// "CVE-2021-44228", "file:log4j2.xml") as /impact does, with every hit.
// A question answered by an explanation instead returns *ImpactRefusal.
func (cfg ImpactConfig) Answer(ctx context.Context, question string) (ImpactResult, error) {
	question = strings.TrimSpace(question)
	if question == "" {
		return ImpactResult{}, &ImpactRefusal{Kind: ImpactInvalid, Message: "which package, advisory or file? (e.g. log4j-core <2.17.1, CVE-2021-44228, file:log4j2.xml)"}
	}
	a, reply, err := cfg.answer(ctx, question, impactView{query: question, all: true})
	if err != nil {
		return ImpactResult{}, err
	}
	if reply != nil {
		return ImpactResult{}, &ImpactRefusal{Kind: reply.kind, Message: reply.resp.Text}
	}
	kind := cmp.Or(a.kind, ImpactFile)
	out := ImpactResult{What: a.what, Kind: kind, Gaps: a.gaps, Advisories: a.recs, Packages: a.pkgs}
	finding := func(r impactRow) ImpactFinding {
		return ImpactFinding{Hit: *r.hit, Transitive: !a.files && transitive(r.hit), FixedIn: r.fix, Why: r.why, Entry: r.entry}
	}
	for _, r := range a.rows {
		out.Hits = append(out.Hits, finding(r))
	}
	for _, r := range a.unknown {
		out.Unknown = append(out.Unknown, finding(r))
	}
	return out, nil
}

// impactReply answers a question with an explanation instead of hits:
// kind is ImpactInvalid, ImpactNotFound or ImpactUnavailable.
type impactReply struct {
	kind string
	resp Response
}

// answer finds what an /impact question (without its options) is
// answered with: the hits, or a reply explaining why there are none to
// look for.
func (cfg ImpactConfig) answer(ctx context.Context, text string, view impactView) (impactAnswer, *impactReply, error) {
	idx := cfg.Index
	if pattern, ok := strings.CutPrefix(text, "file:"); ok {
		pattern = strings.TrimSpace(pattern)
		hits, err := idx.ReposWithFile(ctx, pattern, 5000)
		if err != nil {
			return impactAnswer{}, nil, err
		}
		// A file answer shows no graph, nor its gaps.
		a := impactAnswer{what: "file " + pattern, rows: rowsOf(hits), files: true, view: view, links: cfg.Links}
		sortByTeam(a.rows)
		return a, nil, nil
	}
	if IsAdvisoryID(text) {
		return advisoryImpact(ctx, cfg, text, view)
	}
	name, constraint, _ := strings.Cut(text, " ")
	constraint = strings.ReplaceAll(strings.TrimSpace(constraint), " ", "")
	if constraint != "" {
		if _, err := depfile.MatchConstraint("1.0", constraint); err != nil {
			return impactAnswer{}, &impactReply{ImpactInvalid, usageResponse(fmt.Sprintf("%q is not a version constraint (%v). Examples: ", constraint, err), "/impact log4j-core <2.17.1", " or ", "/impact log4j-core >=2.0,<2.15.0")}, nil
		}
	}
	// The graphs' gaps (of the package's ecosystems, found first)
	// are asked for while the hits are.
	gapsc := make(chan gapsResult, 1)
	go func() {
		ecos, err := idx.EcosystemsOf(ctx, name)
		if err != nil {
			gapsc <- gapsResult{err: err}
			return
		}
		g, err := idx.GraphGaps(ctx, ecosystemsOf(name, ecos), view.gapLimit())
		gapsc <- gapsResult{g, err}
	}()
	hits, err := idx.DependentRepos(ctx, name)
	if err != nil {
		return impactAnswer{}, nil, err
	}
	// A constraint is matched once per distinct version: a
	// package has a few dozen in use across thousands of repos.
	type match struct {
		ok  bool
		err error
	}
	matches := map[string]match{}
	matched, unknown := make([]impactRow, 0, len(hits)), []impactRow(nil)
	for i := range hits {
		h := &hits[i]
		if constraint == "" {
			matched = append(matched, impactRow{hit: h})
			continue
		}
		v := h.Dependency.Version
		if v == "" {
			unknown = append(unknown, impactRow{hit: h})
			continue
		}
		m, ok := matches[v]
		if !ok {
			m.ok, m.err = depfile.MatchConstraint(v, constraint)
			matches[v] = m
		}
		switch {
		case m.err != nil:
			unknown = append(unknown, impactRow{hit: h}) // a range or a variable: cannot tell
		case m.ok:
			matched = append(matched, impactRow{hit: h})
		}
	}
	what := name
	if constraint != "" {
		what += " " + constraint
	}
	return finishImpact(ctx, idx, gapsc, impactAnswer{what: what, kind: ImpactPackage, rows: matched, unknown: unknown,
		unknownTitle: "Version not known from the file", view: view, links: cfg.Links})
}

// gapsResult is GraphGaps' answer, from a goroutine.
type gapsResult struct {
	gaps catalog.GraphGaps
	err  error
}

// goGaps asks for the graphs' gaps of ecosystems in the background.
func goGaps(ctx context.Context, idx ImpactIndex, ecosystems []string, limit int) <-chan gapsResult {
	c := make(chan gapsResult, 1)
	go func() {
		g, err := idx.GraphGaps(ctx, ecosystems, limit)
		c <- gapsResult{g, err}
	}()
	return c
}

// ecosystemsOf names the ecosystems a package question is about: those
// the package is found in (a Gradle one is Maven's too), or Maven's for a
// group:artifact name; none (any) otherwise.
func ecosystemsOf(name string, found []string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(e string) {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	for _, e := range found {
		for _, d := range advisories.DependencyEcosystems(e) {
			add(d)
		}
	}
	if len(out) == 0 && strings.Contains(name, ":") {
		add(depfile.Maven)
		add(depfile.Gradle)
	}
	return out
}

// advisoryImpact answers /impact ADVISORY-ID: the advisory's packages and
// ranges, then every repo using an affected version, with the first fixed
// version to move to; versions that cannot be compared apart.
func advisoryImpact(ctx context.Context, cfg ImpactConfig, id string, view impactView) (impactAnswer, *impactReply, error) {
	if cfg.Advisories == nil {
		return impactAnswer{}, &impactReply{ImpactUnavailable, textResponse(T(Plain("Advisories are not set up here: "), Code(id), Plain(" cannot be looked up.")))}, nil
	}
	// What the advisories affect is asked for while they are found: the
	// store answers both when it holds them, the usual case (Packages
	// finds them by any of their ids, in any case). When Find had to
	// fetch them, Packages is asked again below.
	type packagesResult struct {
		pkgs []advisories.Affects
		err  error
	}
	pkgsc := make(chan packagesResult, 1)
	asked := id // id is respelt below, as the records spell it
	go func() {
		pkgs, err := cfg.Advisories.Packages(ctx, asked)
		pkgsc <- packagesResult{pkgs, err}
	}()
	recs, err := cfg.Advisories.Find(ctx, id)
	if errors.Is(err, advisories.ErrNotFound) {
		where := "in the advisory database, nor at the OSV API"
		if !cfg.Online {
			where = "in the advisory database (the OSV API is not asked here: load OSV exports with switchboard advisories load)"
		}
		return impactAnswer{}, &impactReply{ImpactNotFound, textResponse(T(Plain("No advisory "), Code(id), Plain(" found "+where+".")))}, nil
	}
	if err != nil {
		var apiErr *advisories.APIError
		var netErr *url.Error
		if ctx.Err() != nil || !cfg.Online || !errors.As(err, &apiErr) && !errors.As(err, &netErr) {
			return impactAnswer{}, nil, err
		}
		// The store lacks it and the OSV API failed: say so, with why.
		return impactAnswer{}, &impactReply{ImpactUnavailable, textResponse(T(Plain("No advisory "), Code(id), Plain(" in the advisory database, and the OSV API could not be asked: "+err.Error())))}, nil
	}
	// Shown as the records spell it ("GHSA-jfh8-c2jp-5v3q", "CVE-...").
	for _, r := range recs {
		for _, known := range append([]string{r.ID}, r.Aliases...) {
			if strings.EqualFold(known, id) {
				id = known
			}
		}
	}
	pr := <-pkgsc
	if errors.Is(pr.err, advisories.ErrNotFound) {
		// Stored by Find meanwhile (fetched from the OSV API).
		pr.pkgs, pr.err = cfg.Advisories.Packages(ctx, id)
	}
	pkgs, err := pr.pkgs, pr.err
	if err != nil && !errors.Is(err, advisories.ErrNotFound) {
		return impactAnswer{}, nil, err
	}
	keys := catalog.AdvisoryKeys(pkgs)
	var ecos []string
	for _, k := range keys {
		ecos = append(ecos, k.Ecosystem)
	}
	gapsc := goGaps(ctx, cfg.Index, ecos, view.gapLimit())
	versions, err := cfg.Index.VersionsInUse(ctx, keys)
	if err != nil {
		return impactAnswer{}, nil, err
	}
	type verdict struct {
		fixed, why string
		unknown    bool
	}
	verdicts := map[catalog.PackageVersion]verdict{}
	var ask []catalog.PackageVersion
	for _, v := range versions {
		vd, err := advisories.Check(pkgs, v.Ecosystem, v.NameKey, v.Version)
		var ve *advisories.VersionError
		switch {
		case errors.As(err, &ve):
			verdicts[v] = verdict{unknown: true, why: ve.Reason}
		case err != nil:
			verdicts[v] = verdict{unknown: true, why: err.Error()}
		case vd.Affected:
			verdicts[v] = verdict{fixed: vd.FirstFixed}
		default:
			continue
		}
		ask = append(ask, v)
	}
	hits, err := cfg.Index.ReposUsing(ctx, ask)
	if err != nil {
		return impactAnswer{}, nil, err
	}
	rows, unknown := make([]impactRow, 0, len(hits)), []impactRow(nil)
	for i := range hits {
		h := &hits[i]
		d := h.Dependency
		v := verdicts[catalog.PackageVersion{Ecosystem: d.Ecosystem, NameKey: advisories.NameKey(d.Ecosystem, d.Name), Version: d.Version}]
		if v.unknown {
			unknown = append(unknown, impactRow{hit: h, why: v.why})
			continue
		}
		rows = append(rows, impactRow{hit: h, fix: v.fixed, advisory: true})
	}
	return finishImpact(ctx, cfg.Index, gapsc, impactAnswer{what: id, kind: ImpactAdvisory, rows: rows, unknown: unknown, about: advisoryAbout(id, recs, pkgs),
		recs: recs, pkgs: pkgs, unknownTitle: "Version cannot be compared with the advisory's ranges", view: view, links: cfg.Links})
}

// finishImpact completes a package or advisory answer: the graphs' gaps
// asked for in the background, the rows by team with where each chain's
// direct dependency is declared.
func finishImpact(ctx context.Context, idx ImpactIndex, gapsc <-chan gapsResult, a impactAnswer) (impactAnswer, *impactReply, error) {
	r := <-gapsc
	if r.err != nil {
		return impactAnswer{}, nil, r.err
	}
	a.gaps = r.gaps
	sortByTeam(a.rows)
	// Where chains start is looked up for the rows shown: the page's, or
	// every row for the CSV file.
	shown := a.rows
	if !a.view.csv && !a.view.all {
		first, end := a.view.pageRows(len(a.rows))
		shown = a.rows[first:end]
	}
	if err := withEntries(ctx, idx, shown); err != nil {
		return impactAnswer{}, nil, err
	}
	if a.view.csv || a.view.all {
		if err := withEntries(ctx, idx, a.unknown); err != nil {
			return impactAnswer{}, nil, err
		}
	}
	return a, nil, nil
}

// advisoryAbout says what the advisories found by id are and what they
// affect: one line each, then each package with its ranges.
func advisoryAbout(id string, recs []*advisories.Record, pkgs []advisories.Affects) Text {
	var lines []Text
	for _, r := range recs {
		line := T(Bold(r.ID))
		var aliases []string
		for _, a := range r.Aliases {
			if !strings.EqualFold(a, r.ID) {
				aliases = append(aliases, a)
			}
		}
		if len(aliases) > 0 {
			line = append(line, Plain(" ("+strings.Join(aliases, ", ")+")"))
		}
		if r.Summary != "" {
			line = append(line, Plain(": "+r.Summary))
		}
		if !r.Withdrawn.IsZero() {
			line = append(line, Plain(" — withdrawn"))
		}
		lines = append(lines, line)
	}
	// One line a package, its ranges from every entry naming it.
	type pkgLine struct {
		name, eco string
		ranges    []string
	}
	var order []*pkgLine
	byName := map[string]*pkgLine{}
	for _, p := range pkgs {
		k := p.Package.Ecosystem + "\x00" + p.Package.Name
		pl := byName[k]
		if pl == nil {
			pl = &pkgLine{name: p.Package.Name, eco: p.Package.Ecosystem}
			byName[k] = pl
			order = append(order, pl)
		}
		for _, rg := range p.Ranges {
			if rg.Type != advisories.RangeGit && !slices.Contains(pl.ranges, rg.String()) {
				pl.ranges = append(pl.ranges, rg.String())
			}
		}
		switch n := len(p.Versions); {
		case n > 0 && n <= 3:
			pl.ranges = append(pl.ranges, "versions "+strings.Join(p.Versions, ", "))
		case n > 3:
			pl.ranges = append(pl.ranges, fmt.Sprintf("%d listed versions", n))
		}
	}
	for i, pl := range order {
		if i == 10 {
			lines = append(lines, T(Plain(fmt.Sprintf("…and %d more packages", len(order)-10))))
			break
		}
		lines = append(lines, T(Plain("• "), Code(pl.name), Plain(" ("+pl.eco+") "+strings.Join(pl.ranges, ", "))))
	}
	if len(lines) == 0 {
		return T(Plain(id))
	}
	return Join(lines, "\n")
}

func textResponse(t Text) Response {
	return Response{Text: t.String(), Blocks: []Block{&Section{Text: t}}}
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
	return textResponse(t)
}

// impactRow is one hit of an answer, with what an advisory says of it.
type impactRow struct {
	// hit points into the slice of hits the index returned: rows are
	// sorted and filtered by the thousand, hits are large.
	hit *catalog.ImpactHit
	// advisory marks an answer to an advisory: fix is the first fixed
	// version ("" when none is).
	advisory bool
	fix      string
	// why a version is unknown.
	why string
	// entry is, for a transitive dependency, the direct one its chain
	// starts from, where it is declared (zero when unknown).
	entry catalog.Dependency
}

// entryRef names the direct dependency a transitive hit's chain starts
// from; ok is false for a hit without a chain.
func entryRef(h *catalog.ImpactHit) (catalog.EntryRef, bool) {
	d := h.Dependency
	if d.Direct || len(d.Via) == 0 {
		return catalog.EntryRef{}, false
	}
	at := strings.LastIndex(d.Via[0], "@")
	if at <= 0 {
		return catalog.EntryRef{}, false
	}
	return catalog.EntryRef{RepoID: h.Repo.ID, Source: d.SourceFile(), Ecosystem: d.Ecosystem, Name: d.Via[0][:at], Version: d.Via[0][at+1:]}, true
}

// withEntries finds where the direct dependency of each transitive row is
// declared (the line to change).
func withEntries(ctx context.Context, idx ImpactIndex, rows []impactRow) error {
	var (
		refs []catalog.EntryRef
		at   []int // the row of each ref
	)
	for i := range rows {
		if r, ok := entryRef(rows[i].hit); ok {
			refs, at = append(refs, r), append(at, i)
		}
	}
	if len(refs) == 0 {
		return nil
	}
	found, err := idx.Declarations(ctx, refs)
	if err != nil {
		return err
	}
	for j, r := range refs {
		rows[at[j]].entry = found[r]
	}
	return nil
}

// teamOf is the team a repo (a hit's, a gap's) is listed under: the
// first owner of its services; "" when none.
func teamOf(services []catalog.Service) string {
	for _, s := range services {
		if s.Team != "" {
			return s.Team
		}
	}
	return ""
}

// teamLess orders teams by name, the unowned ("") last.
func teamLess(a, b string) bool {
	if (a == "") != (b == "") {
		return b == ""
	}
	return a < b
}

// sortByTeam orders rows as an answer lists them: by team, the unowned
// last, each team's in the order given.
func sortByTeam(rows []impactRow) {
	// A counting sort by the teams' rank: each row's team is found
	// once, each row moved once.
	teams := make([]string, len(rows))
	rank := map[string]int{}
	for i := range rows {
		teams[i] = teamOf(rows[i].hit.Services)
		rank[teams[i]] = 0
	}
	names := make([]string, 0, len(rank))
	for t := range rank {
		names = append(names, t)
	}
	sort.Slice(names, func(i, j int) bool { return teamLess(names[i], names[j]) })
	start := make([]int, len(names)+1) // where each rank's rows begin
	for i, t := range names {
		rank[t] = i
	}
	for _, t := range teams {
		start[rank[t]+1]++
	}
	for i := 1; i < len(start); i++ {
		start[i] += start[i-1]
	}
	sorted := make([]impactRow, len(rows))
	for i, t := range teams {
		k := rank[t]
		sorted[start[k]] = rows[i]
		start[k]++
	}
	copy(rows, sorted)
}

func rowsOf(hits []catalog.ImpactHit) []impactRow {
	out := make([]impactRow, len(hits))
	for i := range hits {
		out[i] = impactRow{hit: &hits[i]}
	}
	return out
}

// impactAnswer is what an /impact answer shows.
type impactAnswer struct {
	what string
	// kind is ImpactPackage, ImpactAdvisory or ImpactFile ("" is a file
	// question too: files marks it).
	kind string
	// recs and pkgs are the advisories asked about and what they affect.
	recs []*advisories.Record
	pkgs []advisories.Affects
	// about describes the advisory asked about.
	about Text
	rows  []impactRow
	// unknown are hits whose version cannot be judged.
	unknown      []impactRow
	unknownTitle string
	gaps         catalog.GraphGaps
	// files marks a file question: no graph on the lines.
	files bool
	// view is the page asked for, or the CSV file.
	view impactView
	// links are ImpactConfig.Links.
	links weblinks.Links
}

// transitive says whether a hit comes in only through other packages:
// with the chain that brings it in, or from a graph that tells direct
// from transitive without recording chains (go.mod, gradle.lockfile).
func transitive(h *catalog.ImpactHit) bool {
	d := h.Dependency
	return !d.Direct && (d.Via != nil || h.From.Graph == catalog.GraphDirect)
}

// impactResponse lists hits by owning team, with counts, then the hits of
// unknown version and the repos whose graphs are incomplete.
func impactResponse(a impactAnswer) Response {
	repos, services, teams := map[int64]bool{}, map[string]bool{}, map[string]bool{}
	directIn := map[int64]bool{}
	for _, r := range a.rows {
		h := r.hit
		repos[h.Repo.ID] = true
		if !transitive(h) {
			directIn[h.Repo.ID] = true
		}
		for _, s := range h.Services {
			services[s.Ref()] = true
			if s.Team != "" {
				teams[s.Team] = true
			}
		}
	}
	onlyTransitive := len(repos) - len(directIn)
	summary := fmt.Sprintf("%s: %d repos, %d services, %d teams", a.what, len(repos), len(services), len(teams))
	if !a.files {
		summary += fmt.Sprintf(" — %d transitive", onlyTransitive)
	}
	if len(a.rows) == 0 {
		summary = fmt.Sprintf("%s: no repo found", a.what)
	}
	blocks := []Block{&Header{Text: "Impact of " + a.what}}
	if len(a.about) > 0 {
		blocks = append(blocks, &Section{Text: a.about})
	}
	blocks = append(blocks, &Section{Text: T(Bold(summary))})
	if !a.files {
		blocks = append(blocks, &Context{Text: T(Plain(gapSummary(a.gaps)))})
	}

	// Lines are rendered for the rows shown only (an answer counts
	// thousands of rows and shows maxImpactLines).
	type teamPart struct {
		rows                  []int // indexes in a.rows
		repos, svcs, indirect map[string]bool
	}
	byTeam := map[string]*teamPart{}
	for i, r := range a.rows {
		team := teamOf(r.hit.Services)
		tp := byTeam[team]
		if tp == nil {
			tp = &teamPart{repos: map[string]bool{}, svcs: map[string]bool{}, indirect: map[string]bool{}}
			byTeam[team] = tp
		}
		tp.rows = append(tp.rows, i)
		tp.repos[r.hit.Repo.Path] = true
		for _, s := range r.hit.Services {
			tp.svcs[s.Ref()] = true
		}
		if transitive(r.hit) && !directIn[r.hit.Repo.ID] {
			tp.indirect[r.hit.Repo.Path] = true
		}
	}
	teamNames := make([]string, 0, len(byTeam))
	for t := range byTeam {
		teamNames = append(teamNames, t)
	}
	sort.Slice(teamNames, func(i, j int) bool { return teamLess(teamNames[i], teamNames[j]) })
	// The page's rows: rows are sorted by team, so a page holds the end
	// of one team's, whole teams, and the start of another's.
	var sec sectioner
	first, end := a.view.pageRows(len(a.rows))
	for _, team := range teamNames {
		tp := byTeam[team]
		var rows []int
		for _, i := range tp.rows {
			if i >= first && i < end {
				rows = append(rows, i)
			}
		}
		if len(rows) == 0 {
			continue
		}
		title := "Team " + team
		if team == "" {
			title = "No catalogued service (owner unknown)"
		}
		count := fmt.Sprintf(": %d repos, %d services", len(tp.repos), len(tp.svcs))
		if !a.files {
			count += fmt.Sprintf(", %d transitive", len(tp.indirect))
		}
		if rows[0] > tp.rows[0] {
			count += " (continued)"
		}
		sec.add(T(Bold(title), Plain(count)))
		for _, i := range rows {
			sec.add(impactLine(a.rows[i], a.files, a.links))
		}
	}
	blocks = append(blocks, sec.flush()...)
	pages := pageCount(len(a.rows))
	if pages > 1 {
		blocks = append(blocks, &Context{Text: T(Plain(fmt.Sprintf("Page %d of %d: lines %d–%d of %d.", a.view.pageOf(len(a.rows)), pages, first+1, end, len(a.rows))))})
	}
	if a.view.pageOf(len(a.rows)) > 1 {
		// The rest is on the first page; a page is the repos' lines.
		if len(a.unknown) > 0 || (!a.files && len(a.gaps.List) > 0) {
			blocks = append(blocks, &Context{Text: T(Plain("Versions not known and incomplete graphs are listed on page 1."))})
		}
		return a.finish(Response{Text: summary, Blocks: blocks, Shareable: true}, pages)
	}
	if len(a.unknown) > 0 {
		sec.add(T(Bold(fmt.Sprintf("%s (%d): check these by hand", a.unknownTitle, len(a.unknown)))))
		for i, r := range a.unknown {
			if i == 20 {
				sec.add(T(Plain(fmt.Sprintf("…and %d more", len(a.unknown)-20))))
				break
			}
			line := impactLine(r, false, a.links)
			if r.why != "" && r.hit.Dependency.Version != "" {
				line = append(line, Plain(" ("+r.why+")"))
			}
			sec.add(line)
		}
		blocks = append(blocks, sec.flush()...)
	}
	if !a.files && len(a.gaps.List) > 0 {
		var lines []Text
		listed := map[int64]bool{}
		for id := range repos {
			listed[id] = true
		}
		for _, r := range a.unknown {
			listed[r.hit.Repo.ID] = true
		}
		for _, g := range a.gaps.List {
			if listed[g.Repo.ID] && !gapUnread(g) {
				continue // in the answer already, from its own declaration
			}
			lines = append(lines, gapLine(g, a.links))
		}
		if more := a.gaps.Repos - len(a.gaps.List); more > 0 {
			lines = append(lines, T(Plain(fmt.Sprintf("…and %d more repos", more))))
		}
		if len(lines) > 0 {
			sec.add(T(Bold("Graphs incomplete: these may depend on it unseen")))
			for _, l := range lines {
				sec.add(l)
			}
			blocks = append(blocks, sec.flush()...)
		}
	}
	return a.finish(Response{Text: summary, Blocks: blocks, Shareable: true}, pages)
}

// sectioner packs lines into sections that keep within Slack's limits:
// at most impactLinesPerSection lines and impactSectionBudget characters each
// (URLs counted, as Slack counts them in mrkdwn).
type sectioner struct {
	lines []Text
	size  int
	out   []Block
}

// impactSectionBudget leaves room under Slack's 3,000 characters for escaping.
const impactSectionBudget = 2400

func textSize(t Text) int {
	n := 0
	for _, s := range t {
		n += len(s.Text) + len(s.URL) + 4
	}
	return n
}

// add appends a line, starting a new section when this one is full.
func (s *sectioner) add(line Text) {
	n := textSize(line) + 1
	if len(s.lines) > 0 && (len(s.lines) >= impactLinesPerSection || s.size+n > impactSectionBudget) {
		s.cut()
	}
	s.lines = append(s.lines, line)
	s.size += n
}

func (s *sectioner) cut() {
	if len(s.lines) > 0 {
		s.out = append(s.out, &Section{Text: Join(s.lines, "\n")})
	}
	s.lines, s.size = nil, 0
}

// flush returns the sections packed so far.
func (s *sectioner) flush() []Block {
	s.cut()
	out := s.out
	s.out = nil
	return out
}

// gapSummary says how many repos' graphs are incomplete, and why.
func gapSummary(g catalog.GraphGaps) string {
	if g.Repos == 0 {
		return "Every repo's dependency graph is complete for this question."
	}
	var why []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{g.Unread, "with files not read"}, {g.Unparsable, "with files that cannot be parsed"},
		{g.DeclaredOnly, "with declared dependencies only (no lockfile)"}, {g.Flat, "with lockfiles that do not tell direct from transitive"},
		{g.Noted, "with notes"},
	} {
		if c.n > 0 {
			why = append(why, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	return fmt.Sprintf("Dependency graphs incomplete in %d repos (%s): transitive dependencies there may be missing from this answer.",
		g.Repos, strings.Join(why, ", "))
}

func gapUnread(g catalog.RepoGap) bool {
	for _, f := range g.Files {
		if f.Problem != "" {
			return true
		}
	}
	return false
}

// gapLine renders a repo with an incomplete graph and why.
func gapLine(g catalog.RepoGap, links weblinks.Links) Text {
	line := repoLead(g.Services, g.Repo, links)
	for i, f := range g.Files {
		if i == 3 {
			line = append(line, Plain(fmt.Sprintf("; and %d more files", len(g.Files)-3)))
			break
		}
		sep := ": "
		if i > 0 {
			sep = "; "
		}
		line = append(line, Plain(sep), Code(f.Path), Plain(" "+f.Incomplete()))
	}
	return line
}

// impactLine renders one hit: service (or repo), version, file and line,
// direct or the chain that brings it in, and for an advisory the version
// to move to.
func impactLine(r impactRow, files bool, links weblinks.Links) Text {
	h := r.hit
	line := repoLead(h.Services, h.Repo, links)
	if files {
		return append(line, Plain(" "), Code(h.File))
	}
	d := h.Dependency
	v := d.Version
	if v == "" {
		v = "version not declared"
	}
	line = append(line, Plain(" "), Code(v), Plain(" in "+fileLine(d.File, d.Line)))
	switch {
	case d.Direct:
		line = append(line, Plain(" (direct"+scopeOf(d)+")"))
	case d.Via != nil:
		steps := make([]string, len(d.Via))
		for i, id := range d.Via {
			steps[i] = viaStep(id)
		}
		if len(steps) > maxViaShown {
			// The direct dependency, then the nearest ones.
			steps = append([]string{steps[0], "…"}, steps[len(steps)-maxViaShown+2:]...)
		}
		// The first step is the direct dependency: where it is
		// declared is the line to change.
		if e := r.entry; e.File != "" {
			steps[0] += " at " + fileLine(e.File, e.Line)
		}
		line = append(line, Plain(" (via "+strings.Join(steps, " → ")+scopeOf(d)+")"))
	case h.From.Graph == catalog.GraphDirect:
		line = append(line, Plain(" (transitive: "+h.From.Path+" does not record through what)"))
	case h.From.Graph == catalog.GraphFlat:
		line = append(line, Plain(" (transitive or direct: "+h.From.Path+" does not say through what)"))
	}
	if d.VersionFrom != "" {
		// A parent POM or a BOM outside the repo sets the version: move
		// to the fixed version there, or override it here.
		line = append(line, Plain(" — version set by "), Code(d.VersionFrom))
	}
	if r.advisory {
		if r.fix != "" {
			line = append(line, Plain(" — fixed in "), Code(r.fix))
		} else {
			line = append(line, Plain(" — no fixed version yet"))
		}
	}
	if h.From.Note != "" {
		line = append(line, Plain(" ["+h.From.Note+"]"))
	}
	return line
}

// repoLead begins a line about a repo: "• ", the services living in it
// (when any), and a link to it.
func repoLead(services []catalog.Service, repo catalog.Repo, links weblinks.Links) Text {
	line := T(Plain("• "))
	if len(services) > 0 {
		for i, s := range services {
			if i > 0 {
				line = append(line, Plain(", "))
			}
			line = append(line, serviceName(links, s))
		}
		line = append(line, Plain(" — "))
	}
	return append(line, Link(repo.Path, repo.WebURL))
}

// serviceRefs are the services' references (Service.Ref), in order.
func serviceRefs(services []catalog.Service) []string {
	refs := make([]string, len(services))
	for i, s := range services {
		refs[i] = s.Ref()
	}
	return refs
}

// fileLine is "file:line", or file alone when the line is not known.
func fileLine(file string, line int) string {
	if line > 0 {
		return file + ":" + strconv.Itoa(line)
	}
	return file
}

func scopeOf(d catalog.Dependency) string {
	if d.Scope == "" {
		return ""
	}
	return ", " + d.Scope
}

// viaStep renders "name@version" of a chain as "artifact version": the
// Maven group is left out, an npm scope kept.
func viaStep(id string) string {
	at := strings.LastIndex(id, "@")
	if at <= 0 {
		return id
	}
	name, version := id[:at], id[at+1:]
	if i := strings.LastIndex(name, ":"); i >= 0 {
		name = name[i+1:]
	}
	return name + " " + version
}

// impactView is which part of an answer is asked for: a page of its
// lines (buttons page through them), or the whole as a CSV file.
type impactView struct {
	// query is the question without the options, for the buttons.
	query string
	// page is 1-based; 0 is the first.
	page int
	// csv asks for the full list as a file, with the first page.
	csv bool
	// all asks for every line with where its chain starts, and the first
	// gaps (ImpactConfig.Answer).
	all bool
}

// impactOptions splits "--page N" and "--csv" off the end of a question.
func impactOptions(text string) (string, impactView, error) {
	var v impactView
	fields := strings.Fields(text)
	for len(fields) > 0 {
		last := fields[len(fields)-1]
		switch {
		case last == "--csv":
			v.csv = true
			fields = fields[:len(fields)-1]
			continue
		case len(fields) >= 2 && fields[len(fields)-2] == "--page":
			n, err := strconv.Atoi(last)
			if err != nil || n < 1 {
				return "", v, fmt.Errorf("--page wants a page number from 1, got %q", last)
			}
			v.page = n
			fields = fields[:len(fields)-2]
			continue
		case last == "--page":
			return "", v, errors.New("--page wants a page number")
		}
		break
	}
	v.query = strings.Join(fields, " ")
	// The question keeps its own spacing (a constraint may hold spaces).
	if i := strings.Index(text, v.query); i >= 0 && v.query != "" {
		v.query = text[i : i+len(v.query)]
	}
	return strings.TrimSpace(v.query), v, nil
}

// pageCount is how many pages n lines take.
func pageCount(n int) int { return max(1, (n+maxImpactLines-1)/maxImpactLines) }

// pageOf is the page shown of n lines: the one asked for, within range.
func (v impactView) pageOf(n int) int { return min(max(v.page, 1), pageCount(n)) }

// pageRows are the indexes [first, end) of the page's lines among n.
func (v impactView) pageRows(n int) (first, end int) {
	first = (v.pageOf(n) - 1) * maxImpactLines
	return first, min(n, first+maxImpactLines)
}

// maxCSVGaps is how many repos with incomplete graphs a CSV file lists.
const maxCSVGaps = 5000

// gapLimit is how many repos with incomplete graphs to list.
func (v impactView) gapLimit() int {
	if v.csv {
		return maxCSVGaps
	}
	return maxGapLines
}

// command is the question again with options, for a button.
func (v impactView) command(opts string) string {
	return strings.TrimSpace("/impact " + strings.TrimSpace(v.query+" "+opts))
}

// finish adds the answer's buttons (pages, the CSV file) when it has
// more lines than a page, and the CSV file when it was asked for.
func (a impactAnswer) finish(resp Response, pages int) Response {
	if pages > 1 || a.view.csv {
		var buttons []Button
		if p := a.view.pageOf(len(a.rows)); pages > 1 {
			if p > 1 {
				buttons = append(buttons, Button{Label: "Previous page", Command: a.view.command(fmt.Sprintf("--page %d", p-1))})
			}
			if p < pages {
				buttons = append(buttons, Button{Label: "Next page", Command: a.view.command(fmt.Sprintf("--page %d", p+1))})
			}
		}
		if !a.view.csv {
			buttons = append(buttons, Button{Label: "Full list (CSV)", Command: a.view.command("--csv")})
		}
		if len(buttons) > 0 {
			resp.Blocks = append(resp.Blocks, &Actions{Buttons: buttons})
		}
	}
	// A package or advisory question offers to start a campaign (/campaign
	// new previews it first). Not a file question: it lists the repos
	// having the file, a campaign's file condition asks every repo to
	// have it.
	if _, _, err := campaignCondition(a.view.query); err == nil && !a.files && len(a.rows) > 0 && !a.view.csv {
		start := Button{Label: "Start a campaign", Command: "/campaign new " + a.view.query}
		if n := len(resp.Blocks); n > 0 {
			if row, ok := resp.Blocks[n-1].(*Actions); ok {
				row.Buttons = append(row.Buttons, start)
				return resp
			}
		}
		resp.Blocks = append(resp.Blocks, &Actions{Buttons: []Button{start}})
	}
	if a.view.csv {
		f, n := a.csvFile()
		resp.File = f
		resp.Blocks = append(resp.Blocks, &Context{Text: T(Plain(fmt.Sprintf("The full list (%d lines) is sent to you as a file: ", n)), Code(f.Name), Plain("."))})
	}
	return resp
}

// csvHeader names the CSV file's columns.
var csvHeader = []string{"status", "team", "services", "repo", "repo_url", "ecosystem", "package", "version",
	"relation", "via", "file", "line", "change_at", "scope", "version_set_by", "fixed_version", "note"}

// csvFile is the whole answer as a CSV file: every line (affected, or
// the file found), then the versions that cannot be judged, then the
// repos whose graphs are incomplete. Cells a spreadsheet would run as a
// formula are prefixed with a quote. n is how many lines it lists.
func (a impactAnswer) csvFile() (f *File, n int) {
	var b strings.Builder
	w := csvsafe.NewWriter(&b)
	write := w.Write
	write(slices.Clone(csvHeader)...)
	row := func(status string, r impactRow, note string) {
		h := r.hit
		svcs := serviceRefs(h.Services)
		if a.files {
			write(status, teamOf(h.Services), strings.Join(svcs, " "), h.Repo.Path, h.Repo.WebURL, "", "", "", "", "", h.File, "", "", "", "", "", note)
			return
		}
		d := h.Dependency
		relation := "unknown"
		switch {
		case d.Direct:
			relation = "direct"
		case transitive(h):
			relation = "transitive"
		}
		line, changeAt := "", ""
		if d.Line > 0 {
			line = strconv.Itoa(d.Line)
		}
		if e := r.entry; e.File != "" {
			changeAt = fileLine(e.File, e.Line)
		} else if d.Direct && d.File != "" {
			changeAt = fileLine(d.File, d.Line)
		}
		fixed := ""
		if r.advisory {
			fixed = cmp.Or(r.fix, "none yet")
		}
		write(status, teamOf(h.Services), strings.Join(svcs, " "), h.Repo.Path, h.Repo.WebURL, d.Ecosystem, d.Name, d.Version,
			relation, strings.Join(d.Via, " > "), d.File, line, changeAt, d.Scope, d.VersionFrom, fixed,
			strings.TrimPrefix(note+"; "+h.From.Note, "; "))
	}
	for _, r := range a.rows {
		status := "matches" // the package, at a version the constraint takes
		switch {
		case a.files:
			status = "found"
		case r.advisory:
			status = "affected"
		}
		row(status, r, "")
	}
	for _, r := range a.unknown {
		row("version unknown", r, r.why)
	}
	for _, g := range a.gaps.List {
		var why []string
		for _, f := range g.Files {
			why = append(why, f.Path+": "+f.Incomplete())
		}
		write("graph incomplete", teamOf(g.Services), strings.Join(serviceRefs(g.Services), " "), g.Repo.Path, g.Repo.WebURL, "", "", "", "", "", "", "", "", "", "", "", strings.Join(why, "; "))
	}
	_ = w.Flush() // a strings.Builder does not fail
	n = len(a.rows) + len(a.unknown) + len(a.gaps.List)
	return &File{
		Name:    "impact-" + fileSafe(a.what) + ".csv",
		Title:   fmt.Sprintf("%s: %d lines", a.what, n),
		Comment: "Impact of " + a.what + ": the full list.",
		Content: []byte(b.String()),
	}, n
}

// fileSafe makes s a file name's part: letters, digits, '.', '_' and
// '-'; runs of anything else become one '-'.
func fileSafe(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '_' || r == '-' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.Trim(b.String(), "-.")
}
