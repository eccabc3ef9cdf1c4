package reposync

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab"
)

// ChangeRecorder records GitLab changes idempotently; *catalog.Store is
// one.
type ChangeRecorder interface {
	RecordChanges(ctx context.Context, changes []catalog.Change) error
}

// ChangeStore is a Store that also keeps the change history; with a
// Store that is not, the sync backfills nothing.
type ChangeStore interface {
	ChangeRecorder
	ChangeWatermarks(ctx context.Context, projectIDs ...int64) (map[int64]catalog.ChangeWatermark, error)
	SetChangeWatermark(ctx context.Context, projectID int64, w catalog.ChangeWatermark) error
}

// HistorySource is a Source that also lists a project's merged merge
// requests, deployments and pushes; *gitlab.Client is one. With a Source
// that is not, the sync backfills nothing.
type HistorySource interface {
	MergedSince(ctx context.Context, projectID int64, branch string, since time.Time, fn func(gitlab.MergedMR) error) error
	DeploymentsSince(ctx context.Context, projectID int64, since time.Time, fn func(gitlab.Deployment) error) error
	PushesSince(ctx context.Context, projectID int64, since time.Time, fn func(gitlab.PushEvent) error) error
}

// DefaultHistoryWindow is how far back a project's first backfill goes.
const DefaultHistoryWindow = 30 * 24 * time.Hour

// historyOverlap is asked again before each watermark: GitLab's clocks and
// transactions can make an update visible a little after its time.
const historyOverlap = 5 * time.Minute

// historyBatch is how many changes are written at once.
const historyBatch = 200

// recordedStatuses are the deployment statuses the history keeps: a
// deployment that finished. Created and running ones are recorded when
// they finish (their webhook comes again then); canceled, skipped and
// blocked ones changed nothing.
var recordedStatuses = map[string]bool{"success": true, "failed": true}

// mergeChange is a merged merge request as a change.
func mergeChange(projectID int64, m gitlab.MergedMR, source string) catalog.Change {
	return catalog.Change{
		Kind: catalog.ChangeMerge, ProjectID: projectID, Ref: strconv.FormatInt(m.IID, 10), At: m.MergedAt,
		AuthorName: m.MergedByName, AuthorUsername: m.MergedBy, Title: m.Title, WebURL: m.WebURL,
		SHA: cmp.Or(m.MergeCommit, m.SquashCommit, m.Head), MergeCommits: nonEmpty(m.MergeCommit, m.SquashCommit, m.Head),
		Source: source,
	}
}

// pushChange is a push to the default branch as a change: its head commit
// identifies it; its link is the commit, or the comparison for several.
func pushChange(projectID int64, webURL string, p gitlab.PushEvent, source string) catalog.Change {
	title := p.Title
	link := ""
	if webURL != "" {
		link = webURL + "/-/commit/" + p.Head
		if p.CommitCount > 1 && p.Before != "" && strings.Trim(p.Before, "0") != "" {
			link = webURL + "/-/compare/" + p.Before + "..." + p.Head
		}
	}
	if p.CommitCount > 1 {
		title = fmt.Sprintf("%s (and %d more commits)", title, p.CommitCount-1)
	}
	return catalog.Change{
		Kind: catalog.ChangePush, ProjectID: projectID, Ref: p.Head, SHA: p.Head, At: p.At,
		AuthorName: p.AuthorName, AuthorUsername: p.Author, Title: title, WebURL: link, Source: source,
	}
}

// deploymentChange is a finished deployment as a change; ok false for one
// that did not finish, or that GitLab gave no time (the store refuses a
// change without one, and with it the whole batch of the backfill).
func deploymentChange(projectID int64, webURL string, d gitlab.Deployment, source string) (catalog.Change, bool) {
	if !recordedStatuses[d.Status] || d.ID == 0 || d.UpdatedAt.IsZero() {
		return catalog.Change{}, false
	}
	link := ""
	if webURL != "" && d.JobID != 0 {
		link = webURL + "/-/jobs/" + strconv.FormatInt(d.JobID, 10)
	}
	title := d.Title
	if title == "" {
		title = "deploy " + cmp.Or(d.Ref, shortSHA(d.SHA))
	}
	return catalog.Change{
		Kind: catalog.ChangeDeployment, ProjectID: projectID, Ref: strconv.FormatInt(d.ID, 10), At: d.UpdatedAt,
		AuthorName: d.UserName, AuthorUsername: d.User, Title: title, WebURL: link,
		Environment: d.Environment, Status: d.Status, SHA: d.SHA, Source: source,
	}, true
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func shortSHA(s string) string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}

// hookUser is a webhook's user.
type hookUser struct {
	Name     string `json:"name"`
	Username string `json:"username"`
}

// hookProject is a webhook's project.
type hookProject struct {
	ID            int64  `json:"id"`
	WebURL        string `json:"web_url"`
	DefaultBranch string `json:"default_branch"`
}

// mergeHook holds the fields of a "Merge Request Hook" the history reads.
type mergeHook struct {
	User             hookUser    `json:"user"`
	Project          hookProject `json:"project"`
	ObjectAttributes struct {
		IID             int64  `json:"iid"`
		Title           string `json:"title"`
		URL             string `json:"url"`
		Action          string `json:"action"`
		State           string `json:"state"`
		TargetBranch    string `json:"target_branch"`
		TargetProjectID int64  `json:"target_project_id"`
		UpdatedAt       string `json:"updated_at"`
		MergedAt        string `json:"merged_at"`
		MergeCommitSHA  string `json:"merge_commit_sha"`
		LastCommit      struct {
			ID string `json:"id"`
		} `json:"last_commit"`
	} `json:"object_attributes"`
}

// mergeFromHook reads a merge request webhook: the change when it is the
// merge into the project's default branch (action "merge"), ok false for
// every other merge request event. A later update of a merged merge
// request (a label, a comment) is not its merge: its time would be wrong,
// and the merge's own event, or the backfill, records it.
func mergeFromHook(body []byte, now time.Time) (catalog.Change, bool, error) {
	var h mergeHook
	if err := json.Unmarshal(body, &h); err != nil {
		return catalog.Change{}, false, err
	}
	a := h.ObjectAttributes
	if a.Action != "merge" {
		return catalog.Change{}, false, nil
	}
	pid := cmp.Or(h.Project.ID, a.TargetProjectID)
	if pid == 0 || a.IID == 0 {
		return catalog.Change{}, false, errors.New("merge request event without project id or iid")
	}
	if h.Project.DefaultBranch != "" && a.TargetBranch != "" && a.TargetBranch != h.Project.DefaultBranch {
		return catalog.Change{}, false, nil
	}
	at := hookTime(now, a.MergedAt, a.UpdatedAt)
	return mergeChange(pid, gitlab.MergedMR{
		IID: a.IID, Title: a.Title, WebURL: a.URL, MergedAt: at, MergedBy: h.User.Username, MergedByName: h.User.Name,
		MergeCommit: a.MergeCommitSHA, Head: a.LastCommit.ID,
	}, catalog.ChangeFromWebhook), true, nil
}

// deploymentHook holds the fields of a "Deployment Hook".
type deploymentHook struct {
	Status          string      `json:"status"`
	StatusChangedAt string      `json:"status_changed_at"`
	DeploymentID    int64       `json:"deployment_id"`
	DeployableID    int64       `json:"deployable_id"`
	DeployableURL   string      `json:"deployable_url"`
	Environment     string      `json:"environment"`
	Project         hookProject `json:"project"`
	ShortSHA        string      `json:"short_sha"`
	User            hookUser    `json:"user"`
	CommitURL       string      `json:"commit_url"`
	CommitTitle     string      `json:"commit_title"`
	Ref             string      `json:"ref"`
}

// deploymentFromHook reads a deployment webhook: the change when the
// deployment finished, ok false while it runs.
func deploymentFromHook(body []byte, now time.Time) (catalog.Change, bool, error) {
	var h deploymentHook
	if err := json.Unmarshal(body, &h); err != nil {
		return catalog.Change{}, false, err
	}
	if h.Project.ID == 0 || h.DeploymentID == 0 {
		return catalog.Change{}, false, errors.New("deployment event without project id or deployment_id")
	}
	sha := h.ShortSHA
	if i := strings.LastIndex(h.CommitURL, "/commit/"); i >= 0 {
		sha = h.CommitURL[i+len("/commit/"):]
	}
	c, ok := deploymentChange(h.Project.ID, h.Project.WebURL, gitlab.Deployment{
		ID: h.DeploymentID, Environment: h.Environment, Status: h.Status, Ref: h.Ref, SHA: sha, Title: h.CommitTitle,
		User: h.User.Username, UserName: h.User.Name, JobID: h.DeployableID, UpdatedAt: hookTime(now, h.StatusChangedAt),
	}, catalog.ChangeFromWebhook)
	if ok && h.DeployableURL != "" {
		c.WebURL = h.DeployableURL
	}
	return c, ok, nil
}

// pushHook holds the fields of a "Push Hook" the history reads.
type pushHook struct {
	Before            string      `json:"before"`
	After             string      `json:"after"`
	Ref               string      `json:"ref"`
	UserName          string      `json:"user_name"`
	UserUsername      string      `json:"user_username"`
	ProjectID         int64       `json:"project_id"`
	Project           hookProject `json:"project"`
	TotalCommitsCount int64       `json:"total_commits_count"`
	Commits           []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
		// Message is the commit's message; its first line is the title
		// of GitLab versions that send no title.
		Message string `json:"message"`
	} `json:"commits"`
}

// pushFromHook reads a push webhook: the change when it moved the default
// branch forward (not a deletion), ok false otherwise. A push is recorded
// at the time it is received: GitLab's payload gives commit times, which
// a rebase or a cherry-pick makes old.
func pushFromHook(body []byte, now time.Time) (catalog.Change, bool, error) {
	var h pushHook
	if err := json.Unmarshal(body, &h); err != nil {
		return catalog.Change{}, false, err
	}
	pid := cmp.Or(h.ProjectID, h.Project.ID)
	if pid == 0 {
		return catalog.Change{}, false, errors.New("push event without project_id")
	}
	if h.Project.DefaultBranch == "" || h.Ref != "refs/heads/"+h.Project.DefaultBranch || h.After == "" || strings.Trim(h.After, "0") == "" {
		return catalog.Change{}, false, nil
	}
	title := ""
	for _, c := range h.Commits {
		if c.ID == h.After {
			title = cmp.Or(c.Title, firstLine(c.Message))
		}
	}
	if title == "" && len(h.Commits) > 0 {
		last := h.Commits[len(h.Commits)-1]
		title = cmp.Or(last.Title, firstLine(last.Message))
	}
	return pushChange(pid, h.Project.WebURL, gitlab.PushEvent{
		Ref: h.Project.DefaultBranch, Head: h.After, Before: h.Before, CommitCount: max(h.TotalCommitsCount, 1),
		Title: title, Author: h.UserUsername, AuthorName: h.UserName, At: now,
	}, catalog.ChangeFromWebhook), true, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}

// hookTime is the first of the webhook's times that reads, else now.
func hookTime(now time.Time, values ...string) time.Time {
	for _, v := range values {
		if v == "" {
			continue
		}
		if t, err := gitlab.ParseTime(v); err == nil {
			return t
		}
	}
	return now
}

// backfillChanges reads a project's merged merge requests, deployments
// and pushes to its default branch since its watermarks (the last
// HistoryWindow the first time), the three listings at once, and records
// them, when Options.History is set. moved says the default branch moved
// in this sync (or may have): when it did not, and the last backfill read
// everything, merges and pushes are not asked again (one listing, the
// deployments', instead of three). It never fails the repo's sync: a listing GitLab refuses (403, down, rate limited past the
// retries) leaves what was read stored, its watermark where it was, and
// the reason on the watermark; the next sync asks again from there. It
// returns the reason, "" when the whole history was read.
func (s *Syncer) backfillChanges(ctx context.Context, p gitlab.Project, moved bool) string {
	if !s.opts.History {
		return ""
	}
	hs, ok := s.src.(HistorySource)
	if !ok {
		return ""
	}
	cs, ok := s.store.(ChangeStore)
	if !ok {
		return ""
	}
	wms, err := cs.ChangeWatermarks(ctx, p.ID)
	if err != nil {
		s.log.Warn("change history not backfilled", "repo", p.Path, "err", err)
		return err.Error()
	}
	wm := wms[p.ID]
	now := s.now()
	window := s.opts.HistoryWindow
	if window <= 0 {
		window = DefaultHistoryWindow
	}
	floor := now.Add(-window)
	from := func(t time.Time) time.Time {
		if t.IsZero() || t.Add(-historyOverlap).Before(floor) {
			return floor
		}
		return t.Add(-historyOverlap)
	}
	var (
		next     catalog.ChangeWatermark
		mu       sync.Mutex
		problems []string
		wg       sync.WaitGroup
	)
	// One listing, beside the others: what it read is stored whether or
	// not it finished, in batches; its watermark moves only when it
	// finished.
	list := func(what string, mark *time.Time, read func(add func(catalog.Change) error) error) {
		wg.Go(func() {
			var batch []catalog.Change
			flush := func() error {
				if len(batch) == 0 {
					return nil
				}
				err := cs.RecordChanges(ctx, batch)
				batch = batch[:0]
				return err
			}
			err := read(func(c catalog.Change) error {
				batch = append(batch, c)
				if len(batch) >= historyBatch {
					return flush()
				}
				return nil
			})
			if ferr := flush(); err == nil {
				err = ferr
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				problems = append(problems, factProblem(what, err))
				s.log.Info("change history partial", "repo", p.Path, "what", what, "err", err)
				return
			}
			*mark = now
		})
	}
	// Merges and pushes move the default branch: when it has not moved
	// since a backfill that read everything, there is nothing new to ask.
	branchQuiet := !moved && wm.Problem == ""
	if p.DefaultBranch != "" && !p.EmptyRepo {
		if !branchQuiet || wm.Merges.IsZero() {
			list("merged merge requests", &next.Merges, func(add func(catalog.Change) error) error {
				return hs.MergedSince(ctx, p.ID, p.DefaultBranch, from(wm.Merges), func(m gitlab.MergedMR) error {
					return add(mergeChange(p.ID, m, catalog.ChangeFromSync))
				})
			})
		}
		if !branchQuiet || wm.Pushes.IsZero() {
			list("push events", &next.Pushes, func(add func(catalog.Change) error) error {
				return hs.PushesSince(ctx, p.ID, from(wm.Pushes), func(e gitlab.PushEvent) error {
					if e.Ref != p.DefaultBranch {
						return nil
					}
					return add(pushChange(p.ID, p.WebURL, e, catalog.ChangeFromSync))
				})
			})
		}
	}
	list("deployments", &next.Deployments, func(add func(catalog.Change) error) error {
		return hs.DeploymentsSince(ctx, p.ID, from(wm.Deployments), func(d gitlab.Deployment) error {
			if c, ok := deploymentChange(p.ID, p.WebURL, d, catalog.ChangeFromSync); ok {
				return add(c)
			}
			return nil
		})
	})
	wg.Wait()
	slices.Sort(problems)
	next.Problem = strings.Join(problems, "; ")
	if ctx.Err() == nil {
		if err := cs.SetChangeWatermark(ctx, p.ID, next); err != nil {
			s.log.Warn("change history watermark not recorded", "repo", p.Path, "err", err)
		}
	}
	return next.Problem
}
