package catalog_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// TestCoverageDays: one row a day; the latest recording stands whatever
// order replicas write in; the history is oldest first from the day asked.
func TestCoverageDays(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	day1 := time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	if err := s.RecordCoverageDay(ctx, day1, catalog.Coverage{Active: 10, Catalogued: 5}); err != nil {
		t.Fatal(err)
	}
	// Two replicas record day 2 at once, at different times: the later
	// recording stands, whichever commits last.
	var wg sync.WaitGroup
	for i, at := range []time.Time{day2.Add(2 * time.Hour), day2.Add(time.Hour), day2} {
		wg.Go(func() {
			if err := s.RecordCoverageDay(ctx, at, catalog.Coverage{Active: 10, Catalogued: 9 - i}); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := s.RecordCoverageDay(ctx, day1.Add(14*time.Hour), catalog.Coverage{Active: 1}); err != nil { // day 1, 23:00
		t.Fatal(err)
	}
	got, err := s.CoverageHistory(ctx, day1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Day.Equal(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)) || got[1].Coverage.Catalogued != 9 {
		t.Fatalf("history: %+v", got)
	}
	if got[0].Coverage.Active != 1 {
		// 23:00 on day 1 is later than 09:00 on day 1.
		t.Fatalf("day 1's later recording did not stand: %+v", got[0])
	}
	if got, err := s.CoverageHistory(ctx, day2); err != nil || len(got) != 1 {
		t.Fatalf("since day 2: %v %+v", err, got)
	}
}

// TestRepoDetails: a service's repos with their descriptor findings and a
// bounded list of dependencies, direct ones first, with the full count.
func TestRepoDetails(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	svc := mustPutService(t, s, catalog.Service{Name: "invoice-service"})
	pool := s.Pool()
	var repoID int64
	if err := pool.QueryRow(ctx, `INSERT INTO repos (gitlab_id, path, descriptor_status, descriptor_path, descriptor_errors)
		VALUES (7, 'acme/invoice-service', 'invalid', 'catalog-info.yaml',
		'[{"path":"catalog-info.yaml","line":5,"col":3,"severity":"error","rule":"required","message":"spec.owner is missing"}]')
		RETURNING id`).Scan(&repoID); err != nil {
		t.Fatal(err)
	}
	if err := s.AttachRepo(ctx, svc.ID, repoID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO dependencies (repo_id, ecosystem, name, version, file, source, direct)
		SELECT $1, 'npm', 'pkg-' || g, '1.0.' || g, 'package.json', 'package-lock.json', g = 7 FROM generate_series(1, 12) g`, repoID); err != nil {
		t.Fatal(err)
	}
	got, err := s.RepoDetails(ctx, svc.ID, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d repos", len(got))
	}
	r := got[0]
	if r.Repo.Path != "acme/invoice-service" || len(r.Findings) != 1 || r.Findings[0].Line != 5 || r.Findings[0].Message != "spec.owner is missing" {
		t.Errorf("repo and findings: %+v", r)
	}
	if r.DependencyCount != 12 || len(r.Dependencies) != 5 || r.Dependencies[0].Name != "pkg-7" || !r.Dependencies[0].Direct {
		t.Errorf("dependencies: %d of %d, first %+v", len(r.Dependencies), r.DependencyCount, r.Dependencies)
	}
	if none, err := s.RepoDetails(ctx, svc.ID+1000, 5); err != nil || len(none) != 0 {
		t.Errorf("unknown service: %v %+v", err, none)
	}
}

// TestTeamServiceRefs: up to the limit, in TeamServices' order, with the
// count of all.
func TestTeamServiceRefs(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	team, err := s.PutTeam(ctx, catalog.Team{Name: "payments"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"zeta", "alpha", "mid"} {
		mustPutService(t, s, catalog.Service{Name: n, Team: team.Name})
	}
	mustPutService(t, s, catalog.Service{Name: "other"})
	refs, total, err := s.TeamServiceRefs(ctx, team.ID, 2)
	if err != nil {
		t.Fatal(err)
	}
	owned, err := s.TeamServices(ctx, team.ID)
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(refs) != 2 || refs[0].Name != owned[0].Service.Name || refs[1].Name != owned[1].Service.Name {
		t.Fatalf("refs %+v of %d; TeamServices order %s, %s", refs, total, owned[0].Service.Name, owned[1].Service.Name)
	}
	if refs, total, err := s.TeamServiceRefs(ctx, team.ID+99, 2); err != nil || total != 0 || len(refs) != 0 {
		t.Fatalf("unknown team: %v %d %+v", err, total, refs)
	}
}
