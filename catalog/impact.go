package catalog

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/switchboard-dev/switchboard/advisories"
)

// ImpactHit is one repo an impact question found: the dependency or file
// that matched, and the services that live in the repo with their owners.
type ImpactHit struct {
	Repo Repo
	// Dependency is the matching dependency; zero for file questions.
	Dependency Dependency
	// From is the record of the dependency file the dependency was read
	// from: how much of the graph it tells (Graph, Note).
	From DependencyFile
	// File is the matching path for file questions.
	File string
	// Services live in the repo, by name; empty when none is catalogued.
	// Each carries what an answer names of it: ID, Namespace, Name and
	// Team (the rest is one Profile(ID) away). An answer lists thousands
	// of hits: their services' full records would be most of its cost.
	Services []Service
}

// dependencyColumns are a hit's dependency and its file's record, from
// dependencies d, repos r and dependency_files f (left joined).
const dependencyColumns = `d.ecosystem, d.name, d.version, d.file, d.line, d.source, d.direct, d.via, d.scope,
	COALESCE(f.graph, ''), COALESCE(f.note, ''), COALESCE(f.manifest, ''), d.version_from`

const dependencyJoins = `FROM dependencies d JOIN repos r ON r.id = d.repo_id
	LEFT JOIN dependency_files f ON f.repo_id = d.repo_id AND f.path = d.source`

// nameMatch picks the dependencies d called $1, as DependentRepos
// matches names: the artifact part or the full name, ignoring case (each
// side has its index: dependencies_artifact_idx, dependencies_name_idx).
const nameMatch = `(d.artifact = lower($1) OR lower(d.name) = lower($1))`

// hitChunk is how many hits scanHits reads into one chunk.
const hitChunk = 512

// scanHits reads the rows of a hit statement (repoColumns, then
// dependencyColumns), in order. A few thousand rows are one answer, and a
// hit is large: each row is read straight into its place in a chunk (by a
// hitDecoder), and the chunks copied once into a slice of the right size
// (rather than grown by a quarter at a time).
func scanHits(rows pgx.Rows) ([]ImpactHit, error) {
	defer rows.Close()
	var (
		chunks [][]ImpactHit
		n      int
		dec    = newHitDecoder(rows)
	)
	for rows.Next() {
		if len(chunks) == 0 || len(chunks[len(chunks)-1]) == hitChunk {
			chunks = append(chunks, make([]ImpactHit, 0, hitChunk))
		}
		c := &chunks[len(chunks)-1]
		*c = append(*c, ImpactHit{})
		n++
		if err := dec.decode(rows, &(*c)[len(*c)-1]); err != nil {
			return nil, err
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	hits := make([]ImpactHit, 0, n)
	for _, c := range chunks {
		hits = append(hits, c...)
	}
	return hits, nil
}

// hitColumns is how many columns a hit row has: repoColumns, then
// dependencyColumns.
const hitColumns = 24

// Kinds of hit columns, for hitDecoder.
const (
	hitOther  = iota
	hitText   // text, read as is (a repo's path, URL, commit)
	hitShared // text an answer repeats (ecosystem, name, version, file), interned
)

// hitColumnKinds are the kinds of the columns of a hit row.
var hitColumnKinds = [hitColumns]uint8{2: hitText, 3: hitShared, 4: hitText, 8: hitText, 9: hitShared, 10: hitShared,
	11: hitShared, 12: hitShared, 13: hitShared, 14: hitShared, 16: hitShared, 19: hitShared, 20: hitShared, 21: hitShared, 22: hitShared, 23: hitShared}

// hitDecoder reads hit rows from their raw values. An answer's thousands
// of rows repeat the same few ecosystems, names, versions, files and
// chains: text columns (the same bytes in text and binary format) are
// interned, a repo's columns are read once for its consecutive rows, and
// the other columns go through pgx's own scan plans. When the columns are
// not of the types expected, rows are scanned one by one.
type hitDecoder struct {
	fast   bool
	fields []pgconn.FieldDescription
	m      *pgtype.Map
	plans  [hitColumns]pgtype.ScanPlan
	intern map[string]string
	prev   Repo // the previous row's repo (ID 0: none)
}

func newHitDecoder(rows pgx.Rows) *hitDecoder {
	d := &hitDecoder{fields: rows.FieldDescriptions(), intern: map[string]string{}}
	if len(d.fields) != hitColumns || rows.Conn() == nil {
		return d
	}
	for i, f := range d.fields {
		if hitColumnKinds[i] != hitOther && f.DataTypeOID != pgtype.TextOID {
			return d
		}
	}
	d.m = rows.Conn().TypeMap()
	d.fast = true
	return d
}

// scan reads column i into target (always of the same type for a column)
// through pgx's plan for it.
func (d *hitDecoder) scan(raw [][]byte, i int, target any) error {
	if d.plans[i] == nil {
		d.plans[i] = d.m.PlanScan(d.fields[i].DataTypeOID, d.fields[i].Format, target)
	}
	if err := d.plans[i].Scan(raw[i], target); err != nil {
		return fmt.Errorf("column %s: %w", d.fields[i].Name, err)
	}
	return nil
}

// text reads text column i.
func (d *hitDecoder) text(raw [][]byte, i int) (string, error) {
	b := raw[i]
	if b == nil {
		return "", fmt.Errorf("column %s: cannot scan NULL into a string", d.fields[i].Name)
	}
	if hitColumnKinds[i] == hitText {
		return string(b), nil
	}
	return d.str(b), nil
}

// str interns b.
func (d *hitDecoder) str(b []byte) string {
	if s, ok := d.intern[string(b)]; ok {
		return s
	}
	s := string(b)
	d.intern[s] = s
	return s
}

// decode reads the current row into h.
func (d *hitDecoder) decode(rows pgx.Rows, h *ImpactHit) error {
	r, dep, f := &h.Repo, &h.Dependency, &h.From
	if !d.fast {
		var last pgtype.Timestamptz
		if err := rows.Scan(&r.ID, &r.GitLabID, &r.Path, &r.DefaultBranch, &r.WebURL, &r.Archived, &r.Forked,
			&last, &r.LastCommit, &r.DescriptorStatus, &r.DescriptorPath,
			&dep.Ecosystem, &dep.Name, &dep.Version, &dep.File, &dep.Line, &dep.Source, &dep.Direct, &dep.Via, &dep.Scope,
			&f.Graph, &f.Note, &f.Manifest, &dep.VersionFrom); err != nil {
			return err
		}
		if last.Valid {
			r.LastActivityAt = last.Time
		}
	} else {
		raw := rows.RawValues()
		if err := d.scan(raw, 0, &r.ID); err != nil {
			return err
		}
		if r.ID != 0 && r.ID == d.prev.ID {
			*r = d.prev
		} else if err := d.repo(raw, r); err != nil {
			return err
		}
		var err error
		for i, to := range [...]*string{11: &dep.Ecosystem, 12: &dep.Name, 13: &dep.Version, 14: &dep.File, 16: &dep.Source,
			19: &dep.Scope, 20: &f.Graph, 21: &f.Note, 22: &f.Manifest, 23: &dep.VersionFrom} {
			if to == nil {
				continue
			}
			if *to, err = d.text(raw, i); err != nil {
				return err
			}
		}
		if err := d.scan(raw, 15, &dep.Line); err != nil {
			return err
		}
		if err := d.scan(raw, 17, &dep.Direct); err != nil {
			return err
		}
		if dep.Via, err = d.via(raw); err != nil {
			return err
		}
	}
	if len(dep.Via) == 0 {
		dep.Via = nil
	}
	f.Path = dep.Source
	return nil
}

// repo reads the repo columns of a row into r, and keeps it for the
// repo's next rows.
func (d *hitDecoder) repo(raw [][]byte, r *Repo) error {
	var (
		last pgtype.Timestamptz
		err  error
	)
	if err := d.scan(raw, 1, &r.GitLabID); err != nil {
		return err
	}
	if err := d.scan(raw, 5, &r.Archived); err != nil {
		return err
	}
	if err := d.scan(raw, 6, &r.Forked); err != nil {
		return err
	}
	if err := d.scan(raw, 7, &last); err != nil {
		return err
	}
	if last.Valid {
		r.LastActivityAt = last.Time
	}
	for i, to := range [...]*string{2: &r.Path, 3: &r.DefaultBranch, 4: &r.WebURL, 8: &r.LastCommit, 9: &r.DescriptorStatus, 10: &r.DescriptorPath} {
		if to == nil {
			continue
		}
		if *to, err = d.text(raw, i); err != nil {
			return err
		}
	}
	d.prev = *r
	return nil
}

// via reads the chain column (text[]), its elements interned: from the
// binary array format (one dimension, no NULL), else through pgx.
func (d *hitDecoder) via(raw [][]byte) ([]string, error) {
	const i = 18
	b := raw[i]
	if d.fields[i].Format != pgtype.BinaryFormatCode || d.fields[i].DataTypeOID != pgtype.TextArrayOID || b == nil {
		var via []string
		err := d.scan(raw, i, &via)
		return via, err
	}
	bad := func() error {
		return fmt.Errorf("column %s: malformed text[] of %d bytes", d.fields[i].Name, len(raw[i]))
	}
	if len(b) < 12 {
		return nil, bad()
	}
	ndim := int32(binary.BigEndian.Uint32(b))
	if ndim == 0 {
		return nil, nil
	}
	if ndim != 1 || len(b) < 20 {
		return nil, bad()
	}
	n := int32(binary.BigEndian.Uint32(b[12:]))
	if n < 0 || int(n) > (len(b)-20)/4 {
		return nil, bad()
	}
	out := make([]string, n)
	b = b[20:]
	for k := range out {
		if len(b) < 4 {
			return nil, bad()
		}
		l := int32(binary.BigEndian.Uint32(b))
		if l < 0 || int(l) > len(b)-4 {
			return nil, bad() // NULL or truncated
		}
		out[k] = d.str(b[4 : 4+l])
		b = b[4+l:]
	}
	return out, nil
}

// hitsWithServices runs a hit statement (hitsSQL: repoColumns and
// dependencyColumns, in the answer's order) and the statement of the
// services of the repos it may name (repoIDs: a SELECT of repo ids over
// the same arguments) in one round trip, and attaches each repo's
// services to its hits. scan reads the hit rows (scanHits when nil).
func (s *Store) hitsWithServices(ctx context.Context, scan func(pgx.Rows) ([]ImpactHit, error), hitsSQL, repoIDs string, args ...any) ([]ImpactHit, error) {
	var b pgx.Batch
	b.Queue(hitsSQL, args...)
	b.Queue(servicesOfRepos(`sr.repo_id IN (`+repoIDs+`)`), args...)
	br := s.pool.SendBatch(ctx, &b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	if scan == nil {
		scan = scanHits
	}
	hits, err := scan(rows)
	if err != nil {
		return nil, err
	}
	rows, err = br.Query()
	if err != nil {
		return nil, fmt.Errorf("services of repos: %w", err)
	}
	byRepo, err := scanServicesByRepo(rows)
	if err != nil {
		return nil, err
	}
	if err := br.Close(); err != nil {
		return nil, err
	}
	for i := range hits {
		hits[i].Services = byRepo[hits[i].Repo.ID]
	}
	return hits, nil
}

// DependentRepos returns every repo with a dependency called name: the
// full name ("org.apache.logging.log4j:log4j-core") or its artifact part
// ("log4j-core"), ignoring case; direct and transitive ones, each with
// its chain, and the services of its repo. Each dependency occurrence
// (file) is one hit. Deleted repos are left out. One round trip.
func (s *Store) DependentRepos(ctx context.Context, name string) ([]ImpactHit, error) {
	name = strings.TrimSpace(name)
	hits, err := s.hitsWithServices(ctx, nil, `
		SELECT `+repoColumns+`, `+dependencyColumns+`
		`+dependencyJoins+`
		WHERE `+nameMatch+` AND r.deleted_at IS NULL
		ORDER BY r.path, d.source, d.name, d.version`,
		`SELECT d.repo_id FROM dependencies d WHERE `+nameMatch, name)
	if err != nil {
		return nil, fmt.Errorf("dependents of %s: %w", name, err)
	}
	return hits, nil
}

// EcosystemsOf returns the ecosystems in which some repo (not deleted)
// depends on a package called name (as DependentRepos matches it),
// sorted.
func (s *Store) EcosystemsOf(ctx context.Context, name string) ([]string, error) {
	name = strings.TrimSpace(name)
	// The ecosystems of every matching row, then for each (a handful)
	// the first row of a repo not deleted: a few index probes rather
	// than a join of every row with repos.
	rows, err := s.pool.Query(ctx, `
		SELECT e.ecosystem FROM (SELECT DISTINCT d.ecosystem FROM dependencies d WHERE `+nameMatch+`) e
		WHERE EXISTS (SELECT 1 FROM (
			SELECT 1 FROM dependencies d JOIN repos r ON r.id = d.repo_id
			WHERE `+nameMatch+` AND d.ecosystem = e.ecosystem AND r.deleted_at IS NULL LIMIT 1) x)
		ORDER BY 1`, name)
	if err != nil {
		return nil, fmt.Errorf("ecosystems of %s: %w", name, err)
	}
	ecos, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("ecosystems of %s: %w", name, err)
	}
	return ecos, nil
}

// EntryRef names the direct dependency a chain starts from: in the repo's
// dependency file Source, the package "name@version" of Via[0].
type EntryRef struct {
	RepoID                           int64
	Source, Ecosystem, Name, Version string
}

// Declarations returns where each direct dependency is declared (File and
// Line: the line to change to move a transitive one), for those found; one
// primary-key lookup each.
func (s *Store) Declarations(ctx context.Context, refs []EntryRef) (map[EntryRef]Dependency, error) {
	out := map[EntryRef]Dependency{}
	if len(refs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(refs))
	srcs, ecos, names, vers := make([]string, len(refs)), make([]string, len(refs)), make([]string, len(refs)), make([]string, len(refs))
	for i, r := range refs {
		ids[i], srcs[i], ecos[i], names[i], vers[i] = r.RepoID, r.Source, r.Ecosystem, r.Name, r.Version
	}
	rows, err := s.pool.Query(ctx, `
		SELECT k.repo_id, k.source, k.ecosystem, k.name, k.version, d.file, d.line
		FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[]) AS k(repo_id, source, ecosystem, name, version)
		JOIN dependencies d ON d.repo_id = k.repo_id AND d.source = k.source AND d.ecosystem = k.ecosystem
			AND d.name = k.name AND d.version = k.version`, ids, srcs, ecos, names, vers)
	if err != nil {
		return nil, fmt.Errorf("declarations: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r EntryRef
		var d Dependency
		if err := rows.Scan(&r.RepoID, &r.Source, &r.Ecosystem, &r.Name, &r.Version, &d.File, &d.Line); err != nil {
			return nil, fmt.Errorf("declarations: %w", err)
		}
		d.Ecosystem, d.Name, d.Version, d.Source, d.Direct = r.Ecosystem, r.Name, r.Version, r.Source, true
		out[r] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("declarations: %w", err)
	}
	return out, nil
}

// PackageKey names a package as advisories do: an ecosystem of the
// dependencies (depfile's names) and the name's key (advisories.NameKey:
// PEP 503 for PyPI, lower case otherwise).
type PackageKey struct {
	Ecosystem, NameKey string
}

// AdvisoryKeys are the packages, in the dependencies' ecosystems, that an
// advisory's affected packages (advisories.Store.Packages) name: what
// VersionsInUse is asked about. Each once, in order.
func AdvisoryKeys(pkgs []advisories.Affects) []PackageKey {
	seen := map[PackageKey]bool{}
	var keys []PackageKey
	for _, p := range pkgs {
		for _, eco := range advisories.DependencyEcosystems(p.Ecosystem) {
			k := PackageKey{Ecosystem: eco, NameKey: advisories.NameKey(p.Package.Ecosystem, p.Package.Name)}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	return keys
}

// PackageVersion is one version of a package in use.
type PackageVersion struct {
	Ecosystem, NameKey, Version string
}

// VersionsInUse returns the distinct versions of the packages that some
// repo (not deleted) depends on, in any file: what /impact ADVISORY
// checks against the advisory's ranges, one check per version rather than
// per repo.
func (s *Store) VersionsInUse(ctx context.Context, keys []PackageKey) ([]PackageVersion, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	ecos, names := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		ecos[i], names[i] = k.Ecosystem, k.NameKey
	}
	// A loose index scan of dependencies_name_key_idx: one probe per
	// distinct version (a package has a few dozen in use, against
	// thousands of rows), then for each the first row of a repo not
	// deleted.
	rows, err := s.pool.Query(ctx, `
		WITH RECURSIVE v AS (
			SELECT k.ecosystem, k.name_key, (SELECT min(d.version) FROM dependencies d
				WHERE d.name_key = k.name_key AND d.ecosystem = k.ecosystem) AS version
			FROM unnest($1::text[], $2::text[]) AS k(ecosystem, name_key)
			UNION ALL
			SELECT v.ecosystem, v.name_key, (SELECT min(d.version) FROM dependencies d
				WHERE d.name_key = v.name_key AND d.ecosystem = v.ecosystem AND d.version > v.version)
			FROM v WHERE v.version IS NOT NULL)
		SELECT DISTINCT v.ecosystem, v.name_key, v.version FROM v
		WHERE v.version IS NOT NULL AND EXISTS (SELECT 1 FROM (
			SELECT 1 FROM dependencies d JOIN repos r ON r.id = d.repo_id
			WHERE d.name_key = v.name_key AND d.ecosystem = v.ecosystem AND d.version = v.version AND r.deleted_at IS NULL
			LIMIT 1) x)
		ORDER BY 1, 2, 3`, ecos, names)
	if err != nil {
		return nil, fmt.Errorf("versions in use: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (PackageVersion, error) {
		var v PackageVersion
		return v, r.Scan(&v.Ecosystem, &v.NameKey, &v.Version)
	})
	if err != nil {
		return nil, fmt.Errorf("versions in use: %w", err)
	}
	return out, nil
}

// ReposUsing returns every dependency on one of the given package
// versions, with its repo, chain and services, as DependentRepos does
// (one round trip).
func (s *Store) ReposUsing(ctx context.Context, versions []PackageVersion) ([]ImpactHit, error) {
	if len(versions) == 0 {
		return nil, nil
	}
	ecos, names, vers := make([]string, len(versions)), make([]string, len(versions)), make([]string, len(versions))
	for i, v := range versions {
		ecos[i], names[i], vers[i] = v.Ecosystem, v.NameKey, v.Version
	}
	const using = `FROM unnest($1::text[], $2::text[], $3::text[]) AS k(ecosystem, name_key, version)
		JOIN dependencies d ON d.name_key = k.name_key AND d.ecosystem = k.ecosystem AND d.version = k.version`
	hits, err := s.hitsWithServices(ctx, nil, `
		SELECT `+repoColumns+`, `+dependencyColumns+`
		`+using+`
		JOIN repos r ON r.id = d.repo_id
		LEFT JOIN dependency_files f ON f.repo_id = d.repo_id AND f.path = d.source
		WHERE r.deleted_at IS NULL
		ORDER BY r.path, d.source, d.name, d.version`,
		`SELECT d.repo_id `+using, ecos, names, vers)
	if err != nil {
		return nil, fmt.Errorf("repos using %d versions: %w", len(versions), err)
	}
	return hits, nil
}

// GraphGaps says how many repos have an incomplete dependency graph, and
// lists some of them with why: a package question's answer is only as
// complete as these graphs.
type GraphGaps struct {
	// Repos counts the repos (not deleted) with at least one dependency
	// file that leaves their graph incomplete, of the ecosystems asked
	// about (a file not read or not parsed counts whatever the ecosystem).
	Repos int
	// Unread, Unparsable, DeclaredOnly, Flat and Noted count repos by
	// reason (a repo may count under several).
	Unread, Unparsable, DeclaredOnly, Flat, Noted int
	// List holds up to the limit asked for: repos with files not read or
	// not parsed first, then the others, by path.
	List []RepoGap
}

// RepoGap is a repo whose graph is incomplete, and the files that make it
// so.
type RepoGap struct {
	Repo  Repo
	Files []DependencyFile
	// Services live in the repo, as ImpactHit.Services.
	Services []Service
}

// gapWhere picks the dependency files f that leave a graph incomplete, of
// ecosystems $1 (any when empty).
const gapWhere = `(f.problem <> '' OR ((f.graph IN ('flat', 'declared') OR f.note <> '') AND
	(cardinality($1::text[]) = 0 OR EXISTS (
		SELECT 1 FROM dependencies d WHERE d.repo_id = f.repo_id AND d.source = f.path AND d.ecosystem = ANY($1)))))`

// GraphGaps counts the repos whose graph is incomplete for packages of
// the given ecosystems (depfile's names; any when none), and lists up to
// limit of them.
func (s *Store) GraphGaps(ctx context.Context, ecosystems []string, limit int) (GraphGaps, error) {
	if ecosystems == nil {
		ecosystems = []string{}
	}
	if limit < 0 {
		limit = 0
	}
	// One statement: the files that leave a graph incomplete, counted by
	// repo and reason (each repo's reasons found in one pass), and the first limit repos' files with the repo's
	// services (as servicesOfRepos: one array a field, by name), each
	// row carrying the counts (a row of counts alone when none is
	// listed).
	rows, err := s.pool.Query(ctx, `
		WITH gap AS MATERIALIZED (
			SELECT f.repo_id, f.path, f.graph, f.manifest, f.note, f.problem, f.error, r.path AS repo_path
			FROM dependency_files f
			-- The repo of each file, if not deleted: a probe each (a few
			-- hundred files), not a join with every repo.
			CROSS JOIN LATERAL (SELECT r.path FROM repos r WHERE r.id = f.repo_id AND r.deleted_at IS NULL LIMIT 1) r
			WHERE `+gapWhere+`),
		per_repo AS (
			SELECT repo_id, min(repo_path) AS repo_path, bool_or(problem <> '') AS any_problem,
			       bool_or(problem IN ('not_found', 'too_large', 'timeout', 'error')) AS unread,
			       bool_or(problem = 'unparsable') AS unparsable,
			       bool_or(problem = '' AND graph = 'declared') AS declared,
			       bool_or(problem = '' AND graph = 'flat') AS flat,
			       bool_or(problem = '' AND graph NOT IN ('flat', 'declared') AND note <> '') AS noted
			FROM gap GROUP BY repo_id),
		counts AS (
			SELECT count(*) AS repos, count(*) FILTER (WHERE unread) AS unread, count(*) FILTER (WHERE unparsable) AS unparsable,
			       count(*) FILTER (WHERE declared) AS declared, count(*) FILTER (WHERE flat) AS flat, count(*) FILTER (WHERE noted) AS noted
			FROM per_repo),
		picked AS (
			SELECT repo_id, any_problem AS unread, repo_path FROM per_repo ORDER BY 2 DESC, 3 LIMIT $2),
		services AS (
			SELECT p.repo_id, array_agg(s.id ORDER BY s.name) AS ids, array_agg(s.namespace ORDER BY s.name) AS namespaces,
			       array_agg(s.name ORDER BY s.name) AS names, array_agg(COALESCE(t.name, '') ORDER BY s.name) AS teams
			FROM picked p JOIN service_repos sr ON sr.repo_id = p.repo_id JOIN services s ON s.id = sr.service_id
			LEFT JOIN teams t ON t.id = s.team_id
			GROUP BY p.repo_id),
		listed AS (
			SELECT p.unread, `+repoColumns+`, g.path AS file_path, g.graph, g.manifest, g.note, g.problem, g.error,
			       sv.ids AS service_ids, sv.namespaces AS service_namespaces, sv.names AS service_names, sv.teams AS service_teams
			FROM picked p JOIN gap g ON g.repo_id = p.repo_id JOIN repos r ON r.id = p.repo_id
			LEFT JOIN services sv ON sv.repo_id = p.repo_id)
		SELECT c.repos, c.unread, c.unparsable, c.declared, c.flat, c.noted, l.*
		FROM counts c LEFT JOIN listed l ON true
		ORDER BY l.unread DESC, l.path, l.file_path`, ecosystems, limit)
	if err != nil {
		return GraphGaps{}, fmt.Errorf("incomplete graphs: %w", err)
	}
	var g GraphGaps
	for rows.Next() {
		var (
			unread            *bool
			id, gitlabID      *int64
			path, branch, url *string
			archived, forked  *bool
			last              *time.Time
			commit, status    *string
			descPath          *string
			fpath, graph      *string
			manifest, note    *string
			problem, msg      *string
			svcIDs            []int64
			svcNamespaces     []string
			svcNames          []string
			svcTeams          []string
		)
		if err := rows.Scan(&g.Repos, &g.Unread, &g.Unparsable, &g.DeclaredOnly, &g.Flat, &g.Noted,
			&unread, &id, &gitlabID, &path, &branch, &url, &archived, &forked, &last, &commit, &status, &descPath,
			&fpath, &graph, &manifest, &note, &problem, &msg, &svcIDs, &svcNamespaces, &svcNames, &svcTeams); err != nil {
			rows.Close()
			return GraphGaps{}, fmt.Errorf("incomplete graphs: %w", err)
		}
		if id == nil {
			continue // no repo listed
		}
		file := DependencyFile{Path: *fpath, Graph: *graph, Manifest: *manifest, Note: *note, Problem: *problem, Error: *msg}
		// A repo's files are consecutive rows.
		if n := len(g.List); n > 0 && g.List[n-1].Repo.ID == *id {
			g.List[n-1].Files = append(g.List[n-1].Files, file)
			continue
		}
		gap := RepoGap{Repo: Repo{ID: *id, GitLabID: *gitlabID, Path: *path, DefaultBranch: *branch, WebURL: *url, Archived: *archived,
			Forked: *forked, LastCommit: *commit, DescriptorStatus: *status, DescriptorPath: *descPath}, Files: []DependencyFile{file}}
		if last != nil {
			gap.Repo.LastActivityAt = *last
		}
		for i, sid := range svcIDs {
			gap.Services = append(gap.Services, Service{ID: sid, Namespace: svcNamespaces[i], Name: svcNames[i], Team: svcTeams[i]})
		}
		g.List = append(g.List, gap)
	}
	if err := rows.Err(); err != nil {
		return GraphGaps{}, fmt.Errorf("incomplete graphs: %w", err)
	}
	return g, nil
}

// ReposWithFile returns every repo with a file matching pattern: a file
// name ("log4j2.xml": anywhere in the tree), a path ("src/main/log4j2.xml"),
// or a glob with * and ? ("**/log4j*.xml", "*.tf"). At most limit hits.
func (s *Store) ReposWithFile(ctx context.Context, pattern string, limit int) ([]ImpactHit, error) {
	pattern = strings.TrimSpace(strings.TrimPrefix(pattern, "/"))
	var where string
	var arg string
	switch {
	case strings.ContainsAny(pattern, "*?"):
		// A glob: "*" and "**" both match across folders here.
		where = `lower(f.path) LIKE $1 ESCAPE '\'`
		arg = globToLike(strings.ToLower(strings.ReplaceAll(pattern, "**/", "*")))
		if !strings.Contains(pattern, "/") {
			where = `lower(f.name) LIKE $1 ESCAPE '\'`
		}
	case strings.Contains(pattern, "/"):
		where, arg = `lower(f.path) = lower($1)`, pattern
	default:
		where, arg = `lower(f.name) = lower($1)`, pattern
	}
	found := `FROM repo_files f JOIN repos r ON r.id = f.repo_id
		WHERE ` + where + ` AND r.deleted_at IS NULL
		ORDER BY r.path, f.path LIMIT $2`
	hits, err := s.hitsWithServices(ctx, func(rows pgx.Rows) ([]ImpactHit, error) {
		return pgx.CollectRows(rows, func(r pgx.CollectableRow) (ImpactHit, error) {
			var h ImpactHit
			var err error
			h.Repo, err = scanRepo(r, &h.File)
			return h, err
		})
	}, `SELECT `+repoColumns+`, f.path `+found, `SELECT f.repo_id `+found, arg, limit)
	if err != nil {
		return nil, fmt.Errorf("repos with %s: %w", pattern, err)
	}
	return hits, nil
}

// globToLike turns a glob into a LIKE pattern, escaping LIKE's own
// wildcards.
func globToLike(glob string) string {
	var b strings.Builder
	for _, r := range glob {
		switch r {
		case '*':
			b.WriteByte('%')
		case '?':
			b.WriteByte('_')
		case '%', '_', '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// servicesOfRepos selects the services of the repos service_repos sr
// that where picks, what an answer names of them (see
// ImpactHit.Services), by repo then name.
func servicesOfRepos(where string) string {
	return `
		SELECT sr.repo_id, s.id, s.namespace, s.name, COALESCE(t.name, '')
		FROM service_repos sr JOIN services s ON s.id = sr.service_id LEFT JOIN teams t ON t.id = s.team_id
		WHERE ` + where + ` ORDER BY sr.repo_id, s.name`
}

// scanServicesByRepo reads the rows of servicesOfRepos, by repo: each
// repo's services are a slice of one array.
func scanServicesByRepo(rows pgx.Rows) (map[int64][]Service, error) {
	defer rows.Close()
	// Read into small rows first: a Service is large, and only these
	// fields of it are filled.
	type row struct {
		repoID, id            int64
		namespace, name, team string
	}
	var (
		read []row
		r    row
	)
	for rows.Next() {
		if err := rows.Scan(&r.repoID, &r.id, &r.namespace, &r.name, &r.team); err != nil {
			return nil, fmt.Errorf("services of repos: %w", err)
		}
		read = append(read, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("services of repos: %w", err)
	}
	all, repos := make([]Service, len(read)), make([]int64, len(read))
	for i, r := range read {
		all[i], repos[i] = Service{ID: r.id, Namespace: r.namespace, Name: r.name, Team: r.team}, r.repoID
	}
	byRepo := make(map[int64][]Service, len(read))
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && repos[j] == repos[i] {
			j++
		}
		byRepo[repos[i]] = all[i:j:j]
		i = j
	}
	return byRepo, nil
}
