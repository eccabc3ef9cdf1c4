package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

// loadStandardsKeepingScorecard reads SWITCHBOARD_CONFIG, or the embedded
// default, as loadStandards does, except that errors in the scorecard
// section alone do not stop it: chooseCard then chooses the card. Every
// finding is logged, the scorecard section's errors each with its
// position (at=path:line:col).
func loadStandardsKeepingScorecard(env *Env, log *slog.Logger) (standards.Loaded, error) {
	path := env.Getenv(standards.EnvConfig)
	ld, err := standards.LoadKeepingScorecard(path)
	scoreErrs := map[string]bool{}
	for _, f := range ld.ScorecardErrors {
		scoreErrs[f.String()] = true
		if log != nil {
			log.Error("standards file: scorecard section", "at", fmt.Sprintf("%s:%d:%d", f.Path, f.Line, f.Col), "rule", f.Rule, "message", f.Message, "fix", f.Fix)
		}
	}
	for _, f := range ld.Findings {
		if log != nil && !scoreErrs[f.String()] {
			log.Warn("standards file", "finding", f.String())
		}
	}
	if err != nil {
		return standards.Loaded{}, fmt.Errorf("SWITCHBOARD_CONFIG: %w (run switchboard config check %s)", err, path)
	}
	return ld, nil
}

// cardKeeper keeps the last good scorecard (*catalog.Store).
type cardKeeper interface {
	// PutScorecard keeps card, found valid in the standards file source.
	PutScorecard(ctx context.Context, card *scorecard.Card, source string) (catalog.StoredCard, error)
	// LastScorecard returns the last card kept; catalog.ErrNotFound when
	// none was.
	LastScorecard(ctx context.Context) (catalog.StoredCard, error)
}

// Where the card in force comes from.
const (
	// cardFromFile: the standards file's (or the embedded default's, when
	// the file has no scorecard section), valid, and kept as the last
	// good card.
	cardFromFile = "file"
	// cardFromStore: the last good card kept, the file's scorecard
	// section having errors.
	cardFromStore = "stored"
	// cardFromDefault: the embedded default's, the file's scorecard
	// section having errors and no last good card usable.
	cardFromDefault = "default"
)

// cardInForce is the scorecard serve and the demo grade with and
// /scorecard reads.
type cardInForce struct {
	// Card is the card in force.
	Card *scorecard.Card
	// Hash is its catalog.CardHash, the hash its grades carry.
	Hash string
	// From is where it comes from: cardFromFile, cardFromStore or
	// cardFromDefault.
	From string
	// Since is when the kept card was first seen (cardFromStore).
	Since time.Time
	// Notice is what /scorecard says while the file's scorecard section
	// has errors; "" when it has none.
	Notice string
}

// apply returns std with the card in force as its scorecard (std is not
// modified).
func (c cardInForce) apply(std *standards.Standards) *standards.Standards {
	s := *std
	s.Scorecard = c.Card
	return &s
}

// chooseCard decides which scorecard is in force, so that a malformed
// scorecard section leaves the previous scorecard in force, across
// restarts and replicas:
//   - the file's scorecard section is valid (or absent: the embedded
//     default's card): its card, kept in keeper as the last good card;
//   - the section has errors (loadStandardsKeepingScorecard logged them
//     with their positions): the last good card kept is in force;
//   - none was kept, or the one kept no longer compiles (kept by another
//     version of Switchboard): the embedded default, and the log says so.
//
// Only a failure of keeper is an error.
func chooseCard(ctx context.Context, ld standards.Loaded, keeper cardKeeper, log *slog.Logger) (cardInForce, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	source := ld.Path
	if ld.ScorecardValid() {
		kept, err := keeper.PutScorecard(ctx, ld.Standards.Scorecard, source)
		if err != nil {
			return cardInForce{}, fmt.Errorf("scorecard in force: %w", err)
		}
		return cardInForce{Card: ld.Standards.Scorecard, Hash: kept.Hash, From: cardFromFile, Since: kept.FirstSeen}, nil
	}
	first := ld.ScorecardErrors[0]
	errs := fmt.Sprintf("The standards file's scorecard has %s (first at %s:%d:%d: %s)",
		plural(len(ld.ScorecardErrors), "error"), first.Path, first.Line, first.Col, first.Message)
	useDefault := func(why, notice string) (cardInForce, error) {
		card := standards.Default().Scorecard
		hash, err := catalog.CardHash(card)
		if err != nil {
			return cardInForce{}, fmt.Errorf("scorecard in force: %w", err)
		}
		log.Warn("scorecard: the standards file's scorecard section has errors and "+why+": the embedded default scorecard is in force",
			"errors", len(ld.ScorecardErrors), "first", fmt.Sprintf("%s:%d:%d", first.Path, first.Line, first.Col), "hash", hash)
		return cardInForce{Card: card, Hash: hash, From: cardFromDefault, Notice: errs + "; " + notice}, nil
	}
	kept, err := keeper.LastScorecard(ctx)
	if errors.Is(err, catalog.ErrNotFound) {
		return useDefault("no good scorecard was ever kept", "no good scorecard was kept, so the embedded default is in force.")
	}
	if err != nil {
		return cardInForce{}, fmt.Errorf("scorecard in force: %w", err)
	}
	card, err := kept.Compile()
	if err != nil {
		log.Warn("scorecard: the last good scorecard kept no longer compiles", "hash", kept.Hash, "source", kept.Source, "err", err)
		return useDefault("the last good one no longer compiles", "the last good scorecard no longer compiles, so the embedded default is in force.")
	}
	hash, err := catalog.CardHash(card)
	if err != nil {
		return cardInForce{}, fmt.Errorf("scorecard in force: %w", err)
	}
	if hash != kept.Hash {
		// Read back by another version: the grades are made again.
		log.Info("scorecard: the last good scorecard reads back with another hash", "kept", kept.Hash, "hash", hash)
	}
	log.Warn("scorecard: the standards file's scorecard section has errors: the last good scorecard is in force",
		"errors", len(ld.ScorecardErrors), "first", fmt.Sprintf("%s:%d:%d", first.Path, first.Line, first.Col),
		"hash", hash, "source", kept.Source, "since", kept.FirstSeen.UTC().Format(time.RFC3339))
	return cardInForce{Card: card, Hash: hash, From: cardFromStore, Since: kept.FirstSeen,
		Notice: fmt.Sprintf("%s; the last good scorecard (from %s) is in force.", errs, kept.FirstSeen.UTC().Format("2006-01-02 15:04 UTC"))}, nil
}
