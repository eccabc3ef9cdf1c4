// Package rosters keeps the catalog's team rosters in step with where
// people already are: the members of each team's GitLab group and the users
// of its PagerDuty escalation policy, joined to the catalog's people — and
// through them to Slack users — by email. Nobody types a roster.
//
// Each source replaces only its own memberships ("gitlab", "pagerduty"), so
// a run never removes what another source (a Backstage Group or User
// descriptor, an import) says, and someone who left the GitLab group leaves
// the roster at the next run.
package rosters

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
	"github.com/switchboard-dev/switchboard/oncall"
)

// GitLab lists a group's members (*gitlab.Client).
type GitLab interface {
	// GroupMembers returns the members of a group, inherited ones
	// included.
	GroupMembers(ctx context.Context, group string) ([]gitlab.Member, error)
}

// PagerDuty lists the users an escalation policy reaches
// (*pagerduty.Client).
type PagerDuty interface {
	// PolicyMembers returns the users of the policy's schedules and its
	// direct user targets.
	PolicyMembers(ctx context.Context, policyID string) ([]oncall.User, error)
	// OnCall says, among others, which escalation policy a service uses.
	OnCall(ctx context.Context, serviceID string) (oncall.Now, error)
}

// SlackDirectory finds Slack users by email (the Slack adapter, with
// users.lookupByEmail).
type SlackDirectory interface {
	// UserIDByEmail returns the Slack user id of email, "" when Slack has
	// nobody with it.
	UserIDByEmail(ctx context.Context, email string) (string, error)
}

// Store is what a roster run needs of the catalog (*catalog.Store).
type Store interface {
	// Teams returns every team.
	Teams(ctx context.Context) ([]catalog.Team, error)
	// ReplaceMembers makes people the team's whole membership from
	// source.
	ReplaceMembers(ctx context.Context, team, source string, people []catalog.Person) (catalog.MemberChanges, error)
	// PeopleByEmail returns the people the catalog knows with these
	// emails, keyed by lower-cased email.
	PeopleByEmail(ctx context.Context, emails []string) (map[string]catalog.Person, error)
	// TeamPagerDutyServices returns the PagerDuty service ids of the
	// team's services.
	TeamPagerDutyServices(ctx context.Context, team string) ([]string, error)
	// PutTeam updates a team (fields left empty keep their value).
	PutTeam(ctx context.Context, t catalog.Team) (catalog.Team, error)
}

// Syncer refreshes every team's roster from GitLab and PagerDuty. Store is
// required; GitLab, PagerDuty and Slack may be nil (that source is not
// read, or Slack users are not looked up).
type Syncer struct {
	GitLab    GitLab
	PagerDuty PagerDuty
	Slack     SlackDirectory
	Store     Store
	// Log receives one line per changed roster and per failure; nothing is
	// logged when nil.
	Log *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// policyOf finds the escalation policy of a team that has none: the one
// its services' PagerDuty services escalate to (the first that answers).
// The team keeps it, so that /oncall TEAM and the next runs know it.
func (s *Syncer) policyOf(ctx context.Context, t catalog.Team) string {
	ids, err := s.Store.TeamPagerDutyServices(ctx, t.Name)
	if err != nil {
		s.log().Warn("roster: PagerDuty services of team", "team", t.Name, "err", err)
		return ""
	}
	for _, id := range ids {
		oc, err := s.PagerDuty.OnCall(ctx, id)
		if err != nil || oc.Policy.ID == "" {
			continue
		}
		if _, err := s.Store.PutTeam(ctx, catalog.Team{Name: t.Name, PagerDutyEscalationPolicy: oc.Policy.ID}); err != nil {
			s.log().Warn("roster: record the team's escalation policy", "team", t.Name, "err", err)
		}
		return oc.Policy.ID
	}
	return ""
}

// Summary is what a Run did.
type Summary struct {
	// Teams counts the teams with a GitLab group or an escalation policy
	// to read.
	Teams int
	// GitLabRosters and PagerDutyRosters count the rosters replaced.
	GitLabRosters, PagerDutyRosters int
	// Added and Removed count memberships added and removed, all sources
	// together.
	Added, Removed int
	// Inactive counts GitLab members left out because their account is
	// blocked or deactivated, or is a bot.
	Inactive int
	// Unmatched counts members who could not be joined to a person: no
	// email, and no GitLab username or PagerDuty id the catalog knows.
	Unmatched int
	// SlackLinked counts people whose Slack user was found by email.
	SlackLinked int
	// SlackFailures counts Slack lookups that failed (the roster is still
	// written, without those Slack users).
	SlackFailures int
	// Failures are the rosters that could not be read or written; they are
	// left as they were.
	Failures []Failure
	// Started and Finished bound the run.
	Started, Finished time.Time
}

// Failure is one roster a run could not refresh.
type Failure struct {
	Team   string
	Source string
	Err    error
}

// Err joins the failures into one error, nil when there are none.
func (s Summary) Err() error {
	var errs []error
	for _, f := range s.Failures {
		errs = append(errs, fmt.Errorf("%s roster of team %s: %w", f.Source, f.Team, f.Err))
	}
	return errors.Join(errs...)
}

// Run refreshes the roster of every team that has a GitLab group (when
// GitLab is set) or a PagerDuty escalation policy (when PagerDuty is set),
// one team and source at a time, each in its own transaction. A roster that
// cannot be read is left as it was and recorded in Summary.Failures; the run
// goes on. Run returns an error only when it could not run at all (the
// teams could not be listed, or ctx ended).
func (s *Syncer) Run(ctx context.Context) (Summary, error) {
	now := s.now()
	sum := Summary{Started: now()}
	if s.Store == nil {
		return sum, errors.New("roster run: no store")
	}
	teams, err := s.Store.Teams(ctx)
	if err != nil {
		return sum, fmt.Errorf("roster run: %w", err)
	}
	slackIDs := map[string]string{} // lower-cased email -> Slack id ("" when none), for this run
	for _, t := range teams {
		if err := ctx.Err(); err != nil {
			sum.Finished = now()
			return sum, fmt.Errorf("roster run: %w", err)
		}
		counted := false
		count := func() {
			if !counted {
				sum.Teams++
				counted = true
			}
		}
		if s.GitLab != nil && t.GitLabGroup != "" {
			count()
			people, err := s.gitLabPeople(ctx, t, &sum)
			if err == nil {
				err = s.replace(ctx, t, catalog.MemberSourceGitLab, people, slackIDs, &sum)
			}
			if err != nil {
				s.fail(ctx, &sum, t.Name, catalog.MemberSourceGitLab, err)
			} else {
				sum.GitLabRosters++
			}
		}
		if s.PagerDuty != nil && t.PagerDutyEscalationPolicy == "" {
			t.PagerDutyEscalationPolicy = s.policyOf(ctx, t)
		}
		if s.PagerDuty != nil && t.PagerDutyEscalationPolicy != "" {
			count()
			people, err := s.pagerDutyPeople(ctx, t)
			if err == nil {
				err = s.replace(ctx, t, catalog.MemberSourcePagerDuty, people, slackIDs, &sum)
			}
			if err != nil {
				s.fail(ctx, &sum, t.Name, catalog.MemberSourcePagerDuty, err)
			} else {
				sum.PagerDutyRosters++
			}
		}
	}
	sum.Finished = now()
	s.log().InfoContext(ctx, "rosters refreshed", "teams", sum.Teams, "gitlab", sum.GitLabRosters, "pagerduty", sum.PagerDutyRosters,
		"added", sum.Added, "removed", sum.Removed, "unmatched", sum.Unmatched, "failures", len(sum.Failures),
		"duration", sum.Finished.Sub(sum.Started))
	return sum, nil
}

// isBot reports whether username is one of GitLab's bot users: those of
// group and project access tokens ("group_12_bot_3f2a...", "project_7_bot").
func isBot(username string) bool {
	rest, ok := strings.CutPrefix(username, "group_")
	if !ok {
		if rest, ok = strings.CutPrefix(username, "project_"); !ok {
			return false
		}
	}
	digits := len(rest) - len(strings.TrimLeft(rest, "0123456789"))
	if digits == 0 {
		return false
	}
	rest = rest[digits:]
	return rest == "_bot" || strings.HasPrefix(rest, "_bot_")
}

func (s *Syncer) gitLabPeople(ctx context.Context, t catalog.Team, sum *Summary) ([]catalog.Person, error) {
	members, err := s.GitLab.GroupMembers(ctx, t.GitLabGroup)
	if err != nil {
		return nil, fmt.Errorf("read group %s: %w", t.GitLabGroup, err)
	}
	people := make([]catalog.Person, 0, len(members))
	for _, m := range members {
		if (m.State != "" && m.State != "active") || isBot(m.Username) {
			sum.Inactive++
			continue
		}
		people = append(people, catalog.Person{Name: m.Name, Email: strings.TrimSpace(m.Email), GitLabUsername: m.Username})
	}
	return people, nil
}

func (s *Syncer) pagerDutyPeople(ctx context.Context, t catalog.Team) ([]catalog.Person, error) {
	users, err := s.PagerDuty.PolicyMembers(ctx, t.PagerDutyEscalationPolicy)
	if err != nil {
		return nil, fmt.Errorf("read escalation policy %s: %w", t.PagerDutyEscalationPolicy, err)
	}
	people := make([]catalog.Person, 0, len(users))
	for _, u := range users {
		people = append(people, catalog.Person{Name: u.Name, Email: strings.TrimSpace(u.Email), PagerDutyUserID: u.ID})
	}
	return people, nil
}

// replace links people to Slack users where the catalog does not know them
// yet, then writes the roster.
func (s *Syncer) replace(ctx context.Context, t catalog.Team, source string, people []catalog.Person, slackIDs map[string]string, sum *Summary) error {
	if s.Slack != nil {
		s.linkSlack(ctx, people, slackIDs, sum)
	}
	ch, err := s.Store.ReplaceMembers(ctx, t.Name, source, people)
	if err != nil {
		return err
	}
	sum.Added += ch.Added
	sum.Removed += ch.Removed
	sum.Unmatched += ch.Skipped
	if ch.Added > 0 || ch.Removed > 0 {
		s.log().InfoContext(ctx, "roster changed", "team", t.Name, "source", source, "added", ch.Added, "removed", ch.Removed, "members", ch.Added+ch.Kept)
	}
	return nil
}

// maxSlackFailures is how many failed Slack lookups a run tolerates before
// it stops asking (Slack is down or refusing): rosters are written anyway.
const maxSlackFailures = 5

// linkSlack fills in the Slack user id of people whose email the catalog
// has no Slack user for, asking Slack once per email and run. A failed
// lookup leaves the person without one.
func (s *Syncer) linkSlack(ctx context.Context, people []catalog.Person, slackIDs map[string]string, sum *Summary) {
	if sum.SlackFailures >= maxSlackFailures {
		return
	}
	var emails []string
	for _, p := range people {
		if p.Email != "" {
			emails = append(emails, p.Email)
		}
	}
	if len(emails) == 0 {
		return
	}
	known, err := s.Store.PeopleByEmail(ctx, emails)
	if err != nil {
		s.log().WarnContext(ctx, "roster: read people to link to slack", "err", err)
		return
	}
	for i, p := range people {
		key := strings.ToLower(p.Email)
		if key == "" || known[key].SlackUserID != "" {
			continue
		}
		id, asked := slackIDs[key]
		if !asked {
			if sum.SlackFailures >= maxSlackFailures {
				return
			}
			id, err = s.Slack.UserIDByEmail(ctx, p.Email)
			if err != nil {
				sum.SlackFailures++
				s.log().WarnContext(ctx, "roster: look up slack user by email", "team_member", p.Name, "err", err)
				if sum.SlackFailures == maxSlackFailures {
					s.log().WarnContext(ctx, "roster: slack lookups stopped for this run", "failures", sum.SlackFailures)
				}
				continue // asked again by the next team that has them
			}
			slackIDs[key] = id
			if id != "" {
				sum.SlackLinked++
			}
		}
		people[i].SlackUserID = id
	}
}

func (s *Syncer) fail(ctx context.Context, sum *Summary, team, source string, err error) {
	sum.Failures = append(sum.Failures, Failure{Team: team, Source: source, Err: err})
	s.log().WarnContext(ctx, "roster not refreshed; left as it was", "team", team, "source", source, "err", err)
}

func (s *Syncer) now() func() time.Time {
	if s.Now != nil {
		return s.Now
	}
	return time.Now
}

func (s *Syncer) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}
