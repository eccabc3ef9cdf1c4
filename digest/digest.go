// Package digest is the catalog's daily digest: coverage and what the
// catalog lacks, posted to the digest channel of the standards file and,
// when asked, each team's part to its own channel, on the standards file's
// schedule; and the record of each day's posting (Days). The digest's read
// model is the catalog's (catalog.Store.Digest), its Slack message is
// commands.DigestResponse.
//
// The schedule is a River periodic job (PeriodicJob): River's leader
// inserts a digest job at each due time, and once when it starts; any
// replica works it (Worker). River runs a job at least once, not exactly
// once, and a Slack post cannot be undone: what makes each day's digest go
// out once per channel is its record in digest_days. The worker takes a
// Postgres advisory lock, claims the day (an insert or update only one
// replica can make), posts, records each channel as it goes and marks the
// day posted. If its replica dies while posting, the claim goes stale and a
// later job takes it over, posting only to the channels not yet recorded;
// if Slack fails, the day is left unposted, the job fails and River tries it
// again (snoozing until the day may be claimed again). A day missed while
// every replica was down (its due time passed and it was never posted) is
// posted when one comes back.
package digest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/standards"
)

// Publisher posts the digest: commands.Publisher (the bot).
type Publisher = commands.Publisher

// PublisherFunc makes a function a Publisher: commands.PublisherFunc.
type PublisherFunc = commands.PublisherFunc

// Defaults of a Poster's timings.
const (
	// DefaultInterval is the longest a digest job waits before looking
	// again at a day another replica is posting, or that failed a moment
	// ago (River snoozes the job).
	DefaultInterval = time.Minute
	// DefaultStaleAfter is how old a claim must be for another replica to
	// take it over: its replica is taken to have died while posting.
	DefaultStaleAfter = 10 * time.Minute
	// DefaultRetryAfter is how long after a failed post it is tried again.
	DefaultRetryAfter = 5 * time.Minute
	// DefaultPostTimeout bounds the posting of one day's digest; it must
	// stay well under StaleAfter, so that a slow post is never taken over.
	DefaultPostTimeout = 2 * time.Minute
)

// lockName is the advisory lock the posters share.
const lockName = "digest"

// Poster builds and posts the digest. Make one with NewPoster; fields may
// be changed before its first use, not after.
type Poster struct {
	Store     *catalog.Store
	Publisher Publisher
	Standards *standards.Standards
	// TeamDigests posts to each team whose GitLab group holds repos the
	// digest flags its own part, in the team's Slack channel. (The
	// standards file has no setting for it yet.)
	TeamDigests bool
	// ActiveDays is the activity window of active repos;
	// catalog.DefaultActiveDays when zero.
	ActiveDays int
	// Replica names this process in digest_days.claimed_by; it must differ
	// between replicas.
	Replica string
	// Now is the clock.
	Now func() time.Time
	Log *slog.Logger
	// Interval, StaleAfter, RetryAfter and PostTimeout: see the Default*
	// constants, used when zero.
	Interval, StaleAfter, RetryAfter, PostTimeout time.Duration
}

// NewPoster returns a poster of store's digest through pub, configured by
// std (the embedded default when nil), with a replica name unique to this
// process.
func NewPoster(store *catalog.Store, pub Publisher, std *standards.Standards, log *slog.Logger) *Poster {
	if std == nil {
		std = standards.Default()
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poster{Store: store, Publisher: pub, Standards: std, Replica: replicaName(), Now: time.Now, Log: log}
}

// replicaName is host:pid:random, unique to this poster.
func replicaName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "switchboard"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Result says what one call did.
type Result struct {
	// Day is the day the digest was for and DueAt when it was due; zero
	// when no digest was due.
	Day, DueAt time.Time
	// Posted is true when this call finished posting the day's digest;
	// Channels are where it posted (a team's part as "channel (team T)").
	Posted   bool
	Channels []string
	// Skipped says why nothing was posted, when nothing was.
	Skipped string
	// RetryAt is, when the day is not posted but could not be claimed
	// (SkippedLocked, SkippedClaimed), when it may be claimed again.
	RetryAt time.Time
}

// Reasons a call posted nothing.
const (
	SkippedNoAudience = "no digest channel is configured"
	SkippedNotDue     = "no digest is due"
	SkippedPosted     = "the day's digest was posted already"
	SkippedLocked     = "another replica is posting"
	SkippedClaimed    = "another replica claimed the day, or it failed a moment ago"
)

// Schedule returns the digest's schedule from the standards file.
func (p *Poster) Schedule() (Schedule, error) {
	d := p.standards().Digest
	return ParseSchedule(d.Schedule, d.Location())
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// RunDue posts the digest of the last due time if it was not posted yet:
// today's once its time has come, or a day missed while no replica ran. Of
// several replicas calling it at once, one posts. When posting fails the
// day stays unposted, to be tried again RetryAfter later; channels already
// posted to are not posted to again.
func (p *Poster) RunDue(ctx context.Context) (Result, error) {
	sched, err := p.Schedule()
	if err != nil {
		return Result{}, err
	}
	if !p.hasAudience() {
		return Result{Skipped: SkippedNoAudience}, nil
	}
	now := p.now()
	due := sched.LastDue(now)
	if due.IsZero() {
		return Result{Skipped: SkippedNotDue}, nil
	}
	res := Result{Day: sched.Day(due), DueAt: due}
	days := p.Days()
	rec, err := days.Record(ctx, res.Day)
	switch {
	case err == nil && rec.Posted():
		res.Skipped = SkippedPosted
		return res, nil
	case err != nil && !errors.Is(err, catalog.ErrNotFound):
		return res, fmt.Errorf("digest of %s: %w", day(res.Day), err)
	}

	unlock, ok, err := catalog.TryLock(ctx, p.Store.Pool(), lockName)
	if err != nil {
		return res, fmt.Errorf("digest of %s: %w", day(res.Day), err)
	}
	if !ok {
		res.Skipped = SkippedLocked
		res.RetryAt = now.Add(p.interval())
		return res, nil
	}
	defer unlock()
	now = p.now()
	claim, ok, err := days.Claim(ctx, Claim{
		Day: res.Day, DueAt: due, By: p.Replica, Now: now,
		StaleAfter: p.staleAfter(), RetryAfter: p.retryAfter(),
	})
	if err != nil {
		return res, fmt.Errorf("digest of %s: %w", day(res.Day), err)
	}
	if !ok {
		res.Skipped = SkippedClaimed
		res.RetryAt = p.claimableAt(ctx, res.Day, now)
		return res, nil
	}
	if len(claim.PostedChannels) > 0 || claim.Attempts > 1 {
		p.log().Info("digest: taking the day over", "day", day(res.Day), "attempt", claim.Attempts, "posted_already", claim.PostedChannels)
	}
	d, posted, err := p.post(ctx, res.Day, claim.PostedChannels, true)
	res.Channels = posted
	// A fresh context: the outcome must be recorded even when ctx ended
	// while posting.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err != nil {
		if ferr := days.Fail(rctx, res.Day, p.Replica, p.now(), err.Error()); ferr != nil {
			p.log().Error("digest: record failure", "day", day(res.Day), "err", ferr)
		}
		return res, err
	}
	if err := days.Finish(rctx, res.Day, p.Replica, p.now(), d.Snapshot()); err != nil {
		return res, fmt.Errorf("digest of %s: posted, but %w", day(res.Day), err)
	}
	res.Posted = true
	return res, nil
}

// PostNow posts today's digest now, whatever the schedule and even if
// today's was posted already, and records it as today's so that the
// schedule posts no other today. It fails when another replica is posting
// at this moment.
func (p *Poster) PostNow(ctx context.Context) (Result, error) {
	sched, err := p.Schedule()
	if err != nil {
		return Result{}, err
	}
	if !p.hasAudience() {
		return Result{Skipped: SkippedNoAudience}, errors.New("post digest: no digest channel is configured (digest.channel in the standards file)")
	}
	now := p.now()
	res := Result{Day: sched.Day(now), DueAt: now}
	unlock, ok, err := catalog.TryLock(ctx, p.Store.Pool(), lockName)
	if err != nil {
		return res, fmt.Errorf("post digest: %w", err)
	}
	if !ok {
		return res, errors.New("post digest: another replica is posting the digest right now; try again in a minute")
	}
	defer unlock()
	d, posted, err := p.post(ctx, res.Day, nil, false)
	res.Channels = posted
	if err != nil {
		return res, err
	}
	if err := p.Days().RecordPosted(ctx, res.Day, p.now(), p.Replica, posted, d.Snapshot()); err != nil {
		return res, fmt.Errorf("post digest: posted, but %w", err)
	}
	res.Posted = true
	return res, nil
}

// TextRenderer writes a response as text; shell.Render is one.
type TextRenderer func(w io.Writer, resp commands.Response) error

// Text returns today's digest as text, written by render: the digest
// channel's, then each team's part when TeamDigests is set.
func (p *Poster) Text(ctx context.Context, render TextRenderer) (string, error) {
	sched, err := p.Schedule()
	if err != nil {
		return "", err
	}
	now := p.now()
	d, err := p.Source().Digest(ctx, catalog.DigestOptions{Day: sched.Day(now), Now: now})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, pt := range p.parts(d, true) {
		if i > 0 {
			b.WriteString("\n")
		}
		if pt.team != "" || p.TeamDigests {
			fmt.Fprintf(&b, "── to %s ──\n", pt.key)
		}
		if err := render(&b, pt.resp); err != nil {
			return "", fmt.Errorf("render digest: %w", err)
		}
	}
	return b.String(), nil
}

// Days returns the records of each day's digest, in the store's database.
func (p *Poster) Days() *Days { return NewDays(p.Store.Pool()) }

// claimableAt returns when day, which could not be claimed at now, may be
// claimed: when its claim goes stale, or its last failure is RetryAfter
// old. On any doubt it is a look again Interval later.
func (p *Poster) claimableAt(ctx context.Context, day, now time.Time) time.Time {
	at := now.Add(p.interval())
	rec, err := p.Days().Record(ctx, day)
	if err != nil || rec.Posted() {
		return at
	}
	var when time.Time
	if !rec.ClaimedAt.IsZero() {
		when = rec.ClaimedAt.Add(p.staleAfter())
	}
	if !rec.FailedAt.IsZero() {
		if f := rec.FailedAt.Add(p.retryAfter()); f.After(when) {
			when = f
		}
	}
	if when.IsZero() || when.After(at) {
		return at
	}
	return when
}

// Source returns the digest index the poster reads: the store, with the
// standards file's ignore list and the poster's activity window.
func (p *Poster) Source() Source {
	return Source{Store: p.Store, Standards: p.standards(), ActiveDays: p.ActiveDays}
}

// part is one message of a day's digest.
type part struct {
	// key is what digest_days.posted_channels records: the channel, and
	// the team for a team's part.
	key, channel, team string
	resp               commands.Response
}

// parts returns the messages of a digest: the whole digest to the digest
// channel, and each team's part to its channel when TeamDigests is set
// (teams with nothing to act on get none). withoutChannel keeps the main
// part even when no digest channel is configured (for Text).
func (p *Poster) parts(d *catalog.Digest, withoutChannel bool) []part {
	var out []part
	main := channelName(p.standards().Digest.Channel)
	if main != "" || withoutChannel {
		key := main
		if key == "" {
			key = "(no digest channel)"
		}
		out = append(out, part{key: key, channel: main, resp: commands.DigestResponse(d)})
	}
	if !p.TeamDigests {
		return out
	}
	for _, t := range d.Teams {
		ch := channelName(t.SlackChannel)
		if ch == "" || strings.EqualFold(ch, main) {
			continue
		}
		td := d.ForTeam(t.Name)
		if td.Empty() {
			continue
		}
		out = append(out, part{key: ch + " (team " + t.Name + ")", channel: ch, team: t.Name, resp: commands.DigestResponse(td)})
	}
	return out
}

// post builds the day's digest and posts its parts, skipping those in
// done. With claimed, each part posted is recorded against the poster's
// claim, and posting stops if the claim was taken over.
func (p *Poster) post(ctx context.Context, day time.Time, done []string, claimed bool) (*catalog.Digest, []string, error) {
	ctx, cancel := context.WithTimeout(ctx, p.postTimeout())
	defer cancel()
	d, err := p.Source().Digest(ctx, catalog.DigestOptions{Day: day, Now: p.now()})
	if err != nil {
		return nil, nil, fmt.Errorf("build digest: %w", err)
	}
	var posted []string
	for _, pt := range p.parts(d, false) {
		if slices.Contains(done, pt.key) {
			continue
		}
		resp := pt.resp
		resp.InChannel = true
		if err := p.Publisher.Publish(ctx, pt.channel, resp); err != nil {
			return d, posted, fmt.Errorf("post digest to %s: %w", pt.key, err)
		}
		posted = append(posted, pt.key)
		if claimed {
			if err := p.Days().RecordChannel(ctx, day, p.Replica, pt.key); err != nil {
				return d, posted, fmt.Errorf("digest posted to %s: %w", pt.key, err)
			}
		}
	}
	return d, posted, nil
}

// hasAudience reports whether the digest goes anywhere.
func (p *Poster) hasAudience() bool {
	return channelName(p.standards().Digest.Channel) != "" || p.TeamDigests
}

func channelName(ch string) string { return strings.TrimPrefix(strings.TrimSpace(ch), "#") }

func (p *Poster) standards() *standards.Standards {
	if p.Standards == nil {
		return standards.Default()
	}
	return p.Standards
}

func (p *Poster) now() time.Time {
	if p.Now == nil {
		return time.Now()
	}
	return p.Now()
}

func (p *Poster) log() *slog.Logger {
	if p.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Log
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (p *Poster) interval() time.Duration    { return orDefault(p.Interval, DefaultInterval) }
func (p *Poster) staleAfter() time.Duration  { return orDefault(p.StaleAfter, DefaultStaleAfter) }
func (p *Poster) retryAfter() time.Duration  { return orDefault(p.RetryAfter, DefaultRetryAfter) }
func (p *Poster) postTimeout() time.Duration { return orDefault(p.PostTimeout, DefaultPostTimeout) }

// Source is the catalog's digest as the standards file shapes it: repos
// its gitlab.ignore list names count as ignored. It is a
// commands.DigestIndex: give it to commands.Digest and the /service
// subcommands.
type Source struct {
	*catalog.Store
	// Standards is the standards file; nil ignores nothing by configuration.
	Standards *standards.Standards
	// ActiveDays is the activity window; catalog.DefaultActiveDays when
	// zero.
	ActiveDays int
}

// Digest returns the digest opts asks for, with the standards file's
// ignore list and scorecard level names, and the source's activity
// window, unless opts gives its own.
func (s Source) Digest(ctx context.Context, opts catalog.DigestOptions) (*catalog.Digest, error) {
	if opts.Ignored == nil && s.Standards != nil && len(s.Standards.GitLab.Ignore) > 0 {
		opts.Ignored = s.Standards.GitLab.Ignored
	}
	if opts.ActiveDays == 0 {
		opts.ActiveDays = s.ActiveDays
	}
	if opts.LevelNames == nil {
		opts.LevelNames = s.Standards.LevelNames()
	}
	return s.Store.Digest(ctx, opts)
}
