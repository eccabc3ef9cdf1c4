// Package campaigns tracks campaigns (issue 14): a condition every
// matching service must come to hold ("log4j-core <2.17.1" gone, a
// scorecard check passed, a file present), evaluated over the catalog
// when a campaign starts and again for each repo whose sync stored a
// change. A service is open while its repos fail the condition and done
// once they all hold it; the store (catalog.Store.SetCampaignServices)
// keeps won't-fix decisions and lets new matches join.
package campaigns

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/switchboard-dev/switchboard/advisories"
	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/depfile"
	"github.com/switchboard-dev/switchboard/scorecard"
)

// Advisories finds what an advisory affects (advisories.Store).
type Advisories interface {
	Packages(ctx context.Context, id string) ([]advisories.Affects, error)
}

// Evaluator evaluates campaigns over the catalog.
type Evaluator struct {
	Store *catalog.Store
	// Advisories answers advisory conditions; nil: they cannot be
	// evaluated.
	Advisories Advisories
	// QueueSweep, when set, is called by Start right after storing the
	// campaign to queue a campaign_sweep (QueueSweep through the replica's
	// River client), so that its teams are told within seconds rather
	// than at the next SweepInterval: set it only where the replicas work
	// campaign_sweep (serve's).
	QueueSweep func(ctx context.Context) error
	// Log notes what Start could not queue; nil: slog.Default().
	Log *slog.Logger
}

// failing is what keeps one repo of a service from the condition: where
// to change it, and the version to move to.
type failing struct {
	where, fixTo string
}

// Evaluate computes the status of each service the campaign asks about:
// the active services passing its filter of the repos repoIDs (nil: of
// every repo), each asked of all its repos. A service is open when one of
// its repos fails the condition (Where and FixTo say the first place to
// change), done otherwise; services are by id.
func (e *Evaluator) Evaluate(ctx context.Context, c catalog.Campaign, repoIDs []int64) ([]catalog.CampaignService, error) {
	scope, err := e.Store.CampaignScope(ctx, c.Filter, repoIDs)
	if err != nil {
		return nil, fmt.Errorf("evaluate campaign %s: %w", c.Name, err)
	}
	if len(scope) == 0 {
		return nil, nil
	}
	// The repos the scope's services live in (all of them for a whole
	// evaluation).
	var repos []int64
	if repoIDs != nil {
		repos = make([]int64, 0, len(scope))
		for id := range scope {
			repos = append(repos, id)
		}
		slices.Sort(repos)
	}
	byService := map[int64]*catalog.CampaignService{}
	for _, svcs := range scope {
		for _, svc := range svcs {
			if _, ok := byService[svc.ID]; !ok {
				byService[svc.ID] = &catalog.CampaignService{Service: svc, Status: catalog.CampaignDone}
			}
		}
	}
	fail := func(svc catalog.Service, f failing) {
		cs := byService[svc.ID]
		if cs.Status == catalog.CampaignOpen {
			return
		}
		cs.Status, cs.Where, cs.FixTo = catalog.CampaignOpen, f.where, f.fixTo
	}
	switch c.Condition.Kind {
	case catalog.ConditionPackage, catalog.ConditionAdvisory:
		failing, err := e.failingDependencies(ctx, c.Condition, repos)
		if err != nil {
			return nil, fmt.Errorf("evaluate campaign %s: %w", c.Name, err)
		}
		for repo, f := range failing {
			for _, svc := range scope[repo] {
				fail(svc, f)
			}
		}
	case catalog.ConditionFile:
		g, err := scorecard.CompileGlob(c.Condition.FileGlob)
		if err != nil {
			return nil, fmt.Errorf("evaluate campaign %s: %w", c.Name, err)
		}
		has, err := e.Store.ReposHavingFile(ctx, g.Regexp(), repos)
		if err != nil {
			return nil, fmt.Errorf("evaluate campaign %s: %w", c.Name, err)
		}
		for repo, svcs := range scope {
			if !has[repo] {
				for _, svc := range svcs {
					fail(svc, failing{where: "add " + c.Condition.FileGlob})
				}
			}
		}
	case catalog.ConditionScorecard:
		if err := e.scorecard(ctx, c.Condition.Check, byService, fail); err != nil {
			return nil, fmt.Errorf("evaluate campaign %s: %w", c.Name, err)
		}
	default:
		return nil, fmt.Errorf("evaluate campaign %s: %w", c.Name, c.Condition.Validate())
	}
	out := make([]catalog.CampaignService, 0, len(byService))
	for _, cs := range byService {
		out = append(out, *cs)
	}
	slices.SortFunc(out, func(a, b catalog.CampaignService) int { return cmp.Compare(a.Service.ID, b.Service.ID) })
	return out, nil
}

// failingDependencies returns, by repo, the first dependency of the repos
// (nil: all) that the package or advisory condition c finds: a version in
// the constraint, or one the advisory affects. A version that cannot be
// compared (a range, a variable) does not fail the repo.
func (e *Evaluator) failingDependencies(ctx context.Context, c catalog.CampaignCondition, repos []int64) (map[int64]failing, error) {
	var (
		deps  map[int64][]catalog.Dependency
		check func(d catalog.Dependency) (bool, string)
		err   error
	)
	if c.Kind == catalog.ConditionPackage {
		constraint := strings.ReplaceAll(c.Constraint, " ", "")
		if _, err := depfile.MatchConstraint("1.0", constraint); err != nil {
			return nil, fmt.Errorf("constraint %q: %w", c.Constraint, err)
		}
		fixTo := fixOf(constraint)
		matches := map[string]bool{}
		check = func(d catalog.Dependency) (bool, string) {
			m, ok := matches[d.Version]
			if !ok {
				m, err = depfile.MatchConstraint(d.Version, constraint)
				m = m && err == nil
				matches[d.Version] = m
			}
			return m, fixTo
		}
		if deps, err = e.Store.CampaignDependencies(ctx, c.Package, nil, repos); err != nil {
			return nil, err
		}
	} else {
		if e.Advisories == nil {
			return nil, errors.New("advisories are not set up here")
		}
		pkgs, err := e.Advisories.Packages(ctx, c.Advisory)
		if err != nil {
			return nil, fmt.Errorf("advisory %s: %w", c.Advisory, err)
		}
		keys := catalog.AdvisoryKeys(pkgs)
		if len(keys) == 0 {
			return nil, nil
		}
		type verdict struct {
			affected bool
			fixed    string
		}
		verdicts := map[[3]string]verdict{}
		check = func(d catalog.Dependency) (bool, string) {
			k := [3]string{d.Ecosystem, d.Name, d.Version}
			v, ok := verdicts[k]
			if !ok {
				vd, err := advisories.Check(pkgs, d.Ecosystem, advisories.NameKey(d.Ecosystem, d.Name), d.Version)
				v = verdict{affected: err == nil && vd.Affected, fixed: vd.FirstFixed}
				verdicts[k] = v
			}
			return v.affected, v.fixed
		}
		if deps, err = e.Store.CampaignDependencies(ctx, "", keys, repos); err != nil {
			return nil, err
		}
	}
	out := map[int64]failing{}
	for repo, ds := range deps {
		for _, d := range ds {
			if ok, fix := check(d); ok {
				out[repo] = failing{where: whereOf(d), fixTo: fix}
				break
			}
		}
	}
	return out, nil
}

// whereOf is where a dependency is declared, as file:line.
func whereOf(d catalog.Dependency) string {
	f := cmp.Or(d.File, d.Source)
	if d.Line > 0 {
		return fmt.Sprintf("%s:%d", f, d.Line)
	}
	return f
}

// fixOf is the version a constraint asks to move to: X of "<X" (or of
// "<X" at the end of a range such as ">=2.0,<2.15.0"); "" otherwise.
func fixOf(constraint string) string {
	parts := strings.Split(constraint, ",")
	last := strings.TrimSpace(parts[len(parts)-1])
	if v, ok := strings.CutPrefix(last, "<"); ok && !strings.HasPrefix(v, "=") {
		return v
	}
	return ""
}

// scorecard fails the services whose stored grade has check not passed;
// a service not graded yet is left as it is.
func (e *Evaluator) scorecard(ctx context.Context, check string, byService map[int64]*catalog.CampaignService,
	fail func(catalog.Service, failing)) error {
	var grades []catalog.ServiceGrade
	if len(byService) > 64 {
		all, err := e.Store.AllGrades(ctx)
		if err != nil {
			return err
		}
		grades = all
	} else {
		for id := range byService {
			g, err := e.Store.ServiceGrade(ctx, id)
			if errors.Is(err, catalog.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			grades = append(grades, g)
		}
	}
	graded := map[int64]bool{}
	for _, g := range grades {
		cs, ok := byService[g.Service.ID]
		if !ok {
			continue
		}
		graded[g.Service.ID] = true
		for _, r := range g.Grade.Results {
			if r.ID == check && r.Status != scorecard.Passed {
				f := failing{}
				if r.Value.Where != nil {
					f.where = r.Value.Where.String()
				}
				fail(cs.Service, f)
			}
		}
	}
	for id := range byService {
		if !graded[id] {
			delete(byService, id) // not known yet: neither open nor done
		}
	}
	return nil
}

// Start evaluates c over the whole catalog and stores it with the
// services that fail its condition.
func (e *Evaluator) Start(ctx context.Context, c catalog.Campaign) (catalog.CampaignProgress, error) {
	services, err := e.Evaluate(ctx, c, nil)
	if err != nil {
		return catalog.CampaignProgress{}, err
	}
	if _, err := e.Store.CreateCampaign(ctx, c, services); err != nil {
		return catalog.CampaignProgress{}, err
	}
	// The teams are told right after, by the replica that works the
	// sweep; should the queueing fail, the next periodic sweep tells them.
	if e.QueueSweep != nil {
		if err := e.QueueSweep(ctx); err != nil {
			cmp.Or(e.Log, slog.Default()).Warn("campaign: teams told at the next sweep", "campaign", c.Name, "err", err)
		}
	}
	return e.Store.CampaignByName(ctx, c.Name)
}

// Reevaluate evaluates every open campaign again for the services of the
// repos repoIDs (nil: of every repo), and stores their statuses. It
// returns the teams of the services evaluated, by campaign name: those
// whose message may have changed.
func (e *Evaluator) Reevaluate(ctx context.Context, repoIDs []int64) (map[string][]string, error) {
	open, err := e.Store.OpenCampaigns(ctx)
	if err != nil {
		return nil, err
	}
	touched := map[string][]string{}
	var errs []error
	for _, c := range open {
		services, err := e.Evaluate(ctx, c, repoIDs)
		if err == nil && len(services) == 0 {
			continue // none of its services there
		}
		if err == nil {
			err = e.Store.SetCampaignServices(ctx, c.ID, services)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var teams []string
		for _, cs := range services {
			teams = append(teams, cs.Service.Team)
		}
		slices.Sort(teams)
		touched[c.Name] = slices.Compact(teams)
	}
	return touched, errors.Join(errs...)
}
