package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/jobs"
	"github.com/switchboard-dev/switchboard/pagerduty"
	"github.com/switchboard-dev/switchboard/rosters"
	"github.com/switchboard-dev/switchboard/standards"
)

// registerRosterCommands registers /team and /onboard, with on call from oc
// (the router's OnCallLookup). /onboard sends its welcome through
// d.directMessages (nil: the welcome is shown to whoever ran it) and asks
// d.slackProfiles who a mentioned Slack user is (nil: it asks for their
// email instead).
func registerRosterCommands(router *commands.Router, d deps, oc *commands.OnCallLookup) {
	router.Register(commands.TeamWithIncidents(d.store, oc, incidentCounts(d)))
	router.Register(commands.Onboard(commands.OnboardConfig{
		Catalog:   d.store,
		OnCall:    oc,
		Checklist: checklist(d.standards),
		Messenger: d.directMessages,
		Users:     d.slackProfiles,
		Log:       d.log,
	}))
}

// checklist is the onboarding checklist of std, the embedded default's when
// std is nil.
func checklist(std *standards.Standards) []standards.ChecklistItem {
	if std == nil {
		std = standards.Default()
	}
	return std.Onboarding.Checklist
}

// newHome is the App Home builder over d: each user's teams, services, on
// call, broken descriptors and onboarding. The bot calls its Build when a
// user opens the Home tab.
func newHome(d deps) commands.HomeView {
	return commands.HomeView{Catalog: d.store, OnCall: onCallLookup(d), Checklist: checklist(d.standards), Scorecards: scorecards(d)}
}

// newRosterSyncer refreshes the catalog's team rosters from GitLab groups
// and PagerDuty escalation policies. gl, pd and slack may be nil: that
// source is not read, or Slack users are not looked up.
func newRosterSyncer(store *catalog.Store, gl *gitlab.Client, pd *pagerduty.Client, slack rosters.SlackDirectory, log *slog.Logger) *rosters.Syncer {
	s := &rosters.Syncer{Store: store, Slack: slack, Log: log}
	// Assigned only when set: a nil pointer in an interface is not nil.
	if gl != nil {
		s.GitLab = gl
	}
	if pd != nil {
		s.PagerDuty = pd
	}
	return s
}

// runDemoRosters fills the demo's rosters the way serve does after each
// sync: from the fake GitLab's groups and the fake PagerDuty's escalation
// policies. The sample people's Slack ids come from the sample directory
// already, so Slack is not asked.
func runDemoRosters(ctx context.Context, store *catalog.Store, gl *gitlab.Client, pd *pagerduty.Client, log *slog.Logger) error {
	sum, err := newRosterSyncer(store, gl, pd, nil, log).Run(ctx)
	if err != nil {
		return fmt.Errorf("demo rosters: %w", err)
	}
	if err := sum.Err(); err != nil {
		return fmt.Errorf("demo rosters: %w", err)
	}
	return nil
}

// rosterArgs is the River job that refreshes every team's roster. It is
// unique while one waits or runs: one refresh at a time in the cluster.
type rosterArgs struct{}

// Kind implements river.JobArgs.
func (rosterArgs) Kind() string { return "roster_refresh" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (rosterArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByState: jobs.WhileQueued}}
}

// rosterWorker refreshes the rosters with a Syncer. A refresh that could
// not read its sources fails the job (River retries it); teams that failed
// alone are logged, and the next refresh tries them again.
type rosterWorker struct {
	river.WorkerDefaults[rosterArgs]
	syncer *rosters.Syncer
	log    *slog.Logger
}

// Work implements river.Worker.
func (w *rosterWorker) Work(ctx context.Context, _ *river.Job[rosterArgs]) error {
	sum, err := w.syncer.Run(ctx)
	if err != nil {
		return fmt.Errorf("roster refresh: %w", err)
	}
	if err := sum.Err(); err != nil {
		w.log.Warn("roster refresh", "err", err)
	}
	return nil
}

// addRosters makes the replica refresh the rosters every interval (after
// each sync interval), as a periodic River job: the cluster's schedule, run
// once when the cluster's leader starts, one refresh at a time.
func addRosters(w *work, s *rosters.Syncer, interval time.Duration, log *slog.Logger) {
	addWorker(w, &rosterWorker{syncer: s, log: log})
	addPeriodic(w, rosterArgs{}, interval, true)
}
