-- The scorecards the standards file gave (issue 13): each card a valid
-- file put in force, so that a replica started with a broken scorecard
-- section keeps the last good card (the one its grades were made with)
-- rather than refusing to start or falling back to the embedded default.
-- card is the compiled card's canonical JSON (its levels and checks, as
-- scorecard.Card marshals it), hash its catalog.CardHash (the grades'
-- card_hash); source is the standards file's path ('' for the embedded
-- default). first_seen is when a start first found the card, last_seen
-- when a start last found it valid: the last good card is the row last
-- seen.
CREATE TABLE scorecard_cards (
    hash       text PRIMARY KEY,
    card       jsonb NOT NULL,
    source     text NOT NULL DEFAULT '',
    first_seen timestamptz NOT NULL,
    last_seen  timestamptz NOT NULL
);
CREATE INDEX scorecard_cards_last_seen_idx ON scorecard_cards (last_seen DESC);
