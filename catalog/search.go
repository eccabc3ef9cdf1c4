package catalog

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// SearchHit is one service a search found, with why.
type SearchHit struct {
	Service Service
	// Rank orders the hits, higher first, in tiers: 100 for the exact
	// name or an alias; then 10 times the share of the query's words the
	// service matches (Coverage: a service matching more of the words comes
	// first, whichever fields they are in); then, within a tier, a third
	// of: 0.5 when it matches the query as websearch_to_tsquery reads it
	// (every word, and "phrases" as phrases), half of ts_rank with weights
	// D..A 0.1, 0.2, 0.4, 1.0 (a word in the name counts more than one in
	// the README), and the trigram similarity of a one-word query to the
	// name or an alias (misspellings). The last part stays under 0.7, less
	// than one word of the twelve read moves the tier.
	Rank float64
	// Why says, field by field, what matched: `description: "Issues
	// invoices and credit notes."`. Plain text: renderers escape it.
	Why []string
	// Matches are Why's parts, for renderers that highlight the words.
	Matches []SearchMatch
	// Coverage is the share of the query's words (stop words aside) that
	// the service matched, 0..1.
	Coverage float64
}

// SearchMatch is one field of a service that matched a search.
type SearchMatch struct {
	// Field is "name", "alias", "title", "team", "api" (an API it
	// provides), "description", "tag", "link", "language", "framework" or
	// "readme".
	Field string
	// Text is the field's text, or an excerpt of it around the words that
	// matched, with "…" where it was cut.
	Text string
	// Words are the words of Text that matched the query, as they appear
	// in Text.
	Words []string
	// Similar is set for a name or alias found by trigram similarity (a
	// misspelling) rather than by its words.
	Similar bool
	// Exact is set for a name or alias equal to the query (ignoring case).
	Exact bool
}

// String is the match as one line of "why": `field: "text"`.
func (m SearchMatch) String() string {
	switch {
	case m.Exact:
		return fmt.Sprintf("%s: %q (exactly)", m.Field, m.Text)
	case m.Similar:
		return fmt.Sprintf("%s: %q (close to what you typed)", m.Field, m.Text)
	}
	return fmt.Sprintf("%s: %q", m.Field, m.Text)
}

// Search limits.
const (
	// SearchMaxQuery is the longest query read, in bytes; the rest is
	// ignored.
	SearchMaxQuery = 200
	// searchMaxWords is how many words of the query count.
	searchMaxWords = 12
	// SearchMaxLimit is the most hits one search returns.
	SearchMaxLimit = 100
)

// searchTermsSQL turns the query's words into tsqueries (stemmed, stop
// words dropped): one per word that counts ($1), the words to exclude
// ($2), and the whole query as websearch_to_tsquery reads it ($3).
const searchTermsSQL = `
SELECT coalesce((SELECT array_agg(q::text ORDER BY i) FROM (
           SELECT plainto_tsquery('english', w) AS q, i FROM unnest($1::text[]) WITH ORDINALITY AS x(w, i)) x
       WHERE numnode(q) > 0), '{}'),
       coalesce((SELECT array_agg(q::text) FROM (
           SELECT plainto_tsquery('english', w) AS q FROM unnest($2::text[]) AS w) x
       WHERE numnode(q) > 0), '{}'),
       websearch_to_tsquery('english', $3)::text`

// searchSQL finds and ranks services; %[1]s and %[2]s are the number of
// the query's words a document matches, as made by coverageExpr; %[3]s,
// %[4]s and %[5]s the filters (searchFilter) on service_search, services
// and service_aliases rows, "" for none: they narrow the candidates, so
// that the ranking and the limit apply to the services that match them. $1 the number of
// words that count, $2 any of them (a tsquery: OR), $3 the whole query
// (trimmed), $4 the limit, $5 the least trigram similarity, $6 the
// excluded words (OR; ” for none), $7 websearch_to_tsquery of the query,
// $8 whether to look for names like the query by trigrams (a one-word
// query), $9... each word's tsquery, then the filters' values.
//
// Candidates come from three indexes: the GIN index on service_search.doc
// for any of the words (OR: websearch_to_tsquery alone would ask for every
// word, and "thing that sends invoices" would find nothing), the GiST
// trigram indexes on names and aliases (k nearest, for misspellings: only
// when the words found fewer than the limit and no name is exact), and
// the b-tree on lower(name) for the exact name. Of the documents the words
// find, only those in the best tiers of coverage are ranked (ts_rank costs
// more than counting words, and with common words thousands match): those
// at least as good as the limit-th best, which Rank's tiers make exact.
// The tsqueries come as parameters, not computed in the query, so that
// the planner sees them and uses the GIN index for rare words.
const searchSQL = `
WITH fts AS (
	SELECT ss.service_id, ss.doc, (%[1]s)::float8 / greatest($1::int, 1) AS coverage
	FROM service_search ss
	WHERE ss.doc @@ $2::tsquery AND ($6 = '' OR NOT ss.doc @@ $6::tsquery)%[3]s
), cut AS (
	SELECT coalesce(min(coverage), 0) AS c FROM (SELECT coverage FROM fts ORDER BY coverage DESC LIMIT $4) x
), top AS (
	SELECT f.service_id, f.doc, f.coverage FROM fts f, cut WHERE f.coverage >= cut.c
), exact AS (
	SELECT id AS service_id FROM services WHERE lower(name) >= lower($3) AND lower(name) <= lower($3)%[4]s
	UNION
	SELECT service_id FROM service_aliases WHERE lower(alias) >= lower($3) AND lower(alias) <= lower($3)%[5]s
), near AS (
	(SELECT id AS service_id, 1 - (lower(name) <-> lower($3)) AS sim
	 FROM services WHERE $8 AND NOT EXISTS (SELECT 1 FROM exact) AND (SELECT count(*) FROM fts) < $4%[4]s
	 ORDER BY lower(name) <-> lower($3) LIMIT 5)
	UNION ALL
	(SELECT service_id, 1 - (lower(alias) <-> lower($3))
	 FROM service_aliases WHERE $8 AND NOT EXISTS (SELECT 1 FROM exact) AND (SELECT count(*) FROM fts) < $4%[5]s
	 ORDER BY lower(alias) <-> lower($3) LIMIT 5)
), near_best AS (
	SELECT service_id, max(sim) AS sim FROM near WHERE sim >= $5 GROUP BY service_id
), cand AS (
	SELECT coalesce(t.service_id, n.service_id, e.service_id) AS service_id, t.doc, t.coverage,
	       coalesce(n.sim, 0) AS sim, e.service_id IS NOT NULL AS exact
	FROM top t
	FULL JOIN near_best n ON n.service_id = t.service_id
	FULL JOIN exact e ON e.service_id = coalesce(t.service_id, n.service_id)
), ranked AS (
	SELECT c.service_id, c.sim, c.exact, d.doc,
	       coalesce(c.coverage, CASE WHEN d.doc @@ $2::tsquery THEN (%[2]s)::float8 / greatest($1::int, 1) ELSE 0 END) AS coverage
	FROM cand c
	LEFT JOIN LATERAL (SELECT coalesce(c.doc, (SELECT doc FROM service_search WHERE service_id = c.service_id)) AS doc) d ON true
	WHERE $6 = '' OR NOT coalesce(d.doc @@ $6::tsquery, false)
), scored AS (
	SELECT service_id, coverage, sim, exact,
	       CASE WHEN exact THEN 100 ELSE 0 END + 10 * coverage
	       + (CASE WHEN $7 <> '' AND coalesce(d.doc @@ $7::tsquery, false) THEN 0.5 ELSE 0 END
	          + 0.5 * least(coalesce(ts_rank('{0.1, 0.2, 0.4, 1.0}', d.doc, $2::tsquery), 0), 1)
	          + sim) / 3 AS score
	FROM ranked r, LATERAL (SELECT r.doc) d
	ORDER BY score DESC, service_id
	LIMIT $4
)
SELECT sc.score, sc.coverage, sc.sim, sc.exact, coalesce(ss.readme, ''), coalesce(ss.apis, ''), coalesce(tm.title, ''), q.*
FROM scored sc
LEFT JOIN service_search ss ON ss.service_id = sc.service_id
LEFT JOIN services s2 ON s2.id = sc.service_id
LEFT JOIN teams tm ON tm.id = s2.team_id
JOIN LATERAL (` + serviceSelect + ` WHERE s.id = sc.service_id) q ON true
ORDER BY sc.score DESC, q.name, q.namespace`

// coverageExpr counts, in SQL, how many of n words (parameters $9... with
// their tsqueries) the tsvector column col matches.
func coverageExpr(col string, n int) string {
	if n == 0 {
		return "0"
	}
	parts := make([]string, n)
	for i := range n {
		parts[i] = fmt.Sprintf("(%s @@ $%d::tsquery)::int", col, 9+i)
	}
	return strings.Join(parts, " + ")
}

// Search finds the services that match query, best first, at most limit
// (1..SearchMaxLimit; 0 or less means 10). It searches names, aliases,
// titles, descriptions, tags, link titles, owning teams, the names of the
// APIs it provides and the first paragraph of each repo's README (see
// migrations/025_search.sql and 027_search_api_names.sql), by
// words (stemmed: "invoices" finds "invoice") and by trigram similarity of
// names (misspellings). Words need not all match: a service matching more
// of them ranks higher, so a question in plain words ("thing that sends
// invoices") finds the service whose description says so. Each hit says
// why it matched. An empty query finds nothing.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]SearchHit, error) {
	return s.SearchFiltered(ctx, query, ServiceFilter{}, limit)
}

// SearchFiltered is Search among the services that match f (ListServices'
// filters: team, tier, lifecycle, tag, ids): the filters narrow the
// candidates in the ranking query itself, so the best limit of the
// services that match them come back, wherever they rank among all, and
// the why is made for those only.
func (s *Store) SearchFiltered(ctx context.Context, query string, f ServiceFilter, limit int) ([]SearchHit, error) {
	query = searchQuery(query)
	if query == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, SearchMaxLimit)
	args, err := s.searchArgs(ctx, query, limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	terms, anyq := args[0].([]string), args[1].(string)
	args = args[2:]
	filter := searchFilter(f, &args)
	sql := fmt.Sprintf(searchSQL, coverageExpr("ss.doc", len(terms)), coverageExpr("d.doc", len(terms)),
		filter("ss.service_id"), filter("id"), filter("service_id"))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	type row struct {
		hit          SearchHit
		sim          float64
		exact        bool
		anyq, readme string
		apis         string
		teamTitle    string
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		svc, err := scanService(multiPrefixRow{row: r, first: []any{&x.hit.Rank, &x.hit.Coverage, &x.sim, &x.exact, &x.readme, &x.apis, &x.teamTitle}})
		x.hit.Service = svc
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	if len(found) == 0 {
		return nil, nil
	}
	// Why: every field of every hit that matches, with ts_headline's
	// excerpt around the words, in one query.
	var fields []searchField
	for i, x := range found {
		fields = append(fields, hitFields(i, x.hit.Service, x.teamTitle, x.apis, x.readme)...)
	}
	matches := make([][]SearchMatch, len(found))
	words := false // a hit matched by its words (not only its name's trigrams)
	for _, x := range found {
		words = words || x.hit.Coverage > 0
	}
	if len(terms) > 0 && words {
		texts := make([]string, len(fields))
		for i, f := range fields {
			texts[i] = f.text
		}
		rows, err := s.pool.Query(ctx, `
			SELECT i - 1, ts_headline('english', t, $2::tsquery, $3)
			FROM unnest($1::text[]) WITH ORDINALITY AS x(t, i)
			WHERE to_tsvector('english', t) @@ $2::tsquery
			ORDER BY i`, texts, anyq, headlineOptions)
		if err != nil {
			return nil, fmt.Errorf("search %q: why: %w", query, err)
		}
		type headline struct {
			i    int
			text string
		}
		hls, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (headline, error) {
			var h headline
			return h, r.Scan(&h.i, &h.text)
		})
		if err != nil {
			return nil, fmt.Errorf("search %q: why: %w", query, err)
		}
		for _, h := range hls {
			f := fields[h.i]
			matches[f.hit] = append(matches[f.hit], headlineMatch(f, h.text))
		}
	}
	out := make([]SearchHit, len(found))
	for i, x := range found {
		h := x.hit
		svc := h.Service
		var ms []SearchMatch
		if x.exact {
			ms = append(ms, exactMatch(svc, query))
		} else if x.sim > 0 && !hasNameMatch(matches[i]) {
			ms = append(ms, similarMatch(svc, query))
		}
		ms = append(ms, matches[i]...)
		h.Matches = ms
		for _, m := range ms {
			h.Why = append(h.Why, m.String())
		}
		out[i] = h
	}
	return out, nil
}

// searchFilter adds f's values to args and returns, for a column holding
// a service id, the condition (" AND col IN (...)") that keeps the
// services matching f (ServiceFilter.conds, ListServices' conditions);
// "" for no filter.
func searchFilter(f ServiceFilter, args *[]any) func(col string) string {
	arg := func(v any) string {
		*args = append(*args, v)
		return fmt.Sprintf("$%d", len(*args))
	}
	where := f.conds(arg)
	if len(where) == 0 {
		return func(string) string { return "" }
	}
	cond := strings.Join(where, " AND ")
	return func(col string) string {
		return " AND " + col + " IN (SELECT s.id FROM services s WHERE " + cond + ")"
	}
}

// headlineOptions make ts_headline mark the words with control characters
// (no user text contains them once searchQuery and hitFields have cleaned
// it) and keep one excerpt of about 8 to 18 words.
const headlineOptions = "StartSel=\x02, StopSel=\x03, MaxWords=18, MinWords=8, ShortWord=2, MaxFragments=1, FragmentDelimiter=\" … \""

// searchField is one field of one hit, for the why.
type searchField struct {
	hit   int
	field string
	text  string
}

// hitFields lists the fields of svc that why looks at, in the order they
// are shown.
func hitFields(hit int, svc Service, teamTitle, apis, readme string) []searchField {
	var fs []searchField
	add := func(field, text string) {
		text = strings.TrimSpace(clean(text))
		if text != "" {
			fs = append(fs, searchField{hit: hit, field: field, text: text})
		}
	}
	add("name", svc.Name)
	for _, a := range svc.Aliases {
		add("alias", a)
	}
	add("title", svc.Title)
	add("team", strings.TrimSpace(svc.Team+" "+teamTitle))
	for _, a := range strings.Split(apis, "\n") {
		add("api", a)
	}
	add("description", svc.Description)
	for _, t := range svc.Tags {
		add("tag", t)
	}
	for _, l := range svc.Links {
		add("link", l.Title)
	}
	add("language", svc.Language)
	add("framework", svc.Framework)
	for _, p := range strings.Split(readme, "\n") {
		add("readme", p)
	}
	return fs
}

// headlineMatch turns ts_headline's excerpt of f into a match: the marks
// removed, the words they marked kept, "…" where the excerpt cuts f.
func headlineMatch(f searchField, hl string) SearchMatch {
	m := SearchMatch{Field: f.field}
	var b strings.Builder
	for {
		start := strings.IndexByte(hl, '\x02')
		if start < 0 {
			b.WriteString(hl)
			break
		}
		b.WriteString(hl[:start])
		hl = hl[start+1:]
		end := strings.IndexByte(hl, '\x03')
		if end < 0 {
			b.WriteString(hl)
			break
		}
		word := hl[:end]
		b.WriteString(word)
		if !containsFold(m.Words, word) {
			m.Words = append(m.Words, word)
		}
		hl = hl[end+1:]
	}
	m.Text = excerpt(f.text, strings.TrimSpace(b.String()))
	return m
}

// excerpt marks with "…" where ts_headline's excerpt hl cuts full, and
// gives back the punctuation it drops at the end ("(ACME)." for "(ACME").
func excerpt(full, hl string) string {
	start := strings.Index(full, hl)
	if start < 0 {
		return hl // whitespace differs: leave it as it is
	}
	end := start + len(hl)
	for end < len(full) {
		r, size := utf8.DecodeRuneInString(full[end:])
		if !unicode.IsPunct(r) {
			break
		}
		end += size
	}
	text := full[start:end]
	if start > 0 {
		text = "…" + text
	}
	if end < len(full) {
		text += "…"
	}
	return text
}

func containsFold(xs []string, x string) bool {
	for _, y := range xs {
		if strings.EqualFold(x, y) {
			return true
		}
	}
	return false
}

func hasNameMatch(ms []SearchMatch) bool {
	for _, m := range ms {
		if m.Field == "name" || m.Field == "alias" {
			return true
		}
	}
	return false
}

// exactMatch is the name or alias equal to query.
func exactMatch(svc Service, query string) SearchMatch {
	for _, a := range svc.Aliases {
		if strings.EqualFold(a, query) && !strings.EqualFold(svc.Name, query) {
			return SearchMatch{Field: "alias", Text: a, Words: []string{a}, Exact: true}
		}
	}
	return SearchMatch{Field: "name", Text: svc.Name, Words: []string{svc.Name}, Exact: true}
}

// similarMatch is the name or alias closest to query (the trigram search
// found it: a misspelling or a part of the name).
func similarMatch(svc Service, query string) SearchMatch {
	best, field := svc.Name, "name"
	bestScore := trigramSimilarity(svc.Name, query)
	for _, a := range svc.Aliases {
		if s := trigramSimilarity(a, query); s > bestScore {
			best, field, bestScore = a, "alias", s
		}
	}
	return SearchMatch{Field: field, Text: best, Similar: true}
}

// trigramSimilarity approximates pg_trgm's similarity, only to pick which
// of a service's names to show (the ranking is Postgres's).
func trigramSimilarity(a, b string) float64 {
	ta, tb := trigrams(a), trigrams(b)
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	shared := 0
	for t := range ta {
		if tb[t] {
			shared++
		}
	}
	return float64(shared) / float64(len(ta)+len(tb)-shared)
}

func trigrams(s string) map[string]bool {
	out := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r > utf8.RuneSelf)
	}) {
		rs := []rune("  " + w + " ")
		for i := 0; i+3 <= len(rs); i++ {
			out[string(rs[i:i+3])] = true
		}
	}
	return out
}

// searchQuery trims the query, drops control characters and cuts it to
// SearchMaxQuery bytes (at a rune boundary).
func searchQuery(q string) string {
	q = strings.TrimSpace(clean(q))
	if len(q) > SearchMaxQuery {
		cut := SearchMaxQuery
		for cut > 0 && !utf8.RuneStart(q[cut]) {
			cut--
		}
		q = strings.TrimSpace(q[:cut])
	}
	return q
}

// clean replaces control characters (and invalid UTF-8) with spaces.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, " "))
}

// searchArgs are the words' tsqueries and OR of them, then searchSQL's
// arguments for query.
func (s *Store) searchArgs(ctx context.Context, query string, limit int) ([]any, error) {
	words, without := searchWords(query)
	var terms, excluded []string
	var webq string
	if err := s.pool.QueryRow(ctx, searchTermsSQL, words, without, query).Scan(&terms, &excluded, &webq); err != nil {
		return nil, err
	}
	anyq := orQuery(terms) // "": an empty tsquery, which matches nothing
	names := len(strings.Fields(query)) == 1
	args := []any{terms, anyq, len(terms), anyq, query, limit, minSimilarity, orQuery(excluded), webq, names}
	for _, t := range terms {
		args = append(args, t)
	}
	return args, nil
}

// orQuery joins tsqueries (as text) with OR; "" for none.
func orQuery(qs []string) string {
	if len(qs) == 0 {
		return ""
	}
	return "(" + strings.Join(qs, ") | (") + ")"
}

// searchWords are the query's words: each is matched on its own (stemmed
// by Postgres), so that the share of them a service matches can rank it;
// and the words after a "-", which a service must not match (as in
// websearch_to_tsquery).
func searchWords(q string) (words, without []string) {
	for i, w := range strings.Fields(q) {
		if i == searchMaxWords {
			break
		}
		// A word made of parts ("payments-ledger", "svc.payments") is one
		// term: all its parts, wherever they are.
		exclude := len(w) > 1 && w[0] == '-'
		w = strings.Map(func(r rune) rune {
			if strings.ContainsRune("-_./:", r) {
				return ' '
			}
			return r
		}, strings.TrimPrefix(w, "-"))
		if exclude {
			without = append(without, w)
			continue
		}
		words = append(words, w)
	}
	return words, without
}

// multiPrefixRow scans leading columns into first and the rest into the
// destinations given to Scan.
type multiPrefixRow struct {
	row   pgx.Row
	first []any
}

func (p multiPrefixRow) Scan(dest ...any) error {
	return p.row.Scan(append(append([]any{}, p.first...), dest...)...)
}

// SetRepoReadme stores the first paragraph of the README of the repo with
// id, read from path ("" when the repo has none). The search documents of
// the repo's services follow (a trigger).
func (s *Store) SetRepoReadme(ctx context.Context, repoID int64, path, paragraph string) error {
	tag, err := s.pool.Exec(ctx, `UPDATE repos SET readme = $2, readme_path = $3 WHERE id = $1`,
		repoID, clean(paragraph), path)
	if err != nil {
		return fmt.Errorf("set readme of repo %d: %w", repoID, translate(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("set readme of repo %d: %w", repoID, ErrNotFound)
	}
	return nil
}

// RepoReadme is what a sync read of a repo's README: the file (README.md,
// README.rst...; "" when the repo has none) and its first prose paragraph.
type RepoReadme struct {
	Path      string
	Paragraph string
}

// applyReadme stores r on the repo with id; nil stores nothing.
func applyReadme(ctx context.Context, tx pgx.Tx, repoID int64, r *RepoReadme) error {
	if r == nil {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE repos SET readme = $2, readme_path = $3 WHERE id = $1`,
		repoID, clean(r.Paragraph), r.Path); err != nil {
		return fmt.Errorf("readme: %w", err)
	}
	return nil
}
