package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/grading"
	"github.com/switchboard-dev/switchboard/internal/pgtest"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
	"github.com/switchboard-dev/switchboard/sampleorg"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/standards"
)

// incidentEnv is the sample organisation in a store, the fake PagerDuty
// with the sample's incident history over HTTP, and every command.
type incidentEnv struct {
	store  *catalog.Store
	fake   *fakepd.Server
	pd     *pagerduty.Client
	router *commands.Router
}

func newIncidentEnv(t *testing.T) *incidentEnv {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	store := catalog.NewStore(pgtest.New(t), nil)
	if err := sampleorg.Load(ctx, store); err != nil {
		t.Fatal(err)
	}
	fake := fakepd.Sample(now)
	if err := sampleorg.AddIncidents(fake, now); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	pd, err := pagerduty.New(pagerduty.Config{Token: fakepd.SampleToken, APIURL: srv.URL, EventsURL: srv.URL,
		Retry: pagerduty.RetryPolicy{InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	router := newRouter(deps{log: slog.New(slog.DiscardHandler), store: store, lookups: store, pagerduty: pd, standards: standards.Default()})
	return &incidentEnv{store: store, fake: fake, pd: pd, router: router}
}

func (e *incidentEnv) run(t *testing.T, line string) commands.Response {
	t.Helper()
	cmd, text, _ := strings.Cut(line, " ")
	resp, err := e.router.Dispatch(context.Background(), commands.Request{Command: cmd, Text: text, User: commands.User{ID: "U1", Email: "ada.lovelace@" + sampleorg.Domain}})
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return resp
}

// withoutIncidentLine is resp's blocks without the "Incidents:" line, and
// that line's text.
func withoutIncidentLine(resp commands.Response) ([]commands.Block, string) {
	var out []commands.Block
	line := ""
	for _, b := range resp.Blocks {
		if s, ok := b.(*commands.Section); ok && len(s.Text) > 0 && s.Text[0].Text == "Incidents:" {
			line = s.Text.String()
			continue
		}
		out = append(out, b)
	}
	return out, line
}

// TestWhoOwnsIncidents: the sample's checkout-api shows its counts after a
// refresh; with PagerDuty's /incidents down (never read, then down for over
// an hour) the line says unknown and why, never 0, and the rest of the
// card is the same.
func TestWhoOwnsIncidents(t *testing.T) {
	ctx := context.Background()
	e := newIncidentEnv(t)

	// Never read: PagerDuty's incidents down from the start.
	e.fake.SetFaultPath("/incidents")
	e.fake.SetDown(true)
	if err := refreshDemoIncidents(ctx, e.store, e.pd); err == nil {
		t.Fatal("refresh with /incidents down: no error")
	}
	down := e.run(t, "/whoowns checkout-api")
	downBlocks, downLine := withoutIncidentLine(down)
	if !strings.Contains(downLine, "unknown — PagerDuty has not answered yet") || strings.Contains(downLine, "0 incidents") {
		t.Errorf("PagerDuty down: incident line %q", downLine)
	}

	e.fake.SetDown(false)
	if err := refreshDemoIncidents(ctx, e.store, e.pd); err != nil {
		t.Fatal(err)
	}
	up := e.run(t, "/whoowns checkout-api")
	upBlocks, upLine := withoutIncidentLine(up)
	if want := "Incidents: 7 incidents in 30 days (3 out of hours) · 19 in 90 days"; upLine != want {
		t.Errorf("incident line %q, want %q", upLine, want)
	}
	if !strings.Contains(up.Text, "7 incidents in 30 days") {
		t.Errorf("fallback text %q lacks the counts", up.Text)
	}
	if !reflect.DeepEqual(upBlocks, downBlocks) {
		t.Errorf("the rest of the card changed with PagerDuty down:\nup   %#v\ndown %#v", upBlocks, downBlocks)
	}

	// Down for two hours after a read: unknown again, saying since when.
	e.store.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
	e.fake.SetDown(true)
	if err := refreshDemoIncidents(ctx, e.store, e.pd); err == nil {
		t.Fatal("refresh with /incidents down: no error")
	}
	_, line := withoutIncidentLine(e.run(t, "/whoowns checkout-api"))
	if !strings.HasPrefix(line, "Incidents: unknown — PagerDuty has not answered since ") {
		t.Errorf("down after a read: incident line %q", line)
	}

	// A service without a PagerDuty service: unknown, saying so.
	_, line = withoutIncidentLine(e.run(t, "/whoowns pricing-engine"))
	if line != "Incidents: unknown — no PagerDuty service in the descriptor" {
		t.Errorf("pricing-engine: incident line %q", line)
	}
}

// TestTeamIncidents: /team sums its services' counts and names the
// noisiest.
func TestTeamIncidents(t *testing.T) {
	e := newIncidentEnv(t)
	if err := refreshDemoIncidents(context.Background(), e.store, e.pd); err != nil {
		t.Fatal(err)
	}
	resp := e.run(t, "/team payments")
	_, line := withoutIncidentLine(resp)
	// The payments services' counts, summed from the sample's history.
	want := 0
	for _, ref := range []string{"checkout-api", "payment-gateway", "ledger", "refunds-worker", "fraud-scoring"} {
		id := fakepd.SampleServiceID(ref)
		for _, in := range sampleorg.Incidents(time.Now()) {
			if in.ServiceID == id && time.Since(in.CreatedAt) < 30*24*time.Hour {
				want++
			}
		}
	}
	if !strings.HasPrefix(line, "Incidents: "+strconv.Itoa(want)+" incidents in 30 days") || !strings.Contains(line, "noisiest: checkout-api (7 in 30 days)") {
		t.Errorf("/team payments: incident line %q, want %d in 30 days, checkout-api the noisiest", line, want)
	}
}

// TestIncidentRefreshJob: serve with PagerDuty reads the incidents as a
// River job when it starts, and, its card checking incidents_30d, grades
// every service again once the counts turn known: checkout-api's 7
// incidents fail "incidents_30d < 5" (not unknown) without waiting for the
// daily grading.
func TestIncidentRefreshJob(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newIncidentEnv(t)
	std, findings := standards.Parse("sb.yaml", []byte(`scorecard:
  levels: [{name: calm}]
  checks:
    - {id: calm, level: calm, name: Calm, fact: incidents_30d, op: lt, value: 5, message: Fewer pages.}
`))
	if len(findings) > 0 {
		t.Fatal(findings)
	}
	cfg, err := loadServeConfig(envMap{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef", "LISTEN_ADDR": "127.0.0.1:0"}.get)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := newServer(cfg, &database{Pool: e.store.Pool()}, slog.New(slog.DiscardHandler), extras{pagerduty: e.pd, standards: std})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.work.start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.work.stop(context.Background()) }()
	id := serviceID(t, e.store, "checkout-api")
	deadline := time.Now().Add(30 * time.Second)
	for {
		var status scorecard.Status
		g, err := e.store.ServiceGrade(ctx, id)
		if err == nil && len(g.Grade.Results) == 1 {
			status = g.Grade.Results[0].Status
		}
		if status == scorecard.Failed {
			break
		}
		if time.Now().After(deadline) {
			st, _ := e.store.IncidentRefresh(ctx)
			t.Fatalf("checkout-api's calm check: %v (%v) after 30s; incidents refresh %+v", status, err, st)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func serviceID(t *testing.T, store *catalog.Store, name string) int64 {
	t.Helper()
	var id int64
	if err := store.Pool().QueryRow(context.Background(), `SELECT id FROM services WHERE name = $1 AND namespace = 'default'`, name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestRegradeWaitsForRunningGrading: the grading owed once the incident
// counts turned is not lost to a grading of every service already running
// (it read the counts before): queueGradeAllAfter waits for that one to
// end and queues another; a grading still waiting is enough as it is.
func TestRegradeWaitsForRunningGrading(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool := pgtest.New(t)
	client, err := jobs.New(pool, jobs.Config{}) // inserts only
	if err != nil {
		t.Fatal(err)
	}
	gradeAlls := func() map[string]int {
		rows, err := pool.Query(ctx, `SELECT state::text FROM river_job WHERE kind = $1`, grading.GradeAllArgs{}.Kind())
		if err != nil {
			t.Fatal(err)
		}
		states, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		n := map[string]int{}
		for _, s := range states {
			n[s]++
		}
		return n
	}

	// One waiting: it reads the counts when it runs; nothing more queued.
	if err := queueGradeAllAfter(ctx, client.Client, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := queueGradeAllAfter(ctx, client.Client, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if got := gradeAlls(); !reflect.DeepEqual(got, map[string]int{"available": 1}) {
		t.Fatalf("with one waiting: grade-all jobs %v, want one available", got)
	}

	// One running: another is queued once it has ended, not before.
	if _, err := pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() WHERE kind = $1`, grading.GradeAllArgs{}.Kind()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- queueGradeAllAfter(ctx, client.Client, 10*time.Millisecond) }()
	select {
	case err := <-done:
		t.Fatalf("returned (%v) while the grading that read the old counts runs; jobs %v", err, gradeAlls())
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := pool.Exec(ctx, `UPDATE river_job SET state = 'completed', finalized_at = now() WHERE kind = $1`, grading.GradeAllArgs{}.Kind()); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := gradeAlls(); !reflect.DeepEqual(got, map[string]int{"completed": 1, "available": 1}) {
		t.Fatalf("after the running one ended: grade-all jobs %v, want it completed and another available", got)
	}

	// Still running when the job's context ends: an error, not silence.
	if _, err := pool.Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = now() WHERE kind = $1 AND state = 'available'`, grading.GradeAllArgs{}.Kind()); err != nil {
		t.Fatal(err)
	}
	short, stop := context.WithTimeout(ctx, 50*time.Millisecond)
	defer stop()
	if err := queueGradeAllAfter(short, client.Client, 10*time.Millisecond); err == nil {
		t.Fatal("grading still running at the deadline: no error")
	}
}
