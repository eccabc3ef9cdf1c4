package digest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
)

// Days are the records of each day's digest (the digest_days table): the
// per-day record that makes the Slack posts exactly once per day and
// channel, however many replicas or River jobs try. A replica claims the
// day (one insert or update that only one replica can make), records each
// channel as it posts to it, and marks the day posted with the coverage it
// showed (which the catalog's digest reads back as its trend).
type Days struct {
	pool *pgxpool.Pool
}

// NewDays returns the day records kept in pool's database.
func NewDays(pool *pgxpool.Pool) *Days { return &Days{pool: pool} }

// Day is the record of one day's digest: who claimed it, whether it was
// posted, where.
type Day struct {
	// Day is the date (midnight UTC); DueAt the time it was due.
	Day, DueAt time.Time
	// ClaimedAt is when a replica claimed the day to post it (zero when no
	// claim stands); ClaimedBy names the replica.
	ClaimedAt time.Time
	ClaimedBy string
	// PostedAt is when the whole digest was posted; zero while not.
	PostedAt time.Time
	// PostedChannels are the channels already posted to.
	PostedChannels []string
	// Attempts counts the claims; FailedAt and LastError tell of the last
	// failure.
	Attempts  int
	FailedAt  time.Time
	LastError string
	// Coverage is what the posted digest showed.
	Coverage catalog.Coverage
}

// Posted reports whether the day's digest was posted.
func (d Day) Posted() bool { return !d.PostedAt.IsZero() }

const dayColumns = `day, due_at, claimed_at, claimed_by, posted_at, posted_channels, attempts, failed_at, last_error,
	active_repos, catalogued, no_descriptor, broken, ignored`

func scanDay(row pgx.Row) (Day, error) {
	var d Day
	var claimed, posted, failed *time.Time
	err := row.Scan(&d.Day, &d.DueAt, &claimed, &d.ClaimedBy, &posted, &d.PostedChannels, &d.Attempts, &failed, &d.LastError,
		&d.Coverage.Active, &d.Coverage.Catalogued, &d.Coverage.NoDescriptor, &d.Coverage.Broken, &d.Coverage.Ignored)
	for _, p := range []struct {
		src *time.Time
		dst *time.Time
	}{{claimed, &d.ClaimedAt}, {posted, &d.PostedAt}, {failed, &d.FailedAt}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	return d, err
}

// Record returns the record of day's digest. Returns catalog.ErrNotFound
// when nobody claimed it.
func (s *Days) Record(ctx context.Context, day time.Time) (Day, error) {
	d, err := scanDay(s.pool.QueryRow(ctx, `SELECT `+dayColumns+` FROM digest_days WHERE day = $1`, catalog.DigestDay(day)))
	if errors.Is(err, pgx.ErrNoRows) {
		err = catalog.ErrNotFound
	}
	if err != nil {
		return Day{}, fmt.Errorf("digest of %s: %w", day.Format(time.DateOnly), err)
	}
	return d, nil
}

// Claim asks to post one day's digest.
type Claim struct {
	// Day is the date the digest is for; DueAt when it was due.
	Day, DueAt time.Time
	// By names the claiming replica; Now is its clock.
	By  string
	Now time.Time
	// StaleAfter is how old another replica's claim must be to be taken
	// over (that replica is taken to have died while posting).
	StaleAfter time.Duration
	// RetryAfter is how long after a failed post the day may be claimed
	// again.
	RetryAfter time.Duration
}

// Claim claims a day's digest for one replica: it succeeds (ok true) when
// the day was never claimed, or is not posted and its claim is stale or was
// given up after a failure more than RetryAfter ago. Of replicas claiming at
// once exactly one succeeds. The returned record tells which channels were
// posted already, by an earlier attempt. Returns catalog.ErrInvalid without
// a replica name.
func (s *Days) Claim(ctx context.Context, c Claim) (Day, bool, error) {
	if c.By == "" {
		return Day{}, false, fmt.Errorf("claim digest: %w: no replica name", catalog.ErrInvalid)
	}
	d, err := scanDay(s.pool.QueryRow(ctx, `
		INSERT INTO digest_days AS d (day, due_at, claimed_at, claimed_by, attempts) VALUES ($1, $2, $3, $4, 1)
		ON CONFLICT (day) DO UPDATE SET claimed_at = EXCLUDED.claimed_at, claimed_by = EXCLUDED.claimed_by,
			attempts = d.attempts + 1
		WHERE d.posted_at IS NULL
		  AND (d.claimed_at IS NULL OR d.claimed_at < $5)
		  AND (d.failed_at IS NULL OR d.failed_at < $6)
		RETURNING `+dayColumns,
		catalog.DigestDay(c.Day), c.DueAt, c.Now, c.By, c.Now.Add(-c.StaleAfter), c.Now.Add(-c.RetryAfter)))
	if errors.Is(err, pgx.ErrNoRows) {
		return Day{}, false, nil
	}
	if err != nil {
		return Day{}, false, fmt.Errorf("claim digest of %s: %w", c.Day.Format(time.DateOnly), err)
	}
	return d, true, nil
}

// RecordChannel records that day's digest was posted to channel by the
// replica by. It returns catalog.ErrConflict when by no longer holds the
// claim (another replica took it over): the caller must stop posting.
func (s *Days) RecordChannel(ctx context.Context, day time.Time, by, channel string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE digest_days SET posted_channels = CASE WHEN $3 = ANY(posted_channels) THEN posted_channels
			ELSE array_append(posted_channels, $3) END
		WHERE day = $1 AND claimed_by = $2 AND posted_at IS NULL`,
		catalog.DigestDay(day), by, channel)
	if err != nil {
		return fmt.Errorf("record digest of %s in %s: %w", day.Format(time.DateOnly), channel, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("record digest of %s in %s: %w: the claim is no longer %s's", day.Format(time.DateOnly), channel, catalog.ErrConflict, by)
	}
	return nil
}

// Finish marks day's digest posted by the replica by, at now, and keeps the
// coverage it showed. It returns catalog.ErrConflict when by no longer holds
// the claim.
func (s *Days) Finish(ctx context.Context, day time.Time, by string, now time.Time, snap catalog.CoverageDay) error {
	teams, groups, err := snapshotJSON(snap)
	if err != nil {
		return fmt.Errorf("finish digest of %s: %w", day.Format(time.DateOnly), err)
	}
	c := snap.Coverage
	tag, err := s.pool.Exec(ctx, `
		UPDATE digest_days SET posted_at = $3, last_error = '', active_repos = $4, catalogued = $5,
			no_descriptor = $6, broken = $7, ignored = $8, teams = $9, groups = $10
		WHERE day = $1 AND claimed_by = $2 AND posted_at IS NULL`,
		catalog.DigestDay(day), by, now, c.Active, c.Catalogued, c.NoDescriptor, c.Broken, c.Ignored, teams, groups)
	if err != nil {
		return fmt.Errorf("finish digest of %s: %w", day.Format(time.DateOnly), err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("finish digest of %s: %w: the claim is no longer %s's", day.Format(time.DateOnly), catalog.ErrConflict, by)
	}
	return nil
}

// Fail gives up by's claim on day after a failed post, with the reason: the
// day stays unposted and may be claimed again RetryAfter later.
func (s *Days) Fail(ctx context.Context, day time.Time, by string, now time.Time, reason string) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE digest_days SET claimed_at = NULL, failed_at = $3, last_error = $4
		WHERE day = $1 AND claimed_by = $2 AND posted_at IS NULL`, catalog.DigestDay(day), by, now, reason)
	if err != nil {
		return fmt.Errorf("record failed digest of %s: %w", day.Format(time.DateOnly), err)
	}
	return nil
}

// RecordPosted records a digest posted outside the schedule (switchboard
// digest --post) as day's: the day counts as posted, with the coverage it
// showed, and the schedule posts no other that day.
func (s *Days) RecordPosted(ctx context.Context, day, now time.Time, by string, channels []string, snap catalog.CoverageDay) error {
	teams, groups, err := snapshotJSON(snap)
	if err != nil {
		return fmt.Errorf("record digest of %s: %w", day.Format(time.DateOnly), err)
	}
	if channels == nil {
		channels = []string{}
	}
	c := snap.Coverage
	_, err = s.pool.Exec(ctx, `
		INSERT INTO digest_days AS d (day, due_at, claimed_at, claimed_by, posted_at, posted_channels, attempts,
			active_repos, catalogued, no_descriptor, broken, ignored, teams, groups)
		VALUES ($1, $2, $2, $3, $2, $4, 1, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (day) DO UPDATE SET posted_at = EXCLUDED.posted_at, claimed_by = EXCLUDED.claimed_by,
			posted_channels = ARRAY(SELECT DISTINCT unnest(d.posted_channels || EXCLUDED.posted_channels)),
			active_repos = EXCLUDED.active_repos, catalogued = EXCLUDED.catalogued,
			no_descriptor = EXCLUDED.no_descriptor, broken = EXCLUDED.broken, ignored = EXCLUDED.ignored,
			teams = EXCLUDED.teams, groups = EXCLUDED.groups, last_error = ''`,
		catalog.DigestDay(day), now, by, channels, c.Active, c.Catalogued, c.NoDescriptor, c.Broken, c.Ignored, teams, groups)
	if err != nil {
		return fmt.Errorf("record digest of %s: %w", day.Format(time.DateOnly), err)
	}
	return nil
}

func snapshotJSON(snap catalog.CoverageDay) (teams, groups []byte, err error) {
	if snap.Teams == nil {
		snap.Teams = map[string]catalog.Coverage{}
	}
	if snap.Groups == nil {
		snap.Groups = map[string]catalog.Coverage{}
	}
	if teams, err = json.Marshal(snap.Teams); err != nil {
		return nil, nil, fmt.Errorf("encode coverage by team: %w", err)
	}
	if groups, err = json.Marshal(snap.Groups); err != nil {
		return nil, nil, fmt.Errorf("encode coverage by group: %w", err)
	}
	return teams, groups, nil
}
