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
	// Rank orders the hits, higher first. It adds: 3 for the exact name or
	// an alias; the share of the query's words the service's document
	// matches (0..1, so that a service matching more of the words comes
	// first, whichever field they are in); 0.5 when it matches the query as
	// websearch_to_tsquery reads it (every word, phrases, -exclusions);
	// half of ts_rank with weights A..D (a word in the name counts more than
	// one in the README); and the trigram similarity of the query to the
	// name or an alias when at least 0.3.
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
	// Field is "name", "alias", "title", "team", "description", "tag",
	// "link", "language", "framework" or "readme".
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

// searchSQL finds and ranks services. $1 the query's words, $2 the whole
// query (trimmed), $3 the limit, $4 the least trigram similarity, $5 the
// words a service must not match ("-word").
//
// Candidates come from three indexes: the GIN index on service_search.doc
// for any of the words (OR: websearch_to_tsquery alone would ask for every
// word, and "thing that sends invoices" would find nothing), the GiST
// trigram indexes on names and aliases (k nearest, for misspellings), and
// the b-tree on lower(name) for the exact name. Only the candidates are
// ranked.
const searchSQL = `
WITH terms AS (
	SELECT q FROM (SELECT plainto_tsquery('english', w) AS q FROM unnest($1::text[]) AS w) x
	WHERE numnode(q) > 0
), excl AS (
	SELECT q FROM (SELECT plainto_tsquery('english', w) AS q FROM unnest($5::text[]) AS w) x
	WHERE numnode(q) > 0
), qs AS (
	SELECT (SELECT string_agg('(' || q::text || ')', ' | ') FROM terms)::tsquery AS anyq,
	       (SELECT count(*) FROM terms) AS n,
	       websearch_to_tsquery('english', $2) AS webq
), fts AS (
	SELECT ss.service_id,
	       (SELECT count(*) FROM terms t WHERE ss.doc @@ t.q)::float8 / greatest(qs.n, 1) AS coverage,
	       ts_rank('{0.1, 0.2, 0.4, 1.0}', ss.doc, qs.anyq) AS rank,
	       numnode(qs.webq) > 0 AND ss.doc @@ qs.webq AS every
	FROM service_search ss, qs
	WHERE ss.doc @@ qs.anyq
), near AS (
	(SELECT id AS service_id, 1 - (lower(name) <-> lower($2)) AS sim
	 FROM services ORDER BY lower(name) <-> lower($2) LIMIT 10)
	UNION ALL
	(SELECT service_id, 1 - (lower(alias) <-> lower($2))
	 FROM service_aliases ORDER BY lower(alias) <-> lower($2) LIMIT 10)
), near_best AS (
	SELECT service_id, max(sim) AS sim FROM near WHERE sim >= $4 GROUP BY service_id
), exact AS (
	SELECT id AS service_id FROM services WHERE lower(name) >= lower($2) AND lower(name) <= lower($2)
	UNION
	SELECT service_id FROM service_aliases WHERE lower(alias) >= lower($2) AND lower(alias) <= lower($2)
), cand AS (
	SELECT service_id FROM fts UNION SELECT service_id FROM near_best UNION SELECT service_id FROM exact
), kept AS (
	SELECT c.service_id FROM cand c
	WHERE NOT EXISTS (SELECT 1 FROM service_search ss, excl WHERE ss.service_id = c.service_id AND ss.doc @@ excl.q)
), scored AS (
	SELECT c.service_id,
	       CASE WHEN e.service_id IS NOT NULL THEN 3 ELSE 0 END
	         + coalesce(f.coverage, 0) + CASE WHEN f.every THEN 0.5 ELSE 0 END
	         + 0.5 * coalesce(f.rank, 0) + coalesce(n.sim, 0) AS score,
	       coalesce(f.coverage, 0) AS coverage, coalesce(n.sim, 0) AS sim, e.service_id IS NOT NULL AS exact
	FROM kept c
	LEFT JOIN fts f USING (service_id)
	LEFT JOIN near_best n USING (service_id)
	LEFT JOIN exact e USING (service_id)
	ORDER BY score DESC, service_id
	LIMIT $3
)
SELECT sc.score, sc.coverage, sc.sim, sc.exact, coalesce((SELECT anyq::text FROM qs), ''),
       coalesce(ss.readme, ''), coalesce(tm.title, ''), q.*
FROM scored sc
LEFT JOIN service_search ss ON ss.service_id = sc.service_id
LEFT JOIN services s2 ON s2.id = sc.service_id
LEFT JOIN teams tm ON tm.id = s2.team_id
JOIN LATERAL (` + serviceSelect + ` WHERE s.id = sc.service_id) q ON true
ORDER BY sc.score DESC, q.name, q.namespace`

// Search finds the services that match query, best first, at most limit
// (1..SearchMaxLimit; 0 or less means 10). It searches names, aliases,
// titles, descriptions, tags, link titles, owning teams and the first
// paragraph of each repo's README (see migrations/025_search.sql), by
// words (stemmed: "invoices" finds "invoice") and by trigram similarity of
// names (misspellings). Words need not all match: a service matching more
// of them ranks higher, so a question in plain words ("thing that sends
// invoices") finds the service whose description says so. Each hit says
// why it matched. An empty query finds nothing.
func (s *Store) Search(ctx context.Context, query string, limit int) ([]SearchHit, error) {
	query = searchQuery(query)
	if query == "" {
		return nil, nil
	}
	if limit <= 0 {
		limit = 10
	}
	limit = min(limit, SearchMaxLimit)
	words, without := searchWords(query)
	rows, err := s.pool.Query(ctx, searchSQL, words, query, limit, minSimilarity, without)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", query, err)
	}
	type row struct {
		hit          SearchHit
		sim          float64
		exact        bool
		anyq, readme string
		teamTitle    string
	}
	found, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
		var x row
		svc, err := scanService(multiPrefixRow{row: r, first: []any{&x.hit.Rank, &x.hit.Coverage, &x.sim, &x.exact, &x.anyq, &x.readme, &x.teamTitle}})
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
		fields = append(fields, hitFields(i, x.hit.Service, x.teamTitle, x.readme)...)
	}
	anyq := found[0].anyq
	matches := make([][]SearchMatch, len(found))
	if anyq != "" {
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
func hitFields(hit int, svc Service, teamTitle, readme string) []searchField {
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

// searchWords are the query's words: each is matched on its own (stemmed
// by Postgres), so that the share of them a service matches can rank it;
// and the words after a "-", which a service must not match (as in
// websearch_to_tsquery).
func searchWords(q string) (words, without []string) {
	for i, w := range strings.Fields(q) {
		if i == searchMaxWords {
			break
		}
		if len(w) > 1 && w[0] == '-' {
			without = append(without, w[1:])
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
