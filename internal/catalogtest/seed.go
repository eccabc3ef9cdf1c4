// Package catalogtest fills a catalog with realistic bulk data for
// benchmarks and load tests, and reads back what only tests need.
package catalogtest

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/catalog"
)

var (
	teams = []string{"payments", "identity", "search", "platform", "data", "mobile", "storefront", "backoffice", "risk", "growth"}
	words = []string{"api", "worker", "gateway", "indexer", "sync", "scheduler", "exporter", "frontend", "bff", "cache",
		"ledger", "router", "notifier", "importer", "reporter", "auth", "profile", "pricing", "catalog", "stream"}
)

// SeedServices bulk-loads n services named like real ones
// ("payments-ledger-api-17"), spread over ten teams, each with one alias
// ("svc<id>"), and returns their names in insertion order. The same n gives
// the same names.
func SeedServices(ctx context.Context, s *catalog.Store, n int) ([]string, error) {
	teamIDs := map[string]int64{}
	for _, t := range teams {
		team, err := s.PutTeam(ctx, catalog.Team{Name: t, SlackChannel: "#team-" + t})
		if err != nil {
			return nil, fmt.Errorf("seed teams: %w", err)
		}
		teamIDs[t] = team.ID
	}
	rng := rand.New(rand.NewPCG(1, 2))
	names := make([]string, n)
	rows := make([][]any, n)
	for i := range n {
		team := teams[rng.IntN(len(teams))]
		names[i] = fmt.Sprintf("%s-%s-%s-%d", team, words[rng.IntN(len(words))], words[rng.IntN(len(words))], i)
		links := fmt.Sprintf(`[{"kind":"runbook","title":"Runbook","url":"https://wiki.example/runbooks/%s"}]`, names[i])
		rows[i] = []any{names[i], teamIDs[team], "descriptor", "production", "2", links}
	}
	if _, err := s.Pool().CopyFrom(ctx, pgx.Identifier{"services"}, []string{"name", "team_id", "source", "lifecycle", "tier", "links"}, pgx.CopyFromRows(rows)); err != nil {
		return nil, fmt.Errorf("seed services: %w", err)
	}
	if _, err := s.Pool().Exec(ctx, `INSERT INTO service_aliases (service_id, alias) SELECT id, 'svc' || id FROM services`); err != nil {
		return nil, fmt.Errorf("seed aliases: %w", err)
	}
	if _, err := s.Pool().Exec(ctx, `ANALYZE`); err != nil {
		return nil, fmt.Errorf("seed: analyze: %w", err)
	}
	return names, nil
}
