// Package grading grades the catalog's services against the scorecard and
// keeps the grades current: it collects each service's facts from the
// catalog (catalog.Store.ScoreSubjects), evaluates them with the card
// (scorecard.Card.Evaluate), and stores the grades with their daily history
// and changes of level (catalog.Store.PutGrades).
//
// When it runs, as River jobs (jobs.go):
//
//   - a repo's sync that stored a change queues scorecard_grade for the
//     repo (unique per project while it waits): its services are graded
//     again;
//   - scorecard_refresh, every few minutes: reads PagerDuty's on-call once
//     for the whole account (PagerDuty down: the facts become unknown once
//     stale, never false), grades the services whose PagerDuty facts
//     changed, and those whose grade is missing, older than their repo's
//     last sync, or made by another card (a changed card re-grades);
//   - scorecard_grade_all, daily and when a leader starts: every service,
//     so that facts that move with time (last activity) and the history
//     have a row a day;
//   - scorecard_notify: tells a team's channel once when one of its services
//     drops a level (a failed check, not an unknown fact), whichever replica
//     works it and however often.
package grading

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// OnCallSource reads who is on call for the whole PagerDuty account at
// once; *pagerduty.Client is one.
type OnCallSource interface {
	AllOnCall(ctx context.Context) ([]oncall.PolicyNow, error)
}

// Grader grades services with one card. It is safe for concurrent use.
type Grader struct {
	store *catalog.Store
	card  *scorecard.Card
	hash  string
	log   *slog.Logger
	// PagerDuty, when set, is asked by RefreshPagerDuty; without it the
	// PagerDuty facts stay unknown ("not asked yet").
	PagerDuty OnCallSource
}

// New returns a grader of the catalog's services with card.
func New(store *catalog.Store, card *scorecard.Card, log *slog.Logger) (*Grader, error) {
	if card == nil {
		return nil, errors.New("grading: no scorecard")
	}
	hash, err := catalog.CardHash(card)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Grader{store: store, card: card, hash: hash, log: log}, nil
}

// Card returns the grader's card.
func (g *Grader) Card() *scorecard.Card { return g.card }

// CardHash returns the hash stored with the grader's grades.
func (g *Grader) CardHash() string { return g.hash }

// Result is what a grading did and what each part cost.
type Result struct {
	// Services is how many services were graded.
	Services int
	// Changes are the changes of level recorded (rises and drops).
	Changes []catalog.LevelChange
	// Collect, Evaluate and Store are the time spent reading the facts,
	// evaluating the card and storing the grades.
	Collect, Evaluate, Store time.Duration
}

// Drops counts the drops among the changes.
func (r Result) Drops() int {
	n := 0
	for _, c := range r.Changes {
		if c.Drop() {
			n++
		}
	}
	return n
}

// GradeAll grades every active service.
func (g *Grader) GradeAll(ctx context.Context) (Result, error) {
	return g.grade(ctx, nil)
}

// GradeServices grades the active services with the given ids; none when
// ids is empty.
func (g *Grader) GradeServices(ctx context.Context, ids []int64) (Result, error) {
	if len(ids) == 0 {
		return Result{}, nil
	}
	return g.grade(ctx, ids)
}

// GradeProject grades the services of the repo of GitLab project
// gitlabID (those its descriptor provides).
func (g *Grader) GradeProject(ctx context.Context, gitlabID int64) (Result, error) {
	ids, err := g.store.ServicesOfProject(ctx, gitlabID)
	if err != nil {
		return Result{}, fmt.Errorf("grade project %d: %w", gitlabID, err)
	}
	res, err := g.GradeServices(ctx, ids)
	if err != nil {
		return res, fmt.Errorf("grade project %d: %w", gitlabID, err)
	}
	return res, nil
}

// grade grades the services with ids (all when nil). The grades are
// stored as of when the facts were read, so that a sync storing a change
// meanwhile leaves them older than the repo's sync, to be graded again by
// the next refresh. The drops are told by a scorecard_notify job inserted
// in the grades' transaction when grade runs in a River job (a client in
// ctx); otherwise the next refresh queues it.
func (g *Grader) grade(ctx context.Context, ids []int64) (Result, error) {
	var res Result
	started := g.store.Now()
	t0 := time.Now()
	subs, err := g.store.ScoreSubjects(ctx, g.card, ids)
	if err != nil {
		return res, fmt.Errorf("grade: %w", err)
	}
	t1 := time.Now()
	grades := make([]catalog.ServiceGrade, len(subs))
	for i, sub := range subs {
		grades[i] = catalog.ServiceGrade{Service: sub.Service, Grade: g.card.Evaluate(sub.Attrs, sub.Values), GradedAt: started, CardHash: g.hash}
	}
	t2 := time.Now()
	res.Changes, err = g.store.PutGrades(ctx, grades, insertNotify)
	if err != nil {
		return res, fmt.Errorf("grade: %w", err)
	}
	t3 := time.Now()
	res.Services = len(grades)
	res.Collect, res.Evaluate, res.Store = t1.Sub(t0), t2.Sub(t1), t3.Sub(t2)
	if len(res.Changes) > 0 {
		g.log.Info("scorecard: levels changed", "services", res.Services, "changes", len(res.Changes), "drops", res.Drops())
	}
	return res, nil
}

// insertNotify queues the job telling teams of drops, in the grades'
// transaction, when there are drops and a River client in ctx.
func insertNotify(ctx context.Context, tx pgx.Tx, drops []catalog.LevelChange) error {
	if len(drops) == 0 {
		return nil
	}
	client, err := river.ClientFromContextSafely[pgx.Tx](ctx)
	if err != nil {
		return nil // not in a job: the next refresh queues it
	}
	if _, err := client.InsertTx(ctx, tx, NotifyArgs{}, nil); err != nil {
		return fmt.Errorf("queue the drops' notification: %w", err)
	}
	return nil
}

// RefreshResult is what a refresh did.
type RefreshResult struct {
	// PagerDuty is nil when PagerDuty answered (or is not configured),
	// else why it did not: its facts stay until stale.
	PagerDuty error
	// Policies is how many escalation policies PagerDuty gave.
	Policies int
	// Graded is the grading of the services whose facts changed or whose
	// grade was missing, stale or of another card.
	Graded Result
	// PendingDrops is how many drops are still to be told.
	PendingDrops int
}

// sweepLimit bounds the services a refresh grades beyond those PagerDuty
// changed; the rest wait for the next refresh (or the daily grading).
const sweepLimit = 2000

// Refresh reads PagerDuty's on-call (when configured) into the catalog,
// then grades the services whose PagerDuty facts changed, all those on
// PagerDuty when the facts turned fresh or stale, and the services whose
// grade is missing, older than their repo's sync, or of another card. A
// PagerDuty failure is recorded, never returned: its facts go unknown once
// older than catalog.PagerDutyStale.
func (g *Grader) Refresh(ctx context.Context) (RefreshResult, error) {
	var out RefreshResult
	now := g.store.Now()
	before, err := g.store.LastPagerDutyRefresh(ctx)
	if err != nil {
		return out, fmt.Errorf("refresh: %w", err)
	}
	var ids []int64
	if g.PagerDuty != nil {
		policies, err := g.PagerDuty.AllOnCall(ctx)
		if err != nil {
			out.PagerDuty = err
			if err := g.store.PagerDutyRefreshFailed(ctx, now, err.Error()); err != nil {
				return out, fmt.Errorf("refresh: %w", err)
			}
			g.log.Warn("scorecard: PagerDuty not read; its facts stay until stale", "err", err)
		} else {
			out.Policies = len(policies)
			var facts []catalog.OnCallFact
			for _, p := range policies {
				for _, s := range p.Services {
					facts = append(facts, catalog.OnCallFact{ServiceID: s.ID, PolicyID: p.Policy.ID, OnCallNow: p.OnCallAtFirstLevel(), Levels: p.Rules})
				}
			}
			changed, err := g.store.PutPagerDutyFacts(ctx, facts, now)
			if err != nil {
				return out, fmt.Errorf("refresh: %w", err)
			}
			ids = append(ids, changed...)
		}
	}
	after, err := g.store.LastPagerDutyRefresh(ctx)
	if err != nil {
		return out, fmt.Errorf("refresh: %w", err)
	}
	// The facts turned fresh or stale since the last refresh: every
	// service on PagerDuty moves between known and unknown.
	last := before.SucceededAt
	if before.FailedAt.After(last) {
		last = before.FailedAt
	}
	if before.Fresh(last) != after.Fresh(now) {
		all, err := g.store.PagerDutyServices(ctx)
		if err != nil {
			return out, fmt.Errorf("refresh: %w", err)
		}
		ids = append(ids, all...)
	}
	stale, err := g.store.UngradedServices(ctx, g.hash, sweepLimit)
	if err != nil {
		return out, fmt.Errorf("refresh: %w", err)
	}
	ids = append(ids, stale...)
	if out.Graded, err = g.GradeServices(ctx, dedup(ids)); err != nil {
		return out, fmt.Errorf("refresh: %w", err)
	}
	pending, err := g.store.PendingDrops(ctx, now.Add(-notifyWindow))
	if err != nil {
		return out, fmt.Errorf("refresh: %w", err)
	}
	out.PendingDrops = len(pending)
	return out, nil
}

func dedup(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
