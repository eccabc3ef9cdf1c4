package catalog

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// PagerDutyStale is how old the last successful PagerDuty refresh may be
// before the facts read from it (oncall_now, escalation_levels) are
// unknown: three refreshes missed at the usual five minutes.
const PagerDutyStale = 15 * time.Minute

// ScoreSubject is one service as a scorecard sees it: the service, its
// attributes for applies_to, and its facts.
type ScoreSubject struct {
	// Service is the service, with its owning team's name (no aliases).
	Service Service
	// Attrs are what a check's applies_to looks at.
	Attrs scorecard.Service
	// Values are the facts the card needs, by scorecard.FactRef.Key.
	Values scorecard.Values
}

// subject is a ScoreSubject with what the collection needs to know of it.
type subject struct {
	ScoreSubject
	repoID      int64 // the service's repo (0: none)
	repoPath    string
	subpath     string // the service's folder in the repo
	descriptor  string // the descriptor's path from the repo's root
	descStatus  string
	findings    []findingRef
	lastActive  *time.Time
	teamID      *int64
	teamIsKnown bool // a GitLab group, a PagerDuty team or policy, or people
	teamSize    int
}

// findingRef is the part of a stored finding the facts use.
type findingRef struct {
	Path     string `json:"path"`
	Line     int    `json:"line"`
	Severity string `json:"severity"`
	Field    string `json:"field"`
}

// ScoreSubjects collects, for the active services with the given ids
// (every active service when ids is nil), the facts card needs, in a few
// queries for all of them, whatever their number: the services with their
// repo (the first not deleted) and team, then as needed the repos' files
// (each file:GLOB, readme and ci_config found through the file-name index
// where the glob names a file), dependency files and advisories
// (vulnerable_dependencies: each distinct version judged once, by
// advisories.Check), and the last PagerDuty refresh. Values carry Where,
// the file and line to change, where a failure has one: the descriptor
// (the finding's line for lint facts and fields a finding names), the file
// found, the first vulnerable dependency's declaration. A fact that cannot
// be known is unknown with the reason: PagerDuty's refresh failed or is
// older than PagerDutyStale, a service without a repo for repo facts, a
// dependency graph incomplete with no vulnerable dependency found, GitLab
// facts (last_merge_age, default_branch_protected: see scoreGitLab) not
// read yet or whose read failed, and facts the catalog does not collect
// yet (annotations other than the PagerDuty and Slack ones); incidents_30d
// is unknown when PagerDuty's incidents have not been read within
// IncidentsStale or the service has no PagerDuty service. By service id.
func (s *Store) ScoreSubjects(ctx context.Context, card *scorecard.Card, serviceIDs []int64) ([]ScoreSubject, error) {
	if serviceIDs != nil && len(serviceIDs) == 0 {
		return nil, nil
	}
	now := s.Now()
	subs, err := s.scoreBase(ctx, serviceIDs)
	if err != nil {
		return nil, fmt.Errorf("score facts: %w", err)
	}
	needs := card.Needs()
	need := map[string]bool{}
	for _, ref := range needs {
		need[ref.Name] = true
	}
	byRepo := map[int64][]*subject{}
	var repoIDs []int64
	for _, sub := range subs {
		if sub.repoID != 0 {
			if _, ok := byRepo[sub.repoID]; !ok {
				repoIDs = append(repoIDs, sub.repoID)
			}
			byRepo[sub.repoID] = append(byRepo[sub.repoID], sub)
		}
	}
	allRepos := serviceIDs == nil
	var files map[int64]map[string]scorecard.Value // repo-independent: by service id, then key
	if need["readme"] || need["ci_config"] || need["file"] {
		if files, err = s.scoreFiles(ctx, needs, byRepo, repoIDs, allRepos); err != nil {
			return nil, fmt.Errorf("score facts: %w", err)
		}
	}
	var deps map[int64]repoDeps
	if need["vulnerable_dependencies"] || need["dependency_graph_complete"] {
		if deps, err = s.scoreDependencies(ctx, repoIDs, allRepos, need["vulnerable_dependencies"]); err != nil {
			return nil, fmt.Errorf("score facts: %w", err)
		}
	}
	var pd *pdFacts
	if need["oncall_now"] || need["escalation_levels"] {
		if pd, err = s.scorePagerDuty(ctx, subs, now); err != nil {
			return nil, fmt.Errorf("score facts: %w", err)
		}
	}
	var gitlabFacts map[int64]map[string]scorecard.Value // by service id, then key
	if need["last_merge_age"] || need["default_branch_protected"] {
		if gitlabFacts, err = s.scoreGitLab(ctx, serviceIDs, now); err != nil {
			return nil, fmt.Errorf("score facts: %w", err)
		}
	}
	var incidents map[int64]scorecard.Value // by service id
	if need["incidents_30d"] {
		if incidents, err = s.scoreIncidents(ctx, subs); err != nil {
			return nil, fmt.Errorf("score facts: %w", err)
		}
	}
	rostered := false
	if need["owner_team_size"] {
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM team_members WHERE source IN ('gitlab', 'pagerduty'))`).Scan(&rostered); err != nil {
			return nil, fmt.Errorf("score facts: rosters: %w", err)
		}
	}

	out := make([]ScoreSubject, len(subs))
	for i, sub := range subs {
		v := make(scorecard.Values, len(needs))
		for _, ref := range needs {
			key := ref.Key()
			if fv, ok := files[sub.Service.ID][key]; ok {
				v[key] = fv
				continue
			}
			if gv, ok := gitlabFacts[sub.Service.ID][key]; ok {
				v[key] = gv
				continue
			}
			if iv, ok := incidents[sub.Service.ID]; ok && ref.Name == "incidents_30d" {
				v[key] = iv
				continue
			}
			v[key] = sub.fact(ref, now, deps, pd, rostered)
		}
		sub.Values = v
		out[i] = sub.ScoreSubject
	}
	return out, nil
}

// scoreBase reads the services with their first repo and team.
func (s *Store) scoreBase(ctx context.Context, ids []int64) ([]*subject, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT s.id, s.namespace, s.name, s.title, s.description, COALESCE(t.name, ''),
		       s.lifecycle, s.tier, s.type, s.language, s.framework, s.tags, s.slack_channel,
		       s.pagerduty_service_id, s.pagerduty_integration_key, s.links, s.source, s.status, s.updated_at,
		       t.id, t.id IS NOT NULL AND (t.gitlab_group <> '' OR t.pagerduty_escalation_policy <> '' OR t.pagerduty_team <> ''
		            OR EXISTS (SELECT 1 FROM team_members m WHERE m.team_id = t.id)),
		       COALESCE((SELECT count(DISTINCT m.person_id) FROM team_members m WHERE m.team_id = t.id), 0),
		       COALESCE(r.id, 0), COALESCE(r.path, ''), COALESCE(sr.subpath, ''), COALESCE(r.descriptor_path, ''),
		       COALESCE(r.descriptor_status, ''), CASE WHEN r.descriptor_errors <> '[]' THEN r.descriptor_errors END,
		       r.last_activity_at
		FROM services s
		LEFT JOIN teams t ON t.id = s.team_id
		LEFT JOIN LATERAL (
			SELECT sr.repo_id, sr.subpath FROM service_repos sr JOIN repos r ON r.id = sr.repo_id
			WHERE sr.service_id = s.id ORDER BY r.deleted_at IS NOT NULL, sr.repo_id LIMIT 1) sr ON true
		LEFT JOIN repos r ON r.id = sr.repo_id
		WHERE s.status = 'active' AND ($1::bigint[] IS NULL OR s.id = ANY($1))
		ORDER BY s.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	defer rows.Close()
	var out []*subject
	for rows.Next() {
		sub := &subject{}
		svc := &sub.Service
		var links, findings []byte
		if err := rows.Scan(&svc.ID, &svc.Namespace, &svc.Name, &svc.Title, &svc.Description, &svc.Team,
			&svc.Lifecycle, &svc.Tier, &svc.Type, &svc.Language, &svc.Framework, &svc.Tags, &svc.SlackChannel,
			&svc.PagerDutyServiceID, &svc.PagerDutyIntegrationKey, &links, &svc.Source, &svc.Status, &svc.UpdatedAt,
			&sub.teamID, &sub.teamIsKnown, &sub.teamSize,
			&sub.repoID, &sub.repoPath, &sub.subpath, &sub.descriptor, &sub.descStatus, &findings, &sub.lastActive); err != nil {
			return nil, fmt.Errorf("services: %w", err)
		}
		if err := json.Unmarshal(links, &svc.Links); err != nil {
			return nil, fmt.Errorf("links of %s: %w", svc.Name, err)
		}
		if findings != nil {
			if err := json.Unmarshal(findings, &sub.findings); err != nil {
				return nil, fmt.Errorf("findings of %s: %w", sub.repoPath, err)
			}
		}
		sub.Attrs = scorecard.Service{Tier: svc.Tier, Lifecycle: svc.Lifecycle, Type: svc.Type, Team: svc.Team, Tags: svc.Tags}
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("services: %w", err)
	}
	return out, nil
}

// at returns v with the descriptor as the place to fix it (the line of a
// finding about field, when there is one), when the service has one.
func (sub *subject) at(v scorecard.Value, fields ...string) scorecard.Value {
	if sub.descriptor == "" {
		return v
	}
	for _, f := range sub.findings {
		for _, field := range fields {
			if f.Field == field || strings.HasPrefix(f.Field, field+".") {
				return v.At(cmp.Or(f.Path, sub.descriptor), f.Line)
			}
		}
	}
	return v.At(sub.descriptor, 0)
}

// fact returns one fact of the service that is not about its files.
func (sub *subject) fact(ref scorecard.FactRef, now time.Time, deps map[int64]repoDeps, pd *pdFacts, rostered bool) scorecard.Value {
	svc := &sub.Service
	noRepo := func(k scorecard.Kind) scorecard.Value {
		return scorecard.UnknownValue(k, "no repo of the service is in the catalog")
	}
	switch ref.Name {
	case "has_owner":
		return sub.at(scorecard.Bool(svc.Team != ""), "spec.owner", "owner")
	case "descriptor_valid", "lint_errors", "lint_warnings":
		if sub.repoID == 0 {
			if ref.Name == "descriptor_valid" {
				return noRepo(scorecard.KindBool)
			}
			return noRepo(scorecard.KindNumber)
		}
		var errs, warns int
		var firstErr, firstWarn *findingRef
		for i := range sub.findings {
			f := &sub.findings[i]
			switch f.Severity {
			case "error":
				errs++
				if firstErr == nil {
					firstErr = f
				}
			case "warning":
				warns++
				if firstWarn == nil {
					firstWarn = f
				}
			}
		}
		invalid := sub.descStatus == DescriptorInvalid || errs > 0
		where := func(v scorecard.Value, f *findingRef) scorecard.Value {
			if f != nil {
				return v.At(cmp.Or(f.Path, sub.descriptor), f.Line)
			}
			if sub.descriptor != "" {
				return v.At(sub.descriptor, 0)
			}
			return v
		}
		switch ref.Name {
		case "descriptor_valid":
			return where(scorecard.Bool(!invalid), firstErr)
		case "lint_errors":
			return where(scorecard.Number(float64(errs)), firstErr)
		default:
			return where(scorecard.Number(float64(warns)), firstWarn)
		}
	case "lifecycle":
		return sub.at(scorecard.Text(svc.Lifecycle), "spec.lifecycle", "lifecycle")
	case "tier":
		return sub.at(scorecard.Text(svc.Tier), "metadata.labels.tier", "tier")
	case "type":
		return sub.at(scorecard.Text(svc.Type), "spec.type", "type")
	case "language":
		return sub.at(scorecard.Text(svc.Language), "metadata.labels.language", "language")
	case "framework":
		return sub.at(scorecard.Text(svc.Framework), "metadata.labels.framework", "framework")
	case "description":
		return sub.at(scorecard.Text(svc.Description), "metadata.description", "description")
	case "runbook":
		return sub.at(scorecard.Text(firstLink(*svc, LinkRunbook)), "metadata.links")
	case "docs":
		return sub.at(scorecard.Text(firstLink(*svc, LinkDocs)), "metadata.links")
	case "slack_channel":
		return sub.at(scorecard.Text(svc.SlackChannel), "metadata.annotations.slack.com/bot-notify")
	case "pagerduty_service":
		return sub.at(scorecard.Text(cmp.Or(svc.PagerDutyServiceID, svc.PagerDutyIntegrationKey)), "metadata.annotations.pagerduty.com")
	case "tags":
		tags := make([]string, len(svc.Tags))
		for i, t := range svc.Tags {
			tags[i] = strings.ToLower(t)
		}
		return sub.at(scorecard.List(tags...), "metadata.tags")
	case "annotation":
		key := strings.ToLower(ref.Param)
		field := "metadata.annotations." + ref.Param
		switch key {
		case "pagerduty.com/service-id":
			return sub.at(scorecard.Text(svc.PagerDutyServiceID), field)
		case "pagerduty.com/integration-key":
			return sub.at(scorecard.Text(svc.PagerDutyIntegrationKey), field)
		case "slack.com/bot-notify":
			return sub.at(scorecard.Text(strings.TrimPrefix(svc.SlackChannel, "#")), field)
		}
		return scorecard.UnknownValue(scorecard.KindText, "the catalog keeps only the PagerDuty and Slack annotations")
	case "owner_is_team":
		return sub.at(scorecard.Bool(sub.teamID != nil && sub.teamIsKnown), "spec.owner", "owner")
	case "owner_team_size":
		if sub.teamID == nil {
			return sub.at(scorecard.Number(0), "spec.owner", "owner")
		}
		if sub.teamSize == 0 && !rostered {
			return scorecard.UnknownValue(scorecard.KindNumber, "the teams' rosters have not been read yet")
		}
		return scorecard.Number(float64(sub.teamSize))
	case "vulnerable_dependencies", "dependency_graph_complete":
		if sub.repoID == 0 {
			if ref.Name == "dependency_graph_complete" {
				return noRepo(scorecard.KindBool)
			}
			return noRepo(scorecard.KindNumber)
		}
		d := deps[sub.repoID]
		if ref.Name == "dependency_graph_complete" {
			v := scorecard.Bool(d.incomplete == "")
			if d.incompleteFile != "" {
				v = v.At(d.incompleteFile, 0)
			}
			return v
		}
		switch {
		case d.vulnerable > 0:
			return scorecard.Number(float64(d.vulnerable)).At(d.firstFile, d.firstLine)
		case d.unjudged != "":
			return scorecard.UnknownValue(scorecard.KindNumber, d.unjudged)
		case d.incomplete != "":
			return scorecard.UnknownValue(scorecard.KindNumber, "dependency graph incomplete: "+d.incomplete)
		}
		return scorecard.Number(0)
	case "oncall_now", "escalation_levels":
		return pd.value(ref.Name, sub)
	case "last_activity_age":
		if sub.lastActive == nil {
			return scorecard.UnknownValue(scorecard.KindDuration, "GitLab gave no last activity for the repo")
		}
		return scorecard.Duration(ageOf(now.Sub(*sub.lastActive)))
	case "last_merge_age":
		// Reached only without a repo: scoreGitLab answers for the others.
		return noRepo(scorecard.KindDuration)
	case "default_branch_protected":
		return noRepo(scorecard.KindBool)
	case "incidents_30d":
		return scorecard.UnknownValue(scorecard.KindNumber, "incidents not counted")
	}
	f, _ := scorecard.LookupFact(ref.Name)
	return scorecard.UnknownValue(f.Kind, "not collected by the catalog")
}

func firstLink(svc Service, kind string) string {
	for _, l := range svc.Links {
		if l.Kind == kind {
			return l.URL
		}
	}
	return ""
}

// fileNeed is one file fact to answer: readme, ci_config or file:GLOB.
type fileNeed struct {
	key  string
	glob *scorecard.Glob
	// rootOfRepo: matched from the repo's root, not the service's folder.
	rootOfRepo bool
	// names (exact, lower case) or [lo, hi) narrow the candidates through
	// the file-name index; nameRe (for ~*) when neither can.
	names  []string
	lo, hi string
	nameRe string
}

// readmeGlob is the readme fact's pattern.
const readmeGlob = "{README,README.*}"

// scoreFiles answers the file facts of every subject: for each need, the
// candidate files by name (through repo_files_name_idx), matched in Go
// against the path from the service's folder.
func (s *Store) scoreFiles(ctx context.Context, needs []scorecard.FactRef, byRepo map[int64][]*subject, repoIDs []int64, allRepos bool) (map[int64]map[string]scorecard.Value, error) {
	var fn []fileNeed
	for _, ref := range needs {
		switch ref.Name {
		case "readme":
			g, err := scorecard.CompileGlob(readmeGlob)
			if err != nil {
				return nil, err
			}
			fn = append(fn, fileNeed{key: ref.Key(), glob: g, lo: "readme", hi: "readmf"})
		case "ci_config":
			g, err := scorecard.CompileGlob(".gitlab-ci.yml")
			if err != nil {
				return nil, err
			}
			fn = append(fn, fileNeed{key: ref.Key(), glob: g, rootOfRepo: true, names: []string{".gitlab-ci.yml"}})
		case "file":
			g, err := scorecard.CompileGlob(ref.Param)
			if err != nil {
				return nil, fmt.Errorf("file:%s: %w", ref.Param, err)
			}
			fn = append(fn, narrow(fileNeed{key: ref.Key(), glob: g}, g.String()))
		}
	}
	out := map[int64]map[string]scorecard.Value{}
	set := func(sub *subject, key string, v scorecard.Value) {
		m := out[sub.Service.ID]
		if m == nil {
			m = map[string]scorecard.Value{}
			out[sub.Service.ID] = m
		}
		m[key] = v
	}
	for _, subs := range byRepo {
		for _, sub := range subs {
			for _, n := range fn {
				set(sub, n.key, scorecard.Bool(false))
			}
		}
	}
	var scope any
	if !allRepos {
		scope = repoIDs
	}
	for _, n := range fn {
		var (
			rows pgx.Rows
			err  error
		)
		const sel = `SELECT f.repo_id, f.path FROM repo_files f WHERE ($1::bigint[] IS NULL OR f.repo_id = ANY($1)) AND `
		switch {
		case len(n.names) > 0:
			rows, err = s.pool.Query(ctx, sel+`lower(f.name) = ANY($2) ORDER BY f.repo_id, f.path`, scope, n.names)
		case n.lo != "":
			rows, err = s.pool.Query(ctx, sel+`lower(f.name) >= $2 AND lower(f.name) < $3 AND starts_with(lower(f.name), $2)
				ORDER BY f.repo_id, f.path`, scope, n.lo, n.hi)
		default:
			rows, err = s.pool.Query(ctx, sel+`f.name ~* $2 ORDER BY f.repo_id, f.path`, scope, n.nameRe)
		}
		if err != nil {
			return nil, fmt.Errorf("files for %s: %w", n.key, err)
		}
		var (
			repoID int64
			p      string
		)
		_, err = pgx.ForEachRow(rows, []any{&repoID, &p}, func() error {
			for _, sub := range byRepo[repoID] {
				if cur := out[sub.Service.ID][n.key]; cur.Bool {
					continue // the first match (by path) is the one shown
				}
				rel := p
				if !n.rootOfRepo && sub.subpath != "" {
					if !strings.HasPrefix(p, sub.subpath+"/") {
						continue
					}
					rel = p[len(sub.subpath)+1:]
				}
				if n.glob.Match(rel) {
					set(sub, n.key, scorecard.Bool(true).At(p, 0))
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("files for %s: %w", n.key, err)
		}
	}
	return out, nil
}

// narrow sets how a glob's candidates are found by file name: its last
// segment (after the last / outside braces) compiled alone gives a
// regular expression on the name; a literal name or literal prefix uses
// the index.
func narrow(n fileNeed, pattern string) fileNeed {
	last := pattern
	depth := 0
	for i, c := range pattern {
		switch c {
		case '{':
			depth++
		case '}':
			depth--
		case '/':
			if depth == 0 {
				last = pattern[i+1:]
			}
		}
	}
	if strings.Contains(last, "**") || last == "" {
		n.nameRe = ".*"
		return n
	}
	if !strings.ContainsAny(last, "*?{") {
		n.names = []string{strings.ToLower(last)}
		return n
	}
	if i := strings.IndexAny(last, "*?{"); i > 0 {
		prefix := strings.ToLower(last[:i])
		n.lo = prefix
		n.hi = prefix[:len(prefix)-1] + string(rune(prefix[len(prefix)-1])+1)
		if !isASCII(prefix) {
			n.lo, n.hi = "", ""
		} else {
			return n
		}
	}
	g, err := scorecard.CompileGlob(last)
	if err != nil {
		n.nameRe = ".*"
		return n
	}
	n.nameRe = g.Regexp()
	return n
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// repoDeps is what a repo's dependencies say for the scorecard.
type repoDeps struct {
	// vulnerable counts the distinct dependencies (ecosystem, name,
	// version) at a version an advisory affects; firstFile and firstLine
	// are where the first (by file, line) is declared.
	vulnerable int
	firstFile  string
	firstLine  int
	// incomplete says why the graph is incomplete ("" when complete);
	// incompleteFile is the first file that makes it so.
	incomplete     string
	incompleteFile string
	// unjudged says why some versions could not be judged, when none was
	// found vulnerable.
	unjudged string
}

// scoreDependencies reads each repo's incomplete dependency files and, with
// vulnerable, its dependencies on packages some advisory names, judged
// against the advisories once per distinct version.
func (s *Store) scoreDependencies(ctx context.Context, repoIDs []int64, allRepos, vulnerable bool) (map[int64]repoDeps, error) {
	out := map[int64]repoDeps{}
	var scope any
	if !allRepos {
		scope = repoIDs
	}
	rows, err := s.pool.Query(ctx, `
		SELECT f.repo_id, f.path, f.graph, f.manifest, f.note, f.problem, f.error
		FROM dependency_files f
		WHERE ($1::bigint[] IS NULL OR f.repo_id = ANY($1))
			AND (f.problem <> '' OR f.graph IN ('flat', 'declared') OR f.note <> '')
		ORDER BY f.repo_id, f.path`, scope)
	if err != nil {
		return nil, fmt.Errorf("dependency files: %w", err)
	}
	var (
		repoID int64
		df     DependencyFile
	)
	_, err = pgx.ForEachRow(rows, []any{&repoID, &df.Path, &df.Graph, &df.Manifest, &df.Note, &df.Problem, &df.Error}, func() error {
		d := out[repoID]
		if why := df.Incomplete(); why != "" && d.incomplete == "" {
			d.incomplete, d.incompleteFile = df.Path+" "+why, df.Path
		}
		out[repoID] = d
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dependency files: %w", err)
	}
	if !vulnerable {
		return out, nil
	}

	// The packages some advisory names, with their affected ranges.
	rows, err = s.pool.Query(ctx, `
		SELECT p.advisory_id, p.ecosystem, p.name_key, p.osv_ecosystem, p.name, p.purl, p.ranges, p.versions
		FROM advisory_packages p JOIN advisories a ON a.id = p.advisory_id
		WHERE a.withdrawn IS NULL`)
	if err != nil {
		return nil, fmt.Errorf("advisory packages: %w", err)
	}
	affects := map[PackageKey][]advisories.Affects{}
	for rows.Next() {
		var (
			a      advisories.Affects
			key    PackageKey
			ranges []byte
		)
		if err := rows.Scan(&a.AdvisoryID, &a.Ecosystem, &key.NameKey, &a.Package.Ecosystem, &a.Package.Name, &a.Package.Purl, &ranges, &a.Versions); err != nil {
			rows.Close()
			return nil, fmt.Errorf("advisory packages: %w", err)
		}
		if err := json.Unmarshal(ranges, &a.Ranges); err != nil {
			rows.Close()
			return nil, fmt.Errorf("advisory %s: ranges: %w", a.AdvisoryID, err)
		}
		key.Ecosystem = a.Ecosystem
		affects[key] = append(affects[key], a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("advisory packages: %w", err)
	}
	if len(affects) == 0 {
		return out, nil
	}
	ecos, names := make([]string, 0, len(affects)), make([]string, 0, len(affects))
	for k := range affects {
		ecos, names = append(ecos, k.Ecosystem), append(names, k.NameKey)
		if k.Ecosystem == "maven" {
			// A Gradle dependency is in Maven's namespace.
			ecos, names = append(ecos, "gradle"), append(names, k.NameKey)
		}
	}
	rows, err = s.pool.Query(ctx, `
		SELECT d.repo_id, d.ecosystem, d.name, d.name_key, d.version, d.file, d.line
		FROM unnest($2::text[], $3::text[]) AS k(ecosystem, name_key)
		JOIN dependencies d ON d.name_key = k.name_key AND d.ecosystem = k.ecosystem
		WHERE ($1::bigint[] IS NULL OR d.repo_id = ANY($1))
		ORDER BY d.repo_id, d.file, d.line, d.name, d.version`, scope, ecos, names)
	if err != nil {
		return nil, fmt.Errorf("dependencies with advisories: %w", err)
	}
	type verdict struct {
		affected bool
		err      error
	}
	judged := map[PackageVersion]verdict{}
	type seenKey struct {
		repo int64
		pv   PackageVersion
	}
	seen := map[seenKey]bool{}
	var (
		eco, name, nameKey, version, file string
		line                              int
	)
	_, err = pgx.ForEachRow(rows, []any{&repoID, &eco, &name, &nameKey, &version, &file, &line}, func() error {
		pv := PackageVersion{Ecosystem: eco, NameKey: nameKey, Version: version}
		v, ok := judged[pv]
		if !ok {
			key := PackageKey{Ecosystem: eco, NameKey: nameKey}
			if eco == "gradle" {
				key.Ecosystem = "maven"
			}
			res, err := advisories.Check(affects[key], eco, name, version)
			v = verdict{affected: res.Affected, err: err}
			judged[pv] = v
		}
		d := out[repoID]
		switch {
		case v.err != nil:
			if d.unjudged == "" {
				d.unjudged = fmt.Sprintf("%s %s@%s could not be judged: %v", eco, name, version, v.err)
			}
		case v.affected && !seen[seenKey{repoID, pv}]:
			seen[seenKey{repoID, pv}] = true
			if d.vulnerable == 0 {
				d.firstFile, d.firstLine = file, line
			}
			d.vulnerable++
		}
		out[repoID] = d
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("dependencies with advisories: %w", err)
	}
	return out, nil
}

// OnCallFact is what one PagerDuty refresh read of one PagerDuty service.
type OnCallFact struct {
	// ServiceID is the PagerDuty service's id.
	ServiceID string
	// PolicyID is its escalation policy's id.
	PolicyID string
	// OnCallNow is true when someone is on call now at the policy's first
	// level.
	OnCallNow bool
	// Levels is how many levels (escalation rules) the policy has.
	Levels int
}

// PagerDutyRefresh is the state of the periodic PagerDuty refresh.
type PagerDutyRefresh struct {
	// SucceededAt is when it last succeeded; zero when never.
	SucceededAt time.Time
	// FailedAt is when it last failed; zero when never.
	FailedAt time.Time
	// LastError is why it last failed.
	LastError string
}

// Fresh reports whether facts from the refresh can be used at now: it
// succeeded within PagerDutyStale.
func (r PagerDutyRefresh) Fresh(now time.Time) bool {
	return !r.SucceededAt.IsZero() && now.Sub(r.SucceededAt) <= PagerDutyStale
}

// LastPagerDutyRefresh returns the state of the PagerDuty refresh (zero
// when it never ran).
func (s *Store) LastPagerDutyRefresh(ctx context.Context) (PagerDutyRefresh, error) {
	var (
		r        PagerDutyRefresh
		ok, fail *time.Time
	)
	err := s.pool.QueryRow(ctx, `SELECT succeeded_at, failed_at, last_error FROM pagerduty_refresh`).Scan(&ok, &fail, &r.LastError)
	if err != nil && err != pgx.ErrNoRows {
		return r, fmt.Errorf("pagerduty refresh: %w", err)
	}
	if ok != nil {
		r.SucceededAt = *ok
	}
	if fail != nil {
		r.FailedAt = *fail
	}
	return r, nil
}

// PutPagerDutyFacts replaces the PagerDuty facts with those of a refresh
// that succeeded at at, and returns the ids of the active services whose
// facts changed (a fact added, removed or different).
func (s *Store) PutPagerDutyFacts(ctx context.Context, facts []OnCallFact, at time.Time) ([]int64, error) {
	ids := make([]string, len(facts))
	pols := make([]string, len(facts))
	now := make([]bool, len(facts))
	levels := make([]int32, len(facts))
	for i, f := range facts {
		ids[i], pols[i], now[i], levels[i] = f.ServiceID, f.PolicyID, f.OnCallNow, int32(f.Levels)
	}
	var changed []int64
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// One refresh at a time writes.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('switchboard:pagerduty_facts'))`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			WITH n AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bool[], $4::int[]) AS n(id, policy, oncall, levels)),
			gone AS (DELETE FROM pagerduty_facts f WHERE NOT EXISTS (SELECT 1 FROM n WHERE n.id = f.pagerduty_service_id)
				RETURNING f.pagerduty_service_id AS id),
			diff AS (SELECT n.id FROM n LEFT JOIN pagerduty_facts f ON f.pagerduty_service_id = n.id
				WHERE f.pagerduty_service_id IS NULL OR f.oncall_now <> n.oncall OR f.levels <> n.levels),
			up AS (INSERT INTO pagerduty_facts (pagerduty_service_id, policy_id, oncall_now, levels, fetched_at)
				SELECT id, policy, oncall, levels, $5 FROM n
				ON CONFLICT (pagerduty_service_id) DO UPDATE SET policy_id = EXCLUDED.policy_id,
					oncall_now = EXCLUDED.oncall_now, levels = EXCLUDED.levels, fetched_at = EXCLUDED.fetched_at)
			SELECT s.id FROM services s
			WHERE s.status = 'active' AND s.pagerduty_service_id IN (SELECT id FROM gone UNION SELECT id FROM diff)
			ORDER BY s.id`, ids, pols, now, levels, at)
		if err != nil {
			return err
		}
		if changed, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO pagerduty_refresh (id, succeeded_at) VALUES (true, $1)
			ON CONFLICT (id) DO UPDATE SET succeeded_at = EXCLUDED.succeeded_at`, at)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store pagerduty facts: %w", err)
	}
	return changed, nil
}

// PagerDutyRefreshFailed records that a refresh failed at at, and why; the
// facts stay, to be unknown once older than PagerDutyStale.
func (s *Store) PagerDutyRefreshFailed(ctx context.Context, at time.Time, why string) error {
	if _, err := s.pool.Exec(ctx, `
		INSERT INTO pagerduty_refresh (id, failed_at, last_error) VALUES (true, $1, $2)
		ON CONFLICT (id) DO UPDATE SET failed_at = EXCLUDED.failed_at, last_error = EXCLUDED.last_error`, at, why); err != nil {
		return fmt.Errorf("pagerduty refresh failed: %w", err)
	}
	return nil
}

// PagerDutyServices returns the ids of the active services that name a
// PagerDuty service or integration key: those whose PagerDuty facts a
// refresh can change.
func (s *Store) PagerDutyServices(ctx context.Context) ([]int64, error) {
	ids, err := queryIDs(ctx, s.pool, "services on pagerduty", `
		SELECT id FROM services WHERE status = 'active' AND (pagerduty_service_id <> '' OR pagerduty_integration_key <> '')
		ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// pdFacts are the PagerDuty facts of the services being collected.
type pdFacts struct {
	refresh PagerDutyRefresh
	fresh   bool
	byID    map[string]OnCallFact
}

func (s *Store) scorePagerDuty(ctx context.Context, subs []*subject, now time.Time) (*pdFacts, error) {
	r, err := s.LastPagerDutyRefresh(ctx)
	if err != nil {
		return nil, err
	}
	pd := &pdFacts{refresh: r, fresh: r.Fresh(now), byID: map[string]OnCallFact{}}
	if !pd.fresh {
		return pd, nil
	}
	var ids []string
	for _, sub := range subs {
		if id := sub.Service.PagerDutyServiceID; id != "" && !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	rows, err := s.pool.Query(ctx, `
		SELECT pagerduty_service_id, policy_id, oncall_now, levels FROM pagerduty_facts
		WHERE pagerduty_service_id = ANY($1)`, ids)
	if err != nil {
		return nil, fmt.Errorf("pagerduty facts: %w", err)
	}
	var f OnCallFact
	_, err = pgx.ForEachRow(rows, []any{&f.ServiceID, &f.PolicyID, &f.OnCallNow, &f.Levels}, func() error {
		pd.byID[f.ServiceID] = f
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pagerduty facts: %w", err)
	}
	return pd, nil
}

// value is oncall_now or escalation_levels of a service.
func (pd *pdFacts) value(name string, sub *subject) scorecard.Value {
	kind := scorecard.KindBool
	if name == "escalation_levels" {
		kind = scorecard.KindNumber
	}
	known := func(oncall bool, levels int) scorecard.Value {
		v := scorecard.Bool(oncall)
		if kind == scorecard.KindNumber {
			v = scorecard.Number(float64(levels))
		}
		return v
	}
	svc := &sub.Service
	const field = "metadata.annotations.pagerduty.com/service-id"
	switch {
	case svc.PagerDutyServiceID == "" && svc.PagerDutyIntegrationKey == "":
		return sub.at(known(false, 0), field)
	case svc.PagerDutyServiceID == "":
		return scorecard.UnknownValue(kind, "the descriptor gives only a PagerDuty integration key: the service id (annotation pagerduty.com/service-id) is needed to ask who is on call")
	case !pd.fresh:
		why := "PagerDuty has not been asked yet"
		switch {
		case !pd.refresh.SucceededAt.IsZero():
			why = "PagerDuty not answered since " + pd.refresh.SucceededAt.UTC().Format("2006-01-02 15:04 UTC")
			if pd.refresh.LastError != "" {
				why += ": " + pd.refresh.LastError
			}
		case pd.refresh.LastError != "":
			why = "PagerDuty did not answer: " + pd.refresh.LastError
		}
		return scorecard.UnknownValue(kind, why)
	}
	f, ok := pd.byID[svc.PagerDutyServiceID]
	if !ok {
		// PagerDuty answered and has no such service.
		return sub.at(known(false, 0), field)
	}
	return known(f.OnCallNow, f.Levels)
}
