package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/charts"
	"github.com/switchboard-dev/switchboard/commands"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// Limits that keep a page small.
const (
	searchLimit    = 20
	depLimit       = 100
	teamServiceMax = 200
	groupRepoMax   = 10
	brokenMax      = 100
)

// base is what every page's layout shows.
type base struct {
	Title  string
	User   User
	Nonce  string
	Auth   string
	Query  string
	Active string
}

func (s *Server) base(r *http.Request, u User, title, active string) base {
	return base{Title: title, User: u, Nonce: nonceOf(r), Auth: s.cfg.Auth, Active: active}
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	t := s.pages[page]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.ErrorContext(r.Context(), "web: render", "page", page, "err", err)
		http.Error(w, "The page could not be drawn.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorData struct {
	base
	Message string
}

// errorPage answers with a page saying what went wrong.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, msg string) {
	s.render(w, r, status, "error", errorData{base: base{Title: http.StatusText(status), Nonce: nonceOf(r), Auth: s.cfg.Auth}, Message: msg})
}

// failed answers a read that failed: the database down is said as such.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, what string, err error) {
	s.log.ErrorContext(r.Context(), "web: read failed", "what", what, "err", err)
	msg := "Sorry, " + what + " could not be read. The error is logged; try again in a minute."
	if catalog.IsUnavailable(err) {
		msg = "The catalog database is not reachable right now, so " + what + " could not be read. Try again in a minute."
	}
	s.errorPage(w, r, http.StatusServiceUnavailable, msg)
}

// ask runs a slash command as the signed-in user and renders its answer
// where v says.
func (s *Server) ask(ctx context.Context, u User, command, text string, v view) answer {
	resp, err := s.src.Commands.Dispatch(ctx, commands.Request{Command: command, Text: text, User: commands.User{ID: u.ID, Name: u.Name, Email: u.Email}})
	if err != nil {
		s.log.ErrorContext(ctx, "web: command failed", "command", command, "text", text, "err", err)
	}
	v.base = s.cfg.BaseURL
	return answerHTML(resp, v)
}

type homeData struct {
	base
}

func (s *Server) home(w http.ResponseWriter, r *http.Request, u User) {
	s.render(w, r, http.StatusOK, "home", homeData{base: s.base(r, u, "Switchboard catalog", "search")})
}

// hit is one search result.
type hit struct {
	URL, Ref, Title, Description, Team, TeamURL string
	Why                                         []string
}

type searchData struct {
	base
	Hits    []hit
	Note    string
	Partial bool
}

// search is the search page; with partial=1 only the results (the page's
// script fetches them as the user types).
func (s *Server) search(w http.ResponseWriter, r *http.Request, u User) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := searchData{base: s.base(r, u, "Search", "search"), Partial: r.URL.Query().Get("partial") == "1"}
	d.Query = q
	if q != "" {
		d.Title = "Search: " + q
		hits, note, err := s.find(r.Context(), q)
		if err != nil {
			s.failed(w, r, "the search", err)
			return
		}
		d.Hits, d.Note = hits, note
		if len(hits) == 0 && note == "" {
			d.Note = "No service matches “" + q + "”. Try other words from its description, its team or its repo."
		}
	}
	page := "search"
	if d.Partial {
		page = "results"
	}
	s.render(w, r, http.StatusOK, page, d)
}

func (s *Server) find(ctx context.Context, q string) ([]hit, string, error) {
	if s.src.Search == nil {
		l, err := s.src.Catalog.FindService(ctx, q)
		if err != nil {
			return nil, "", err
		}
		var out []hit
		for _, svc := range l.Services {
			out = append(out, toHit(svc, nil))
		}
		return out, "Full-text search is not available: names and aliases only.", nil
	}
	hits, err := s.src.Search.Search(ctx, q, searchLimit)
	if err != nil {
		return nil, "", err
	}
	out := make([]hit, len(hits))
	for i, h := range hits {
		out[i] = toHit(h.Service, h.Why)
	}
	return out, "", nil
}

func toHit(svc catalog.Service, why []string) hit {
	h := hit{URL: weblinks.ServicePath(svc.Namespace, svc.Name), Ref: svc.Ref(), Title: svc.Title, Description: svc.Description, Team: svc.Team, Why: why}
	if h.Title == svc.Name {
		h.Title = ""
	}
	if svc.Team != "" {
		h.TeamURL = weblinks.TeamPath(svc.Team)
	}
	return h
}

type serviceLink struct {
	URL, Ref, Team string
	Orphaned       bool
}

type serviceData struct {
	base
	Service catalog.Service
	Team    *catalog.Team
	TeamURL string
	// Owner is the /whoowns answer, its header the page's heading.
	Owner answer
	// Scorecard is the /scorecard answer, its header the section's.
	Scorecard      answer
	Repos          []catalog.RepoDetail
	GraphAvailable bool
	GraphError     string
	Dependencies   []graphLink
	Dependents     []graphLink
	// DependentsTotal and DirectDependents count every service that
	// depends on this one, and those that do directly.
	DependentsTotal, DirectDependents int
	DepLimit                          int
}

// graphLink is a service of the graph (or, URL "", a reference naming
// nothing in the catalog) with where each edge to it comes from.
type graphLink struct {
	serviceLink
	Depth   int
	Cycle   bool
	Origins []string
}

func origins(edges []catalog.Edge) []string {
	out := make([]string, 0, len(edges))
	for _, e := range edges {
		o := e.Origin
		if o == "" {
			o = e.Kind + " " + e.Target
		}
		out = append(out, o)
	}
	return out
}

func dependencyLinks(deps []catalog.ServiceDependency) []graphLink {
	out := make([]graphLink, len(deps))
	for i, d := range deps {
		l := graphLink{Cycle: d.Cycle, Origins: origins(d.Edges), Depth: 1}
		if d.Resolved() {
			l.serviceLink = serviceLink{URL: weblinks.ServicePath(d.Service.Namespace, d.Service.Name), Ref: d.Service.Ref(), Team: d.Service.Team}
		} else {
			l.Ref = d.Target
		}
		out[i] = l
	}
	return out
}

func dependentLinks(deps []catalog.Dependent) []graphLink {
	out := make([]graphLink, len(deps))
	for i, d := range deps {
		out[i] = graphLink{serviceLink: serviceLink{URL: weblinks.ServicePath(d.Service.Namespace, d.Service.Name), Ref: d.Service.Ref(), Team: d.Service.Team},
			Depth: d.Depth, Cycle: d.Cycle, Origins: origins(d.Via)}
	}
	return out
}

// service is a service's page: the /whoowns answer, its dependencies and
// dependents, its repos' descriptor status and dependencies, and its
// scorecard.
func (s *Server) service(w http.ResponseWriter, r *http.Request, u User) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	ref := ns + "/" + name
	l, err := s.src.Catalog.FindService(r.Context(), ref)
	if err != nil {
		s.failed(w, r, "the service "+ref, err)
		return
	}
	var svc *catalog.Service
	for i, c := range l.Services {
		cns := c.Namespace
		if cns == "" {
			cns = catalog.DefaultNamespace
		}
		if strings.EqualFold(cns, ns) && strings.EqualFold(c.Name, name) {
			svc = &l.Services[i]
			break
		}
	}
	if svc == nil {
		s.errorPage(w, r, http.StatusNotFound, "There is no service "+ref+" in the catalog. Search for it by words from its description.")
		return
	}
	p, err := s.src.Catalog.Profile(r.Context(), svc.ID)
	if err != nil {
		s.failed(w, r, "the service "+ref, err)
		return
	}
	d := serviceData{base: s.base(r, u, p.Service.Ref(), ""), Service: p.Service, Team: p.Team, DepLimit: depLimit}
	if p.Team != nil {
		d.TeamURL = weblinks.TeamPath(p.Team.Name)
	}
	full := catalog.DefaultNamespace + "/" + p.Service.Name
	if p.Service.Namespace != "" {
		full = p.Service.Namespace + "/" + p.Service.Name
	}
	// The parts are independent reads: asked at once, the page takes as
	// long as the slowest.
	var wg sync.WaitGroup
	var repoErr error
	self := weblinks.ServicePath(p.Service.Namespace, p.Service.Name)
	wg.Go(func() { d.Owner = s.ask(r.Context(), u, "/whoowns", full, view{level: 2, self: self, heading: true}) })
	wg.Go(func() {
		d.Scorecard = s.ask(r.Context(), u, "/scorecard", full, view{level: 3, self: self, heading: true})
	})
	wg.Go(func() { d.Repos, repoErr = s.src.Catalog.RepoDetails(r.Context(), p.Service.ID, depLimit) })
	if s.src.Graph != nil {
		d.GraphAvailable = true
		wg.Go(func() {
			deps, err1 := s.src.Graph.Dependencies(r.Context(), p.Service.ID)
			radius, err2 := s.src.Graph.Radius(r.Context(), p.Service.ID, 0, depLimit)
			if err := errors.Join(err1, err2); err != nil {
				s.log.WarnContext(r.Context(), "web: service graph", "service", ref, "err", err)
				d.GraphError = "The service graph could not be read just now."
			}
			d.Dependencies, d.Dependents = dependencyLinks(deps), dependentLinks(radius.Page)
			d.DependentsTotal = radius.Total
			if len(radius.ByDepth) > 0 {
				d.DirectDependents = radius.ByDepth[0]
			}
		})
	}
	wg.Wait()
	if repoErr != nil {
		s.failed(w, r, "the repos of "+ref, repoErr)
		return
	}
	s.render(w, r, http.StatusOK, "service", d)
}

type teamData struct {
	base
	Team catalog.Team
	// Answer is the /team answer, its header the page's heading.
	Answer answer
	// Levels is the team's /scorecard answer, its header the section's.
	Levels answer
	// Services are the team's services Answer does not link to (all of
	// them when it links none); Listed is how many it does.
	Services []serviceLink
	Listed   int
	More     int
}

// team is a team's page: the /team answer (people, services, channel, on
// call now), its services as links, and its scorecard levels.
func (s *Server) team(w http.ResponseWriter, r *http.Request, u User) {
	name := r.PathValue("name")
	t, err := s.src.Catalog.FindTeam(r.Context(), name)
	if errors.Is(err, catalog.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "There is no team "+name+" in the catalog.")
		return
	}
	if err != nil {
		s.failed(w, r, "the team "+name, err)
		return
	}
	d := teamData{base: s.base(r, u, "Team "+t.Name, ""), Team: t}
	var (
		wg    sync.WaitGroup
		owned []catalog.ServiceRef
		total int
	)
	wg.Go(func() { owned, total, err = s.src.Catalog.TeamServiceRefs(r.Context(), t.ID, teamServiceMax) })
	self := weblinks.TeamPath(t.Name)
	wg.Go(func() { d.Answer = s.ask(r.Context(), u, "/team", t.Name, view{level: 2, self: self, heading: true}) })
	wg.Go(func() {
		d.Levels = s.ask(r.Context(), u, "/scorecard", t.Name, view{level: 3, self: self, heading: true})
	})
	wg.Wait()
	if err != nil {
		s.failed(w, r, "the services of "+name, err)
		return
	}
	d.More = total - len(owned)
	// The /team answer lists the first services with links to their
	// pages; the page lists the others it does not.
	for _, o := range owned {
		svc := catalog.Service{Namespace: o.Namespace, Name: o.Name}
		url := weblinks.ServicePath(o.Namespace, o.Name)
		if d.Answer.linked[url] {
			d.Listed++
			continue
		}
		d.Services = append(d.Services, serviceLink{URL: url, Ref: svc.Ref(), Orphaned: o.Orphaned})
	}
	s.render(w, r, http.StatusOK, "team", d)
}

type coverageRow struct {
	Label                                string
	Active, Catalogued, Flagged, Ignored int
	Broken, NoDescriptor                 int
	Percent                              string
}

type coverageData struct {
	base
	Coverage     catalog.Coverage
	Percent      string
	Rows         []coverageRow
	Chart        template.HTML
	ChartError   string
	Uncatalogued []catalog.RepoGroup
	MoreGroups   int
	GroupMax     int
	Broken       []catalog.BrokenRepo
	MoreBroken   int
}

func row(label string, c catalog.Coverage) coverageRow {
	return coverageRow{Label: label, Active: c.Active, Catalogued: c.Catalogued, Flagged: c.NoDescriptor + c.Broken,
		Ignored: c.Ignored, Broken: c.Broken, NoDescriptor: c.NoDescriptor, Percent: fmt.Sprintf("%.0f%%", c.Percent())}
}

// coverage is the coverage page: catalogued, flagged and ignored repos over
// the digests posted (digest_days) and now, the broken descriptors and the
// uncatalogued repos by group, as the daily digest counts them.
func (s *Server) coverage(w http.ResponseWriter, r *http.Request, u User) {
	dg, hist, err := s.coverageDigest(r.Context())
	if err != nil {
		s.failed(w, r, "the coverage", err)
		return
	}
	d := coverageData{base: s.base(r, u, "Coverage", "coverage"), Coverage: dg.Coverage, Percent: fmt.Sprintf("%.0f%%", dg.Coverage.Percent()), GroupMax: groupRepoMax}
	// The days recorded (coverage_days), else the digests posted; today
	// is the "now" row.
	days := hist
	if len(days) == 0 {
		days = dg.Trend
	}
	today := dg.Now.UTC().Format(time.DateOnly)
	for _, day := range days {
		if label := day.Day.UTC().Format(time.DateOnly); label != today {
			d.Rows = append(d.Rows, row(label, day.Coverage))
		}
	}
	d.Rows = append(d.Rows, row("now", dg.Coverage))
	d.Chart, d.ChartError = coverageChart(d.Rows)
	d.Uncatalogued = dg.Uncatalogued
	if len(d.Uncatalogued) > 50 {
		d.MoreGroups = len(d.Uncatalogued) - 50
		d.Uncatalogued = d.Uncatalogued[:50]
	}
	d.Broken = dg.Broken
	if len(d.Broken) > brokenMax {
		d.MoreBroken = len(d.Broken) - brokenMax
		d.Broken = d.Broken[:brokenMax]
	}
	s.render(w, r, http.StatusOK, "coverage", d)
}

// coverageTTL is how long the coverage page reuses a digest read: reading
// it walks every repo (a third of a second at 10,000), and coverage moves
// by the sync, not by the second.
const coverageTTL = 30 * time.Second

// coverageDays is how far back the coverage page looks.
const coverageDays = 90

// coverageMemo is the last digest and history read for the coverage page.
type coverageMemo struct {
	mu   sync.Mutex
	at   time.Time
	d    *catalog.Digest
	hist []catalog.CoverageDay
}

// coverageDigest returns the digest and the coverage recorded over the
// last coverageDays, read at most coverageTTL ago; one request reads them
// while the others wait for that read.
func (s *Server) coverageDigest(ctx context.Context) (*catalog.Digest, []catalog.CoverageDay, error) {
	m := &s.coverageMemo
	m.mu.Lock()
	defer m.mu.Unlock()
	now := s.cfg.Now()
	if m.d != nil && now.Sub(m.at) < coverageTTL {
		return m.d, m.hist, nil
	}
	d, err := s.src.Digest.Digest(ctx, catalog.DigestOptions{})
	if err != nil {
		return nil, nil, err
	}
	hist, err := s.src.Catalog.CoverageHistory(ctx, now.AddDate(0, 0, -coverageDays))
	if err != nil {
		return nil, nil, err
	}
	m.d, m.hist, m.at = d, hist, now
	return d, hist, nil
}

func coverageChart(rows []coverageRow) (template.HTML, string) {
	labels := make([]string, len(rows))
	series := []charts.Series{{Name: "Catalogued"}, {Name: "Flagged"}, {Name: "Ignored"}}
	for i, r := range rows {
		labels[i] = r.Label
		series[0].Values = append(series[0].Values, float64(r.Catalogued))
		series[1].Values = append(series[1].Values, float64(r.Flagged))
		series[2].Values = append(series[2].Values, float64(r.Ignored))
	}
	svg, err := charts.LinesSVG("Active repos: catalogued, flagged, ignored", labels, series)
	if err != nil {
		return "", "No chart: " + err.Error()
	}
	return accessibleSVG(svg, "coverage-chart", "Coverage over time",
		"Catalogued, flagged and ignored repos each day recorded and now; the table below has the same numbers."), ""
}

// accessibleSVG gives a chart a title and description screen readers
// announce (role img, aria-labelledby).
func accessibleSVG(svg []byte, id, title, desc string) template.HTML {
	s := string(svg)
	i := strings.Index(s, ">")
	if !strings.HasPrefix(s, "<svg") || i < 0 {
		return ""
	}
	esc := template.HTMLEscapeString
	open := s[:i] + ` role="img" aria-labelledby="` + id + `-t ` + id + `-d" width="100%" preserveAspectRatio="xMinYMin meet">`
	head := `<title id="` + id + `-t">` + esc(title) + `</title><desc id="` + id + `-d">` + esc(desc) + `</desc>`
	return template.HTML(open + head + s[i+1:]) //nolint:gosec // drawn by package charts from numbers and escaped labels
}

type campaignItem struct {
	URL, Title, Name string
	Remaining        int
	Deadline         string
	Closed           bool
}

type campaignsData struct {
	base
	Campaigns []campaignItem
}

func (s *Server) campaigns(w http.ResponseWriter, r *http.Request, u User) {
	all, err := s.src.Catalog.Campaigns(r.Context(), false)
	if err != nil {
		s.failed(w, r, "the campaigns", err)
		return
	}
	d := campaignsData{base: s.base(r, u, "Campaigns", "campaigns")}
	for _, p := range all {
		d.Campaigns = append(d.Campaigns, campaignItem{URL: weblinks.CampaignPath(p.Campaign.ID), Title: p.Campaign.Title, Name: p.Campaign.Name,
			Remaining: p.Remaining(), Deadline: p.Campaign.Deadline.Format(time.DateOnly), Closed: p.Campaign.ClosedAt != nil})
	}
	s.render(w, r, http.StatusOK, "campaigns", d)
}

type campaignData struct {
	base
	Campaign catalog.Campaign
	// Answer is the /campaign status answer, its header the page's
	// heading.
	Answer     answer
	Chart      template.HTML
	ChartError string
	Days       []catalog.CampaignDay
}

// campaign is a campaign's page: the /campaign status answer and its
// burn-down as SVG (the chart Slack gets as a PNG).
func (s *Server) campaign(w http.ResponseWriter, r *http.Request, u User) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		s.errorPage(w, r, http.StatusNotFound, "A campaign's address ends with its number.")
		return
	}
	all, err := s.src.Catalog.Campaigns(r.Context(), false)
	if err != nil {
		s.failed(w, r, "the campaign", err)
		return
	}
	i := slices.IndexFunc(all, func(p catalog.CampaignProgress) bool { return p.Campaign.ID == id })
	if i < 0 {
		s.errorPage(w, r, http.StatusNotFound, "There is no campaign "+strconv.FormatInt(id, 10)+".")
		return
	}
	p := all[i]
	d := campaignData{base: s.base(r, u, p.Campaign.Title, "campaigns"), Campaign: p.Campaign, Days: p.Days}
	d.Answer = s.ask(r.Context(), u, "/campaign", "status "+p.Campaign.Name, view{level: 2, self: weblinks.CampaignPath(p.Campaign.ID), heading: true})
	if len(p.Days) > 0 {
		days := make([]charts.Day, len(p.Days))
		for i, day := range p.Days {
			days[i] = charts.Day{Day: day.Day, Remaining: day.Remaining}
		}
		svg, err := charts.BurnDownSVG(charts.BurnDown{Title: p.Campaign.Title, Days: days, Deadline: p.Campaign.Deadline})
		if err != nil {
			d.ChartError = "No chart: " + err.Error()
		} else {
			d.Chart = accessibleSVG(svg, "burndown", p.Campaign.Title+": burn-down", "Services left to fix each day, and the ideal line to the deadline; the table below has the same numbers.")
		}
	}
	s.render(w, r, http.StatusOK, "campaign", d)
}
