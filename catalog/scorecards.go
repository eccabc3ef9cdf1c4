package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/scorecard"
)

// StoredCard is a scorecard a valid standards file put in force, as kept
// by PutScorecard (table scorecard_cards, migration 021): the last good
// card, which stays in force while the file's scorecard section has
// errors, across restarts and replicas.
type StoredCard struct {
	// Hash is the card's CardHash (the hash its grades carry).
	Hash string
	// JSON is the card's canonical JSON: its levels and checks, as
	// scorecard.Card marshals them.
	JSON []byte
	// Source is the standards file it came from; "" for the embedded
	// default.
	Source string
	// FirstSeen is when a start first found the card; LastSeen when a
	// start last found it valid.
	FirstSeen, LastSeen time.Time
}

// Compile compiles the stored card with this binary's scorecard package.
// It fails when the card no longer compiles: a card stored by another
// version of Switchboard naming a fact or an operator this one lacks.
func (c StoredCard) Compile() (*scorecard.Card, error) {
	var raw struct {
		Levels []scorecard.Level `json:"levels"`
		Checks []storedCheck     `json:"checks"`
	}
	if err := json.Unmarshal(c.JSON, &raw); err != nil {
		return nil, fmt.Errorf("stored scorecard %s: %w", c.Hash, err)
	}
	checks := make([]scorecard.Check, len(raw.Checks))
	for i, sc := range raw.Checks {
		checks[i] = sc.Check
		// An operator that takes no value has the zero Value, whose kind
		// marshals as "kind(0)", which Kind does not read back.
		var kind struct {
			Kind string `json:"kind"`
		}
		if len(sc.Value) == 0 || json.Unmarshal(sc.Value, &kind) != nil || kind.Kind == "" || kind.Kind == zeroKind {
			continue
		}
		if err := json.Unmarshal(sc.Value, &checks[i].Value); err != nil {
			return nil, fmt.Errorf("stored scorecard %s: check %s: %w", c.Hash, sc.ID, err)
		}
	}
	card, err := scorecard.Compile(raw.Levels, checks)
	if err != nil {
		return nil, fmt.Errorf("stored scorecard %s: %w", c.Hash, err)
	}
	return card, nil
}

// storedCheck is a check as stored, its value read apart.
type storedCheck struct {
	scorecard.Check
	Value json.RawMessage `json:"value"`
}

// zeroKind is how the zero Value's kind marshals.
var zeroKind = scorecard.Kind(0).String()

// PutScorecard keeps card, found valid in the standards file source, as
// the last good scorecard. Nothing is written when it is the last good
// card already; a card stored before (the file went back to it) becomes
// the last good one again, keeping when it was first seen. It returns the
// stored card.
func (s *Store) PutScorecard(ctx context.Context, card *scorecard.Card, source string) (StoredCard, error) {
	hash, err := CardHash(card)
	if err != nil {
		return StoredCard{}, fmt.Errorf("keep scorecard: %w", err)
	}
	last, err := s.LastScorecard(ctx)
	switch {
	case err == nil && last.Hash == hash && last.Source == source:
		return last, nil
	case err != nil && !errors.Is(err, ErrNotFound):
		return StoredCard{}, fmt.Errorf("keep scorecard: %w", err)
	}
	raw, err := json.Marshal(card)
	if err != nil {
		return StoredCard{}, fmt.Errorf("keep scorecard: %w", err)
	}
	now := s.Now()
	row := s.pool.QueryRow(ctx, `
		INSERT INTO scorecard_cards (hash, card, source, first_seen, last_seen)
		VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (hash) DO UPDATE SET source = EXCLUDED.source,
			last_seen = GREATEST(scorecard_cards.last_seen, EXCLUDED.last_seen)
		RETURNING hash, card, source, first_seen, last_seen`, hash, raw, source, now)
	c, err := scanStoredCard(row)
	if err != nil {
		return StoredCard{}, fmt.Errorf("keep scorecard %s: %w", hash, err)
	}
	return c, nil
}

// LastScorecard returns the last good scorecard: the one a start last
// found valid. The error matches ErrNotFound when none was ever kept.
func (s *Store) LastScorecard(ctx context.Context) (StoredCard, error) {
	row := s.pool.QueryRow(ctx, `
		SELECT hash, card, source, first_seen, last_seen FROM scorecard_cards
		ORDER BY last_seen DESC, first_seen DESC LIMIT 1`)
	c, err := scanStoredCard(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return StoredCard{}, fmt.Errorf("last good scorecard: %w", ErrNotFound)
	}
	if err != nil {
		return StoredCard{}, fmt.Errorf("last good scorecard: %w", err)
	}
	return c, nil
}

func scanStoredCard(row pgx.Row) (StoredCard, error) {
	var c StoredCard
	if err := row.Scan(&c.Hash, &c.JSON, &c.Source, &c.FirstSeen, &c.LastSeen); err != nil {
		return StoredCard{}, err
	}
	return c, nil
}
