package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

// Scorecard sections for the tests: two valid cards, A and B, and a
// broken one (an unknown operator at line 10, column 11 of the file).
const (
	cardAYAML = `version: 1
scorecard:
  levels: [bronze, silver]
  checks:
    - {id: owner, level: bronze, fact: has_owner, message: Set spec.owner.}
    - {id: readme, level: silver, fact: readme, message: Add a README.}
`
	cardBYAML = cardAYAML + `    - {id: ci, level: silver, fact: 'file:.gitlab-ci.yml', message: Add CI.}
`
	brokenCardYAML = cardAYAML + `    - id: merged
      level: silver
      fact: last_merge_age
      op: gee
      value: 90d
`
)

// writeStandards writes a standards file in dir and returns its path.
func writeStandards(t *testing.T, dir, text string) string {
	t.Helper()
	path := filepath.Join(dir, "standards.yaml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// loadCard reads a standards file's scorecard as LoadKeepingScorecard
// does.
func loadCard(t *testing.T, path string) standards.Loaded {
	t.Helper()
	ld, err := standards.LoadKeepingScorecard(path)
	if err != nil {
		t.Fatal(err)
	}
	return ld
}

func hashOf(t *testing.T, card *scorecard.Card) string {
	t.Helper()
	h, err := catalog.CardHash(card)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// memKeeper is a cardKeeper in memory.
type memKeeper struct {
	last *catalog.StoredCard
	puts int
	err  error
}

func (m *memKeeper) PutScorecard(_ context.Context, card *scorecard.Card, source string) (catalog.StoredCard, error) {
	if m.err != nil {
		return catalog.StoredCard{}, m.err
	}
	raw, err := json.Marshal(card)
	if err != nil {
		return catalog.StoredCard{}, err
	}
	h, err := catalog.CardHash(card)
	if err != nil {
		return catalog.StoredCard{}, err
	}
	m.puts++
	m.last = &catalog.StoredCard{Hash: h, JSON: raw, Source: source, FirstSeen: time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)}
	return *m.last, nil
}

func (m *memKeeper) LastScorecard(context.Context) (catalog.StoredCard, error) {
	if m.err != nil {
		return catalog.StoredCard{}, m.err
	}
	if m.last == nil {
		return catalog.StoredCard{}, catalog.ErrNotFound
	}
	return *m.last, nil
}

// TestChooseCard: which scorecard is in force, from the standards file
// and the last good card kept.
func TestChooseCard(t *testing.T) {
	dir := t.TempDir()
	valid := loadCard(t, writeStandards(t, filepath.Join(dir), cardAYAML))
	bdir := filepath.Join(dir, "b")
	if err := os.Mkdir(bdir, 0o700); err != nil {
		t.Fatal(err)
	}
	cardB := loadCard(t, writeStandards(t, bdir, cardBYAML))
	brokenDir := filepath.Join(dir, "broken")
	if err := os.Mkdir(brokenDir, 0o700); err != nil {
		t.Fatal(err)
	}
	brokenPath := writeStandards(t, brokenDir, brokenCardYAML)
	broken := loadCard(t, brokenPath)
	if broken.ScorecardValid() {
		t.Fatal("the broken card reads without errors")
	}
	hashA, hashB := hashOf(t, valid.Standards.Scorecard), hashOf(t, cardB.Standards.Scorecard)
	hashDefault := hashOf(t, standards.Default().Scorecard)
	keptA := func() *memKeeper {
		k := &memKeeper{}
		if _, err := k.PutScorecard(context.Background(), valid.Standards.Scorecard, valid.Path); err != nil {
			t.Fatal(err)
		}
		k.puts = 0
		return k
	}
	gone := keptA()
	gone.last.JSON = bytes.Replace(gone.last.JSON, []byte(`"has_owner"`), []byte(`"owner_of_old"`), 1)
	at := brokenPath + ":10:11"
	tests := []struct {
		name       string
		file       standards.Loaded
		keeper     *memKeeper
		wantHash   string
		wantFrom   string
		wantPuts   int
		wantNotice string // "" for none; else a part of it
		wantLog    []string
		wantErr    bool
	}{
		{"file valid, none kept", valid, &memKeeper{}, hashA, cardFromFile, 1, "", nil, false},
		{"file valid, another kept", cardB, keptA(), hashB, cardFromFile, 1, "", nil, false},
		{"embedded default file", standards.Loaded{Standards: standards.Default()}, keptA(), hashDefault, cardFromFile, 1, "", nil, false},
		{"section broken, A kept", broken, keptA(), hashA, cardFromStore, 0,
			"The standards file's scorecard has 1 error (first at " + at + ": check merged: \"gee\" is not an operator: did you mean ge?); the last good scorecard (from 2026-11-30 08:00 UTC) is in force.",
			[]string{"first=" + at, "the last good scorecard is in force"}, false},
		{"section broken, none kept", broken, &memKeeper{}, hashDefault, cardFromDefault, 0,
			"The standards file's scorecard has 1 error (first at " + at + ": check merged: \"gee\" is not an operator: did you mean ge?); no good scorecard was kept, so the embedded default is in force.",
			[]string{"first=" + at, "no good scorecard was ever kept: the embedded default scorecard is in force"}, false},
		{"section broken, kept card no longer compiles", broken, gone, hashDefault, cardFromDefault, 0,
			"the last good scorecard no longer compiles, so the embedded default is in force.",
			[]string{"first=" + at, "no longer compiles", "owner_of_old", "the embedded default scorecard is in force"}, false},
		{"store fails, file valid", valid, &memKeeper{err: errors.New("database down")}, "", "", 0, "", nil, true},
		{"store fails, section broken", broken, &memKeeper{err: errors.New("database down")}, "", "", 0, "", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			got, err := chooseCard(context.Background(), tt.file, tt.keeper, slog.New(slog.NewTextHandler(&logs, nil)))
			if tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), "database down") {
					t.Fatalf("got %v, want the store's error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Hash != tt.wantHash || hashOf(t, got.Card) != tt.wantHash || got.From != tt.wantFrom {
				t.Errorf("got card %s (hash field %s) from %s, want %s from %s", hashOf(t, got.Card), got.Hash, got.From, tt.wantHash, tt.wantFrom)
			}
			if tt.keeper.puts != tt.wantPuts {
				t.Errorf("kept %d cards, want %d", tt.keeper.puts, tt.wantPuts)
			}
			if (tt.wantNotice == "") != (got.Notice == "") || !strings.Contains(got.Notice, tt.wantNotice) {
				t.Errorf("notice %q, want %q", got.Notice, tt.wantNotice)
			}
			if tt.wantFrom == cardFromFile && tt.keeper.last.Hash != tt.wantHash {
				t.Errorf("kept %s, want the file's %s", tt.keeper.last.Hash, tt.wantHash)
			}
			for _, w := range tt.wantLog {
				if !strings.Contains(logs.String(), w) {
					t.Errorf("the log lacks %q:\n%s", w, logs.String())
				}
			}
			std := got.apply(tt.file.Standards)
			if std.Scorecard != got.Card || tt.file.Standards.Scorecard == got.Card && tt.wantFrom == cardFromStore {
				t.Error("apply does not put the card in force in a copy of the standards")
			}
		})
	}
}
