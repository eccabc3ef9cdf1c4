package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Campaign statuses of a service (CampaignService.Status).
const (
	CampaignOpen    = "open"
	CampaignDone    = "done"
	CampaignWontFix = "wontfix"
)

// Kinds of campaign condition (CampaignCondition.Kind).
const (
	ConditionAdvisory  = "advisory"
	ConditionPackage   = "package"
	ConditionScorecard = "scorecard"
	ConditionFile      = "file"
)

// Campaign is a condition every matching service must come to hold,
// tracked by the sync (issue 14, table campaigns).
type Campaign struct {
	ID int64
	// Name is the campaign's slug, unique: lower-case letters, digits and
	// dashes.
	Name  string
	Title string
	// Condition is what "done" means for a service.
	Condition CampaignCondition
	// Filter narrows the services the condition is asked of.
	Filter CampaignFilter
	// Deadline is when the campaign is due.
	Deadline time.Time
	// UpdatesChannel gets the campaign's final report.
	UpdatesChannel string
	// Reminders are sent this long before the deadline.
	Reminders []time.Duration
	CreatedBy string
	CreatedAt time.Time
	// ClosedAt is when the campaign was closed; nil while it runs.
	ClosedAt *time.Time
}

// CampaignCondition is what a campaign asks: a service is open while its
// repos have what the condition names (an advisory's affected versions, a
// package in a constraint), fail the scorecard check, or lack the file.
type CampaignCondition struct {
	// Kind is ConditionAdvisory, ConditionPackage, ConditionScorecard or
	// ConditionFile.
	Kind string `json:"kind"`
	// Advisory is the advisory's id (CVE, GHSA) for ConditionAdvisory.
	Advisory string `json:"advisory,omitempty"`
	// Package and Constraint are the package and the versions to leave
	// ("<2.17.1") for ConditionPackage.
	Package    string `json:"package,omitempty"`
	Constraint string `json:"constraint,omitempty"`
	// Check is the scorecard check's id for ConditionScorecard.
	Check string `json:"check,omitempty"`
	// FileGlob is the file every repo must have for ConditionFile.
	FileGlob string `json:"file_glob,omitempty"`
}

// String reads the condition as the /impact question it comes from:
// "log4j-core <2.17.1", "CVE-2021-44228", "scorecard check runbook",
// "has .gitlab-ci.yml".
func (c CampaignCondition) String() string {
	switch c.Kind {
	case ConditionAdvisory:
		return c.Advisory
	case ConditionPackage:
		return strings.TrimSpace(c.Package + " " + c.Constraint)
	case ConditionScorecard:
		return "scorecard check " + c.Check
	case ConditionFile:
		return "has " + c.FileGlob
	}
	return c.Kind
}

// Validate reports what is missing from the condition.
func (c CampaignCondition) Validate() error {
	var missing string
	switch c.Kind {
	case ConditionAdvisory:
		if c.Advisory == "" {
			missing = "advisory"
		}
	case ConditionPackage:
		if c.Package == "" || c.Constraint == "" {
			missing = "package and constraint"
		}
	case ConditionScorecard:
		if c.Check == "" {
			missing = "check"
		}
	case ConditionFile:
		if c.FileGlob == "" {
			missing = "file glob"
		}
	default:
		return fmt.Errorf("campaign condition: unknown kind %q (advisory, package, scorecard or file)", c.Kind)
	}
	if missing != "" {
		return fmt.Errorf("campaign condition %s: no %s", c.Kind, missing)
	}
	return nil
}

// CampaignFilter narrows a campaign to services of these teams, tiers and
// lifecycles; an empty list does not narrow.
type CampaignFilter struct {
	Teams      []string `json:"teams,omitempty"`
	Tiers      []string `json:"tiers,omitempty"`
	Lifecycles []string `json:"lifecycles,omitempty"`
}

// Match reports whether svc passes the filter (team, tier and lifecycle
// compared ignoring case).
func (f CampaignFilter) Match(svc Service) bool {
	in := func(list []string, v string) bool {
		return len(list) == 0 || slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, v) })
	}
	return in(f.Teams, svc.Team) && in(f.Tiers, svc.Tier) && in(f.Lifecycles, svc.Lifecycle)
}

// CampaignService is a service in a campaign and where it stands.
type CampaignService struct {
	// Service is the service (ID, Namespace, Name, Team, Tier, Lifecycle
	// filled in).
	Service Service
	// Status is CampaignOpen, CampaignDone or CampaignWontFix.
	Status string
	// Reason is why a team will not fix it.
	Reason string
	// Where is what to change, as file:line.
	Where string
	// FixTo is the version to move to, when there is one.
	FixTo string
	// Changed is when the status last changed.
	Changed time.Time
}

// CampaignTeam counts a team's services in a campaign.
type CampaignTeam struct {
	Team                string
	Open, Done, WontFix int
}

// CampaignDay is the burn-down's point of one day: the services left open
// at its end (or now, for today).
type CampaignDay struct {
	Day       time.Time
	Remaining int
}

// CampaignProgress is a campaign with its services, counted by team, and
// its burn-down.
type CampaignProgress struct {
	Campaign Campaign
	// Services are by team, then name.
	Services []CampaignService
	// ByTeam are by team name ("" for services with no owner).
	ByTeam []CampaignTeam
	// Days are in order.
	Days []CampaignDay
}

// Remaining is how many services are open.
func (p CampaignProgress) Remaining() int {
	n := 0
	for _, t := range p.ByTeam {
		n += t.Open
	}
	return n
}

// CreateCampaign stores c (its ID and CreatedAt set) with its first
// services, records the day's remaining count, and audits the start.
func (s *Store) CreateCampaign(ctx context.Context, c Campaign, services []CampaignService) (Campaign, error) {
	if err := c.Condition.Validate(); err != nil {
		return Campaign{}, fmt.Errorf("create campaign %s: %w", c.Name, err)
	}
	cond, err := json.Marshal(c.Condition)
	if err != nil {
		return Campaign{}, fmt.Errorf("create campaign %s: encode condition: %w", c.Name, err)
	}
	filter, err := json.Marshal(c.Filter)
	if err != nil {
		return Campaign{}, fmt.Errorf("create campaign %s: encode filter: %w", c.Name, err)
	}
	reminders := make([]int64, len(c.Reminders))
	for i, d := range c.Reminders {
		reminders[i] = int64(d / time.Second)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `
			INSERT INTO campaigns (name, title, condition, filter, deadline, updates_channel, reminders, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id, created_at`,
			c.Name, c.Title, cond, filter, c.Deadline, c.UpdatesChannel, reminders, c.CreatedBy, s.now()).Scan(&c.ID, &c.CreatedAt); err != nil {
			return err
		}
		if err := putCampaignServices(ctx, tx, c.ID, services, s.now()); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{Actor: c.CreatedBy, Action: "campaign.start", Subject: "campaign:" + c.Name,
			Detail: map[string]any{"title": c.Title, "condition": c.Condition.String(), "deadline": c.Deadline.Format(time.DateOnly),
				"services": len(services)}})
	})
	if err != nil {
		return Campaign{}, fmt.Errorf("create campaign %s: %w", c.Name, err)
	}
	return c, nil
}

// now is the store's clock.
func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// SetCampaignServices stores an evaluation of the campaign's services:
// each service's status becomes the one given (a done service stays done
// only while the condition holds), except that a service a team will not
// fix stays so; a service not yet in the campaign joins it when open (a
// done one, which never matched, is left out). The day's remaining count
// is recorded.
func (s *Store) SetCampaignServices(ctx context.Context, campaignID int64, services []CampaignService) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		return putCampaignServices(ctx, tx, campaignID, services, s.now())
	})
	if err != nil {
		return fmt.Errorf("set services of campaign %d: %w", campaignID, err)
	}
	return nil
}

// putCampaignServices is SetCampaignServices in tx, at now. The
// campaign's row is locked first: writers of one campaign take turns, so
// that the day's count each records (in a statement begun after the lock)
// sees the others' changes.
func putCampaignServices(ctx context.Context, tx pgx.Tx, campaignID int64, services []CampaignService, now time.Time) error {
	if _, err := tx.Exec(ctx, `SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE`, campaignID); err != nil {
		return fmt.Errorf("lock campaign: %w", err)
	}
	n := len(services)
	ids, statuses, wheres, fixes := make([]int64, n), make([]string, n), make([]string, n), make([]string, n)
	for i, cs := range services {
		if cs.Status != CampaignOpen && cs.Status != CampaignDone {
			return fmt.Errorf("service %s: status %q is not open or done", cs.Service.Ref(), cs.Status)
		}
		ids[i], statuses[i], wheres[i], fixes[i] = cs.Service.ID, cs.Status, cs.Where, cs.FixTo
	}
	if n > 0 {
		if _, err := tx.Exec(ctx, `
			INSERT INTO campaign_services AS c (campaign_id, service_id, status, where_, fix_to, changed)
			SELECT $1, u.id, u.status, u.where_, u.fix_to, $6
			FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[]) AS u(id, status, where_, fix_to)
			WHERE u.status = 'open' OR EXISTS (SELECT 1 FROM campaign_services e WHERE e.campaign_id = $1 AND e.service_id = u.id)
			ON CONFLICT (campaign_id, service_id) DO UPDATE SET
				status = CASE WHEN c.status = 'wontfix' THEN c.status ELSE excluded.status END,
				where_ = CASE WHEN excluded.status = 'open' THEN excluded.where_ ELSE c.where_ END,
				fix_to = CASE WHEN excluded.status = 'open' THEN excluded.fix_to ELSE c.fix_to END,
				changed = CASE WHEN c.status <> 'wontfix' AND c.status <> excluded.status THEN excluded.changed ELSE c.changed END
			WHERE c.status <> 'wontfix' AND (c.status, c.where_, c.fix_to) IS DISTINCT FROM (excluded.status, excluded.where_, excluded.fix_to)`,
			campaignID, ids, statuses, wheres, fixes, now); err != nil {
			return fmt.Errorf("store services: %w", err)
		}
	}
	return recordDay(ctx, tx, campaignID, now)
}

// recordDay records the campaign's remaining count for now's day (UTC).
func recordDay(ctx context.Context, tx pgx.Tx, campaignID int64, now time.Time) error {
	day := now.UTC().Truncate(24 * time.Hour)
	if _, err := tx.Exec(ctx, `
		INSERT INTO campaign_days (campaign_id, day, remaining)
		SELECT $1, $2::date, count(*) FROM campaign_services WHERE campaign_id = $1 AND status = 'open'
		ON CONFLICT (campaign_id, day) DO UPDATE SET remaining = excluded.remaining`, campaignID, day); err != nil {
		return fmt.Errorf("record day: %w", err)
	}
	return nil
}

// campaignSelect reads campaigns (scanCampaign).
const campaignSelect = `SELECT id, name, title, condition, filter, deadline, updates_channel, reminders, created_by, created_at, closed_at FROM campaigns`

func scanCampaign(row pgx.Row) (Campaign, error) {
	var (
		c            Campaign
		cond, filter []byte
		reminders    []int64
	)
	if err := row.Scan(&c.ID, &c.Name, &c.Title, &cond, &filter, &c.Deadline, &c.UpdatesChannel, &reminders,
		&c.CreatedBy, &c.CreatedAt, &c.ClosedAt); err != nil {
		return Campaign{}, err
	}
	if err := json.Unmarshal(cond, &c.Condition); err != nil {
		return Campaign{}, fmt.Errorf("decode condition of campaign %s: %w", c.Name, err)
	}
	if err := json.Unmarshal(filter, &c.Filter); err != nil {
		return Campaign{}, fmt.Errorf("decode filter of campaign %s: %w", c.Name, err)
	}
	for _, r := range reminders {
		c.Reminders = append(c.Reminders, time.Duration(r)*time.Second)
	}
	return c, nil
}

// CampaignByName returns the campaign called name with its progress;
// ErrNotFound when there is none.
func (s *Store) CampaignByName(ctx context.Context, name string) (CampaignProgress, error) {
	c, err := scanCampaign(s.pool.QueryRow(ctx, campaignSelect+` WHERE name = $1`, strings.ToLower(name)))
	if errors.Is(err, pgx.ErrNoRows) {
		return CampaignProgress{}, fmt.Errorf("campaign %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return CampaignProgress{}, fmt.Errorf("campaign %s: %w", name, err)
	}
	return s.progress(ctx, c)
}

// Campaigns returns the campaigns with their progress, newest first: only
// those not closed when open is true, else all.
func (s *Store) Campaigns(ctx context.Context, open bool) ([]CampaignProgress, error) {
	rows, err := s.pool.Query(ctx, campaignSelect+` WHERE NOT $1 OR closed_at IS NULL ORDER BY created_at DESC, id DESC`, open)
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Campaign, error) { return scanCampaign(r) })
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	out := make([]CampaignProgress, 0, len(cs))
	for _, c := range cs {
		p, err := s.progress(ctx, c)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// progress reads c's services and days.
func (s *Store) progress(ctx context.Context, c Campaign) (CampaignProgress, error) {
	p := CampaignProgress{Campaign: c}
	rows, err := s.pool.Query(ctx, `
		SELECT s.id, s.namespace, s.name, COALESCE(t.name, ''), s.tier, s.lifecycle, s.slack_channel,
		       cs.status, cs.reason, cs.where_, cs.fix_to, cs.changed
		FROM campaign_services cs JOIN services s ON s.id = cs.service_id LEFT JOIN teams t ON t.id = s.team_id
		WHERE cs.campaign_id = $1 ORDER BY 4, s.name, s.namespace`, c.ID)
	if err != nil {
		return p, fmt.Errorf("services of campaign %s: %w", c.Name, err)
	}
	p.Services, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (CampaignService, error) {
		var cs CampaignService
		svc := &cs.Service
		err := r.Scan(&svc.ID, &svc.Namespace, &svc.Name, &svc.Team, &svc.Tier, &svc.Lifecycle, &svc.SlackChannel,
			&cs.Status, &cs.Reason, &cs.Where, &cs.FixTo, &cs.Changed)
		return cs, err
	})
	if err != nil {
		return p, fmt.Errorf("services of campaign %s: %w", c.Name, err)
	}
	for _, cs := range p.Services {
		if len(p.ByTeam) == 0 || p.ByTeam[len(p.ByTeam)-1].Team != cs.Service.Team {
			p.ByTeam = append(p.ByTeam, CampaignTeam{Team: cs.Service.Team})
		}
		t := &p.ByTeam[len(p.ByTeam)-1]
		switch cs.Status {
		case CampaignOpen:
			t.Open++
		case CampaignDone:
			t.Done++
		case CampaignWontFix:
			t.WontFix++
		}
	}
	rows, err = s.pool.Query(ctx, `SELECT day, remaining FROM campaign_days WHERE campaign_id = $1 ORDER BY day`, c.ID)
	if err != nil {
		return p, fmt.Errorf("days of campaign %s: %w", c.Name, err)
	}
	p.Days, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (CampaignDay, error) {
		var d CampaignDay
		err := r.Scan(&d.Day, &d.Remaining)
		return d, err
	})
	if err != nil {
		return p, fmt.Errorf("days of campaign %s: %w", c.Name, err)
	}
	return p, nil
}

// WontFix marks the campaign's service serviceRef ("name" or
// "namespace/name") as one its team will not fix, for reason, and audits
// it; ErrNotFound when the campaign has no such service.
func (s *Store) WontFix(ctx context.Context, campaignName, serviceRef, reason, by string) error {
	namespace, name := splitRef(strings.TrimSpace(serviceRef))
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		// Locked first, as putCampaignServices does.
		if _, err := tx.Exec(ctx, `SELECT 1 FROM campaigns WHERE name = lower($1) FOR UPDATE`, campaignName); err != nil {
			return fmt.Errorf("lock campaign: %w", err)
		}
		var id int64
		err := tx.QueryRow(ctx, `
			UPDATE campaign_services cs SET status = 'wontfix', reason = $4, changed = $5
			FROM campaigns c, services s
			WHERE c.name = lower($1) AND cs.campaign_id = c.id AND s.id = cs.service_id
			  AND lower(s.name) = lower($2) AND ($3 = '' OR s.namespace = $3)
			RETURNING c.id`, campaignName, name, namespace, reason, s.now()).Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := recordDay(ctx, tx, id, s.now()); err != nil {
			return err
		}
		return appendAudit(ctx, tx, AuditEntry{Actor: by, Action: "campaign.wontfix", Subject: "campaign:" + campaignName,
			Detail: map[string]any{"service": serviceRef, "reason": reason}})
	})
	if err != nil {
		return fmt.Errorf("campaign %s: won't fix %s: %w", campaignName, serviceRef, err)
	}
	return nil
}

// CloseCampaign closes the campaign called name and audits it;
// ErrNotFound when there is no such campaign open.
func (s *Store) CloseCampaign(ctx context.Context, name, by string) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE campaigns SET closed_at = $2 WHERE name = lower($1) AND closed_at IS NULL`, name, s.now())
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return ErrNotFound
		}
		return appendAudit(ctx, tx, AuditEntry{Actor: by, Action: "campaign.close", Subject: "campaign:" + name})
	})
	if err != nil {
		return fmt.Errorf("close campaign %s: %w", name, err)
	}
	return nil
}

// CampaignScope returns the active services that pass f, by repo: those of the
// repos repoIDs (nil: of every repo), with each of their repos (a service
// is asked of all its repos, not only those that changed). Each has ID,
// Namespace, Name, Team, Tier, Lifecycle and SlackChannel filled in.
func (s *Store) CampaignScope(ctx context.Context, f CampaignFilter, repoIDs []int64) (map[int64][]Service, error) {
	lower := func(l []string) []string {
		out := make([]string, len(l))
		for i, v := range l {
			out[i] = strings.ToLower(v)
		}
		return out
	}
	rows, err := s.pool.Query(ctx, `
		SELECT sr.repo_id, s.id, s.namespace, s.name, COALESCE(t.name, ''), s.tier, s.lifecycle, s.slack_channel
		FROM service_repos sr JOIN services s ON s.id = sr.service_id LEFT JOIN teams t ON t.id = s.team_id
		WHERE ($1::bigint[] IS NULL OR sr.service_id IN (SELECT x.service_id FROM service_repos x WHERE x.repo_id = ANY($1)))
		  AND s.status = 'active'
		  AND (cardinality($2::text[]) = 0 OR lower(t.name) = ANY($2))
		  AND (cardinality($3::text[]) = 0 OR lower(s.tier) = ANY($3))
		  AND (cardinality($4::text[]) = 0 OR lower(s.lifecycle) = ANY($4))
		ORDER BY sr.repo_id, s.name`, repoIDs, lower(f.Teams), lower(f.Tiers), lower(f.Lifecycles))
	if err != nil {
		return nil, fmt.Errorf("campaign scope: %w", err)
	}
	defer rows.Close()
	out := map[int64][]Service{}
	for rows.Next() {
		var (
			repo int64
			svc  Service
		)
		if err := rows.Scan(&repo, &svc.ID, &svc.Namespace, &svc.Name, &svc.Team, &svc.Tier, &svc.Lifecycle, &svc.SlackChannel); err != nil {
			return nil, fmt.Errorf("campaign scope: %w", err)
		}
		out[repo] = append(out[repo], svc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign scope: %w", err)
	}
	return out, nil
}

// CampaignDependencies returns the dependencies (of repos not deleted) on
// the package called name, matched as /impact matches names
// (DependentRepos), or on one of keys when name is empty, by repo: of the
// repos repoIDs only, unless nil.
func (s *Store) CampaignDependencies(ctx context.Context, name string, keys []PackageKey, repoIDs []int64) (map[int64][]Dependency, error) {
	ecos, names := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		ecos[i], names[i] = k.Ecosystem, k.NameKey
	}
	match, args := nameMatch, []any{name, repoIDs}
	if name == "" {
		match, args = `(d.ecosystem, d.name_key) IN (SELECT * FROM unnest($1::text[], $3::text[]))`, []any{ecos, repoIDs, names}
	}
	rows, err := s.pool.Query(ctx, `
		SELECT d.repo_id, d.ecosystem, d.name, d.version, d.file, d.line, d.source, d.direct
		FROM dependencies d JOIN repos r ON r.id = d.repo_id
		WHERE `+match+` AND r.deleted_at IS NULL AND ($2::bigint[] IS NULL OR d.repo_id = ANY($2))
		ORDER BY d.repo_id, d.source, d.file, d.line`, args...)
	if err != nil {
		return nil, fmt.Errorf("campaign dependencies on %s: %w", name, err)
	}
	defer rows.Close()
	out := map[int64][]Dependency{}
	for rows.Next() {
		var (
			repo int64
			d    Dependency
		)
		if err := rows.Scan(&repo, &d.Ecosystem, &d.Name, &d.Version, &d.File, &d.Line, &d.Source, &d.Direct); err != nil {
			return nil, fmt.Errorf("campaign dependencies on %s: %w", name, err)
		}
		out[repo] = append(out[repo], d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("campaign dependencies on %s: %w", name, err)
	}
	return out, nil
}

// ReposHavingFile returns which of the repos repoIDs (nil: every repo not
// deleted) have a file whose path matches the Postgres regexp re
// (scorecard.Glob.Regexp).
func (s *Store) ReposHavingFile(ctx context.Context, re string, repoIDs []int64) (map[int64]bool, error) {
	ids, err := queryIDs(ctx, s.pool, fmt.Sprintf("repos having file %s", re), `
		SELECT r.id FROM repos r
		WHERE r.deleted_at IS NULL AND ($2::bigint[] IS NULL OR r.id = ANY($2))
		  AND EXISTS (SELECT 1 FROM repo_files f WHERE f.repo_id = r.id AND f.path ~ $1)`, re, repoIDs)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// RepoIDOfProject returns the id of the repo of GitLab project gitlabID;
// ErrNotFound when there is none.
func (s *Store) RepoIDOfProject(ctx context.Context, gitlabID int64) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT id FROM repos WHERE gitlab_id = $1`, gitlabID).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, fmt.Errorf("repo of project %d: %w", gitlabID, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("repo of project %d: %w", gitlabID, err)
	}
	return id, nil
}

// OpenCampaigns returns the campaigns not closed, without their progress,
// oldest first.
func (s *Store) OpenCampaigns(ctx context.Context) ([]Campaign, error) {
	rows, err := s.pool.Query(ctx, campaignSelect+` WHERE closed_at IS NULL ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("open campaigns: %w", err)
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Campaign, error) { return scanCampaign(r) })
	if err != nil {
		return nil, fmt.Errorf("open campaigns: %w", err)
	}
	return cs, nil
}

// CampaignMessage is a team's message about a campaign (table
// campaign_messages): where it was posted, and the hash of its text.
type CampaignMessage struct {
	CampaignID int64
	Team       string
	// Channel and TS are the posted message's; TS is empty until posted.
	Channel, TS string
	// Hash is the hash of the text last posted or updated.
	Hash string
}

// CampaignMessages returns the campaign's team messages posted, by team.
func (s *Store) CampaignMessages(ctx context.Context, campaignID int64) (map[string]CampaignMessage, error) {
	rows, err := s.pool.Query(ctx, `SELECT team, channel, ts, hash FROM campaign_messages WHERE campaign_id = $1 AND ts <> ''`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("messages of campaign %d: %w", campaignID, err)
	}
	defer rows.Close()
	out := map[string]CampaignMessage{}
	for rows.Next() {
		m := CampaignMessage{CampaignID: campaignID}
		if err := rows.Scan(&m.Team, &m.Channel, &m.TS, &m.Hash); err != nil {
			return nil, fmt.Errorf("messages of campaign %d: %w", campaignID, err)
		}
		out[m.Team] = m
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messages of campaign %d: %w", campaignID, err)
	}
	return out, nil
}

// ClaimCampaignMessage claims the posting of team's message about the
// campaign for the claimant by: it succeeds when the message is not posted
// yet and not claimed, or claimed more than takeOver ago (its claimant
// died). Only the claimant posts; it then calls CampaignMessagePosted, or
// CampaignMessageNotPosted to let it be claimed again.
func (s *Store) ClaimCampaignMessage(ctx context.Context, campaignID int64, team, by string, takeOver time.Duration) (bool, error) {
	now := s.now()
	tag, err := s.pool.Exec(ctx, `
		INSERT INTO campaign_messages AS m (campaign_id, team, claimed_by, claimed_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (campaign_id, team) DO UPDATE SET claimed_by = excluded.claimed_by, claimed_at = excluded.claimed_at
		WHERE m.ts = '' AND (m.claimed_at IS NULL OR m.claimed_at < $5)`, campaignID, team, by, now, now.Add(-takeOver))
	if err != nil {
		return false, fmt.Errorf("claim message of campaign %d to %s: %w", campaignID, team, err)
	}
	return tag.RowsAffected() == 1, nil
}

// CampaignMessagePosted records the message the claimant by posted for
// team: its channel, ts and text hash. Returns ErrConflict when by no
// longer holds the claim.
func (s *Store) CampaignMessagePosted(ctx context.Context, m CampaignMessage, by string) error {
	tag, err := s.pool.Exec(ctx, `
		UPDATE campaign_messages SET channel = $4, ts = $5, hash = $6, posted_at = $7, updated_at = $7, last_error = ''
		WHERE campaign_id = $1 AND team = $2 AND claimed_by = $3 AND ts = ''`,
		m.CampaignID, m.Team, by, m.Channel, m.TS, m.Hash, s.now())
	if err != nil {
		return fmt.Errorf("message of campaign %d to %s posted: %w", m.CampaignID, m.Team, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("message of campaign %d to %s posted: %w: claimed by another", m.CampaignID, m.Team, ErrConflict)
	}
	return nil
}

// CampaignMessageNotPosted releases the claimant by's claim after a
// failure to post, recording why: it may be claimed again at once.
func (s *Store) CampaignMessageNotPosted(ctx context.Context, campaignID int64, team, by, why string) error {
	if _, err := s.pool.Exec(ctx, `
		UPDATE campaign_messages SET claimed_by = '', claimed_at = NULL, last_error = $4
		WHERE campaign_id = $1 AND team = $2 AND claimed_by = $3 AND ts = ''`, campaignID, team, by, why); err != nil {
		return fmt.Errorf("message of campaign %d to %s not posted: %w", campaignID, team, err)
	}
	return nil
}

// CampaignMessageUpdated records the hash of the text a team's posted
// message was updated to.
func (s *Store) CampaignMessageUpdated(ctx context.Context, campaignID int64, team, hash string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE campaign_messages SET hash = $3, updated_at = $4, last_error = '' WHERE campaign_id = $1 AND team = $2`,
		campaignID, team, hash, s.now()); err != nil {
		return fmt.Errorf("message of campaign %d to %s updated: %w", campaignID, team, err)
	}
	return nil
}
