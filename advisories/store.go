package advisories

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned when no advisory has the id asked for.
var ErrNotFound = errors.New("advisory not found")

// Store keeps advisories in Postgres (migration 012_advisories.sql). It is
// safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	// Now is the store's clock, for loaded_at; tests may replace it.
	Now func() time.Time
}

// NewStore returns a store over pool, whose schema must be migrated.
func NewStore(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, Now: time.Now}
}

// Outcome is what Put did with one record.
type Outcome int

// Outcomes of Put.
const (
	// Skipped: the store holds the record already, modified at the same time
	// or later.
	Skipped Outcome = iota
	// Inserted: the record was new.
	Inserted
	// Updated: the record replaced an older version of itself.
	Updated
)

// String names the outcome.
func (o Outcome) String() string {
	switch o {
	case Inserted:
		return "inserted"
	case Updated:
		return "updated"
	default:
		return "skipped"
	}
}

// Put stores records in one transaction, each upserted by id: a record
// replaces the stored one only when its modified time is later, so loading
// the same archive twice changes nothing and an older export never undoes a
// newer one. It returns what it did with each record, in order.
func (s *Store) Put(ctx context.Context, recs []*Record) ([]Outcome, error) {
	var out []Outcome
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		out, err = putRecords(ctx, tx, recs, s.Now())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store advisories: %w", err)
	}
	return out, nil
}

// putRecords upserts the records in two round trips: one batch of upserts,
// then one batch replacing the ids and packages of those that changed.
func putRecords(ctx context.Context, tx pgx.Tx, recs []*Record, now time.Time) ([]Outcome, error) {
	var b pgx.Batch
	for _, r := range recs {
		raw, err := r.JSON()
		if err != nil {
			return nil, err
		}
		b.Queue(`
			INSERT INTO advisories (id, modified, published, withdrawn, summary, record, loaded_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (id) DO UPDATE SET
				modified = EXCLUDED.modified, published = EXCLUDED.published,
				withdrawn = EXCLUDED.withdrawn, summary = EXCLUDED.summary,
				record = EXCLUDED.record, loaded_at = EXCLUDED.loaded_at
			WHERE advisories.modified < EXCLUDED.modified
			RETURNING xmax = 0`,
			r.ID, r.Modified, nullTime(r.Published), nullTime(r.Withdrawn), r.Summary, string(raw), now)
	}
	out := make([]Outcome, len(recs))
	br := tx.SendBatch(ctx, &b)
	for i, r := range recs {
		var inserted bool
		err := br.QueryRow().Scan(&inserted)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			out[i] = Skipped
		case err != nil:
			br.Close()
			return nil, fmt.Errorf("upsert %s: %w", r.ID, err)
		case inserted:
			out[i] = Inserted
		default:
			out[i] = Updated
		}
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("upsert advisories: %w", err)
	}

	var c pgx.Batch
	for i, r := range recs {
		if out[i] == Skipped {
			continue
		}
		if out[i] == Updated {
			c.Queue(`DELETE FROM advisory_ids WHERE advisory_id = $1`, r.ID)
			c.Queue(`DELETE FROM advisory_packages WHERE advisory_id = $1`, r.ID)
		}
		c.Queue(`INSERT INTO advisory_ids (key, advisory_id) SELECT DISTINCT upper(k), $1 FROM unnest($2::text[]) AS k ON CONFLICT DO NOTHING`, r.ID, r.IDs())
		for j, p := range r.Packages {
			ranges, err := json.Marshal(p.Ranges)
			if err != nil {
				return nil, fmt.Errorf("encode ranges of %s: %w", r.ID, err)
			}
			versions := p.Versions
			if versions == nil {
				versions = []string{}
			}
			eco := Ecosystem(p.Package.Ecosystem)
			c.Queue(`
				INSERT INTO advisory_packages (advisory_id, idx, ecosystem, name_key, osv_ecosystem, name, purl, ranges, versions)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
				r.ID, j, eco, NameKey(p.Package.Ecosystem, p.Package.Name), p.Package.Ecosystem, p.Package.Name, p.Package.Purl, string(ranges), versions)
		}
	}
	if c.Len() == 0 {
		return out, nil
	}
	if err := tx.SendBatch(ctx, &c).Close(); err != nil {
		return nil, fmt.Errorf("store advisories' ids and packages: %w", err)
	}
	return out, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// Lookup returns the advisories known by id, their own or an alias, in any
// case ("cve-2021-44228" finds GHSA-jfh8-c2jp-5v3q), ordered by id. Returns
// ErrNotFound when there is none.
func (s *Store) Lookup(ctx context.Context, id string) ([]*Record, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT a.record FROM advisory_ids i JOIN advisories a ON a.id = i.advisory_id
		WHERE i.key = upper($1) ORDER BY a.id`, strings.TrimSpace(id))
	if err != nil {
		return nil, fmt.Errorf("look up advisory %q: %w", id, err)
	}
	recs, err := scanRecords(rows)
	if err != nil {
		return nil, fmt.Errorf("look up advisory %q: %w", id, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("look up advisory %q: %w", id, ErrNotFound)
	}
	return recs, nil
}

func scanRecords(rows pgx.Rows) ([]*Record, error) {
	defer rows.Close()
	var recs []*Record
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, err
		}
		r, err := Parse(raw)
		if err != nil {
			return nil, err
		}
		recs = append(recs, r)
	}
	return recs, rows.Err()
}

// Affects is one package an advisory affects, as the store holds it.
type Affects struct {
	// AdvisoryID is the record's own id.
	AdvisoryID string
	// Ecosystem is Switchboard's name of the package's ecosystem
	// (depfile.Maven, ...; a Gradle dependency is in Maven's).
	Ecosystem string
	// AffectedPackage is the record's entry: package, ranges, versions.
	AffectedPackage
}

// Packages returns the packages affected by the advisories known by id (as
// Lookup finds them), in record order. Returns ErrNotFound when no advisory
// has that id.
func (s *Store) Packages(ctx context.Context, id string) ([]Affects, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT i.advisory_id, p.ecosystem, p.osv_ecosystem, p.name, p.purl, p.ranges, p.versions
		FROM advisory_ids i LEFT JOIN advisory_packages p ON p.advisory_id = i.advisory_id
		WHERE i.key = upper($1) ORDER BY i.advisory_id, p.idx`, strings.TrimSpace(id))
	if err != nil {
		return nil, fmt.Errorf("packages of advisory %q: %w", id, err)
	}
	defer rows.Close()
	found := false
	var out []Affects
	for rows.Next() {
		found = true
		var (
			a              Affects
			eco, osv, name *string
			purl           *string
			ranges         []byte
			versions       []string
		)
		if err := rows.Scan(&a.AdvisoryID, &eco, &osv, &name, &purl, &ranges, &versions); err != nil {
			return nil, fmt.Errorf("packages of advisory %q: %w", id, err)
		}
		if eco == nil {
			continue // an advisory without packages
		}
		a.Ecosystem = *eco
		a.Package = Package{Ecosystem: *osv, Name: *name, Purl: *purl}
		a.Versions = versions
		if err := json.Unmarshal(ranges, &a.Ranges); err != nil {
			return nil, fmt.Errorf("packages of advisory %q: ranges: %w", id, err)
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("packages of advisory %q: %w", id, err)
	}
	if !found {
		return nil, fmt.Errorf("packages of advisory %q: %w", id, ErrNotFound)
	}
	return out, nil
}
