package catalog_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

func testScoreCard(t *testing.T, checks ...scorecard.Check) *scorecard.Card {
	t.Helper()
	card, err := scorecard.Compile([]scorecard.Level{{Name: "bronze"}, {Name: "silver", Description: "Operable"}},
		append([]scorecard.Check{
			{ID: "owner", Level: "bronze", Fact: "has_owner", Message: "Set spec.owner."},
			{ID: "merged", Level: "silver", Fact: "last_merge_age", Op: scorecard.OpLe, Value: scorecard.Duration(90 * 24 * time.Hour)},
			{ID: "tier", Level: "silver", Fact: "tier", Op: scorecard.OpIn, Value: scorecard.List("tier-1", "tier-2"), AppliesTo: scorecard.AppliesTo{Lifecycles: []string{"production"}}},
		}, checks...))
	if err != nil {
		t.Fatal(err)
	}
	return card
}

// TestScorecardStore: the last good card is the one last put; it compiles
// back to the same hash; putting it again writes nothing; going back to
// an older card makes it the last again, with its first sighting kept.
func TestScorecardStore(t *testing.T) {
	ctx := context.Background()
	store := catalog.NewStore(pgtest.New(t), nil)
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	store.Now = func() time.Time { return now }
	if _, err := store.LastScorecard(ctx); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("empty store: got %v, want ErrNotFound", err)
	}
	a := testScoreCard(t)
	b := testScoreCard(t, scorecard.Check{ID: "readme", Level: "bronze", Fact: "readme"})
	hashA, _ := catalog.CardHash(a)
	hashB, _ := catalog.CardHash(b)
	type step struct {
		card       *scorecard.Card
		source     string
		wantHash   string
		wantFirst  time.Time
		wantLast   time.Time
		wantSource string
	}
	steps := []step{
		{a, "/etc/sb.yaml", hashA, now, now, "/etc/sb.yaml"},
		{a, "/etc/sb.yaml", hashA, now, now, "/etc/sb.yaml"}, // unchanged: not written (last_seen stays)
		{b, "/etc/sb.yaml", hashB, now.Add(2 * time.Hour), now.Add(2 * time.Hour), "/etc/sb.yaml"},
		{a, "/etc/other.yaml", hashA, now, now.Add(3 * time.Hour), "/etc/other.yaml"},
	}
	def := standards.Default().Scorecard
	hashDef, _ := catalog.CardHash(def)
	steps = append(steps, step{def, "", hashDef, now.Add(4 * time.Hour), now.Add(4 * time.Hour), ""})
	for i, st := range steps {
		if i > 0 {
			now = now.Add(time.Hour)
		}
		put, err := store.PutScorecard(ctx, st.card, st.source)
		if err != nil {
			t.Fatal(err)
		}
		last, err := store.LastScorecard(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []catalog.StoredCard{put, last} {
			if c.Hash != st.wantHash || !c.FirstSeen.Equal(st.wantFirst) || !c.LastSeen.Equal(st.wantLast) || c.Source != st.wantSource {
				t.Errorf("step %d: got %s from %q seen %s..%s, want %s from %q seen %s..%s", i, c.Hash, c.Source, c.FirstSeen, c.LastSeen,
					st.wantHash, st.wantSource, st.wantFirst, st.wantLast)
			}
		}
		card, err := last.Compile()
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if h, _ := catalog.CardHash(card); h != st.wantHash {
			t.Errorf("step %d: the stored card compiles to hash %s, want %s", i, h, st.wantHash)
		}
	}
	// A card of another version, naming a fact this one lacks, does not
	// compile.
	if _, err := store.Pool().Exec(ctx, `UPDATE scorecard_cards SET card = jsonb_set(card, '{checks,0,fact}', '"gone_fact"') WHERE hash = $1`, hashDef); err != nil {
		t.Fatal(err)
	}
	last, err := store.LastScorecard(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := last.Compile(); err == nil {
		t.Error("a card naming an unknown fact compiled")
	}
}
