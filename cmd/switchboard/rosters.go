package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/gitlab"
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
	router.Register(commands.Team(d.store, oc))
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
	oc := &commands.OnCallLookup{Slack: d.slackUsers, Log: d.log}
	if d.store != nil {
		oc.People = d.store
	}
	if d.pagerduty != nil {
		oc.PagerDuty = d.pagerduty
	}
	return commands.HomeView{Catalog: d.store, OnCall: oc, Checklist: checklist(d.standards)}
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

// runRostersEvery refreshes the rosters every interval, on one replica at a
// time, until ctx ends.
func runRostersEvery(ctx context.Context, interval time.Duration, s *rosters.Syncer, pool *pgxpool.Pool, log *slog.Logger) {
	for {
		unlock, ok, err := catalog.TryLock(ctx, pool, "rosters")
		switch {
		case err != nil:
			log.Warn("roster lock", "err", err)
		case ok:
			sum, err := s.Run(ctx)
			unlock()
			if err == nil {
				err = sum.Err()
			}
			if err != nil && ctx.Err() == nil {
				log.Warn("roster refresh", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
