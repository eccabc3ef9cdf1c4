package campaigns

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/charts"
	"github.com/switchboard-dev/switchboard/jobs"
)

// Announcer posts a campaign's one-off notices: reminders and the final
// report. The bot implements it beside Poster.
type Announcer interface {
	// PostReminder posts a reminder to channel that u's team has services
	// left in the campaign.
	PostReminder(ctx context.Context, channel string, u TeamUpdate) error
	// PostReport posts the campaign's final report to channel.
	PostReport(ctx context.Context, channel string, r Report) error
}

// Report is a campaign's final report: done, won't fix and left by team,
// and the burn-down.
type Report struct {
	Progress catalog.CampaignProgress
	// Overdue is true when the deadline ended the campaign with services
	// left.
	Overdue bool
	// Chart is the burn-down as a PNG; nil when it could not be drawn.
	Chart []byte
}

// Text is the report as plain text (Slack mrkdwn): the notification's
// text, and what the shell shows.
func (r Report) Text() string {
	c := r.Progress.Campaign
	var b strings.Builder
	done, wontfix, left := 0, 0, 0
	for _, t := range r.Progress.ByTeam {
		done, wontfix, left = done+t.Done, wontfix+t.WontFix, left+t.Open
	}
	switch {
	case r.Overdue:
		fmt.Fprintf(&b, "*%s* (campaign `%s`) reached its deadline, %s, with %d services left.\n", c.Title, c.Name, c.Deadline.UTC().Format("Mon 2 Jan 2006"), left)
	default:
		fmt.Fprintf(&b, "*%s* (campaign `%s`) is done: every service is fixed or exempted.\n", c.Title, c.Name)
	}
	fmt.Fprintf(&b, "Done %d, won't fix %d, left %d.\n", done, wontfix, left)
	for _, t := range r.Progress.ByTeam {
		team := t.Team
		if team == "" {
			team = "(no team)"
		}
		fmt.Fprintf(&b, "• %s: done %d, won't fix %d, left %d\n", team, t.Done, t.WontFix, t.Open)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// SweepInterval is how often open campaigns are swept: teams not told yet
// are told (a campaign just started), reminders due are sent, and a
// campaign all done or past its deadline gets its final report and
// closes.
const SweepInterval = time.Minute

// sweepTimeout bounds a sweep.
const sweepTimeout = 5 * time.Minute

// SweepArgs sweeps every open campaign (Notifier.Sweep).
type SweepArgs struct{}

// Kind implements river.JobArgs.
func (SweepArgs) Kind() string { return "campaign_sweep" }

// InsertOpts implements river.JobArgsWithInsertOpts: one at a time.
func (SweepArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: jobs.WhileQueued}}
}

// Inserter inserts River jobs: a River client (a jobs.Client is one).
type Inserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// QueueSweep queues a campaign_sweep now through c (Evaluator.QueueSweep:
// the teams of a campaign just started are told within seconds, not at the
// next SweepInterval).
func QueueSweep(ctx context.Context, c Inserter) error {
	if _, err := c.Insert(ctx, SweepArgs{}, nil); err != nil {
		return fmt.Errorf("queue campaign sweep: %w", err)
	}
	return nil
}

// SweepWorker works SweepArgs.
type SweepWorker struct {
	river.WorkerDefaults[SweepArgs]
	Notifier *Notifier
}

// Timeout implements river.Worker.
func (w *SweepWorker) Timeout(*river.Job[SweepArgs]) time.Duration { return sweepTimeout }

// Work implements river.Worker.
func (w *SweepWorker) Work(ctx context.Context, _ *river.Job[SweepArgs]) error {
	return w.Notifier.Sweep(ctx)
}

// announcer is the Notifier's Announcer: its own, else its Poster's when
// the Poster is one; nil when neither.
func (n *Notifier) announcer() Announcer {
	if n.Announcer != nil {
		return n.Announcer
	}
	a, _ := n.Poster.(Announcer)
	return a
}

// now is the Notifier's clock.
func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now()
}

// Sweep goes over every open campaign: it tells the teams not told yet,
// sends the reminders due (each once across replicas, only to teams with
// services left), and when no service is left or the deadline passed,
// posts the final report once and closes the campaign (audited).
func (n *Notifier) Sweep(ctx context.Context) error {
	open, err := n.Store.OpenCampaigns(ctx)
	if err != nil {
		return fmt.Errorf("sweep campaigns: %w", err)
	}
	var errs []error
	for _, c := range open {
		errs = append(errs, n.tellAndSweep(ctx, c.Name, nil))
	}
	return errors.Join(errs...)
}

// tellAndSweep reads campaign name once, tells teams (nil: every team of
// the campaign) about it (Tell), then sends its reminders due or its
// final report.
func (n *Notifier) tellAndSweep(ctx context.Context, name string, teams []string) error {
	p, err := n.Store.CampaignByName(ctx, name)
	if err != nil {
		return fmt.Errorf("tell and sweep campaign %s: %w", name, err)
	}
	return errors.Join(n.tell(ctx, p, teams), n.sweep(ctx, p))
}

// sweep sends campaign p's reminders due, or its final report.
func (n *Notifier) sweep(ctx context.Context, p catalog.CampaignProgress) error {
	a := n.announcer()
	if a == nil || p.Campaign.ClosedAt != nil {
		return nil
	}
	now := n.now()
	if p.Remaining() == 0 || !now.Before(p.Campaign.Deadline) {
		return n.finish(ctx, a, p, now)
	}
	return n.remind(ctx, a, p, now)
}

// reminderDue is the reminder offset due at now (the nearest the deadline
// that passed, and not before the campaign started); ok false when none.
func reminderDue(c catalog.Campaign, now time.Time) (time.Duration, bool) {
	offsets := slices.Clone(c.Reminders)
	slices.Sort(offsets)
	for _, r := range offsets {
		at := c.Deadline.Add(-r)
		if r > 0 && !now.Before(at) && !at.Before(c.CreatedAt) {
			return r, true
		}
	}
	return 0, false
}

// reminderKind names a reminder's notice.
func reminderKind(r time.Duration) string { return fmt.Sprintf("reminder:%d", int64(r/time.Second)) }

// remind sends the reminder due, once, to each team with services left.
func (n *Notifier) remind(ctx context.Context, a Announcer, p catalog.CampaignProgress, now time.Time) error {
	r, ok := reminderDue(p.Campaign, now)
	if !ok {
		return nil
	}
	kind := reminderKind(r)
	byTeam := map[string][]catalog.CampaignService{}
	for _, cs := range p.Services {
		byTeam[cs.Service.Team] = append(byTeam[cs.Service.Team], cs)
	}
	var errs []error
	for _, t := range p.ByTeam {
		if t.Team == "" || t.Open == 0 {
			continue
		}
		err := n.once(ctx, p.Campaign.ID, kind, t.Team, func() error {
			channel, err := n.teamChannel(ctx, t.Team)
			if err != nil || channel == "" {
				return err
			}
			return a.PostReminder(ctx, channel, TeamUpdate{Campaign: p.Campaign, Team: t.Team, Services: byTeam[t.Team]})
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("remind %s of campaign %s: %w", t.Team, p.Campaign.Name, err))
		}
	}
	return errors.Join(errs...)
}

// once sends a notice through send when this replica claims it; a failed
// send releases the claim.
func (n *Notifier) once(ctx context.Context, campaignID int64, kind, team string, send func() error) error {
	ok, err := n.Store.ClaimCampaignNotice(ctx, campaignID, kind, team, n.Replica)
	if err != nil || !ok {
		return err
	}
	if err := send(); err != nil {
		return errors.Join(err, n.Store.CampaignNoticeFailed(ctx, campaignID, kind, team, n.Replica))
	}
	return n.Store.CampaignNoticeSent(ctx, campaignID, kind, team, n.Replica)
}

// teamChannel is team's Slack channel; "" when it has none.
func (n *Notifier) teamChannel(ctx context.Context, team string) (string, error) {
	t, err := n.Store.FindTeam(ctx, team)
	if errors.Is(err, catalog.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return t.SlackChannel, nil
}

// closedBy is the actor audited when a campaign closes itself.
const closedBy = "switchboard"

// finish posts the final report once (to the updates channel, else to
// each team's) and closes the campaign.
func (n *Notifier) finish(ctx context.Context, a Announcer, p catalog.CampaignProgress, now time.Time) error {
	c := p.Campaign
	r := Report{Progress: p, Overdue: p.Remaining() > 0}
	days := make([]charts.Day, len(p.Days))
	for i, d := range p.Days {
		days[i] = charts.Day{Day: d.Day, Remaining: d.Remaining}
	}
	if png, err := charts.PNG(charts.BurnDown{Title: c.Title, Days: days, Deadline: c.Deadline}); err == nil {
		r.Chart = png
	} else if n.Log != nil {
		n.Log.Warn("campaign: burn-down not drawn", "campaign", c.Name, "err", err)
	}
	err := n.once(ctx, c.ID, "report", "", func() error {
		channels := []string{c.UpdatesChannel}
		if c.UpdatesChannel == "" {
			channels = nil
			for _, t := range p.ByTeam {
				ch, err := n.teamChannel(ctx, t.Team)
				if err != nil {
					return err
				}
				if ch != "" {
					channels = append(channels, ch)
				}
			}
			slices.Sort(channels)
			channels = slices.Compact(channels)
		}
		var errs []error
		sent := 0
		for _, ch := range channels {
			if err := a.PostReport(ctx, ch, r); err != nil {
				errs = append(errs, fmt.Errorf("to %s: %w", ch, err))
				continue
			}
			sent++
		}
		if sent == 0 {
			return errors.Join(errs...) // claimed again next time
		}
		if len(errs) > 0 && n.Log != nil {
			n.Log.Warn("campaign: final report not posted everywhere", "campaign", c.Name, "err", errors.Join(errs...))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("final report of campaign %s: %w", c.Name, err)
	}
	if err := n.Store.CloseCampaign(ctx, c.Name, closedBy); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return err
	}
	return nil
}
