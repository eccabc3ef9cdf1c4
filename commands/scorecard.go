package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/scorecard"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// GradeSource is what /scorecard, /whoowns's level line and the App Home
// read of the stored grades (*catalog.Store).
type GradeSource interface {
	// ServiceGrade returns a service's latest grade, or an error matching
	// catalog.ErrNotFound when it has not been graded yet.
	ServiceGrade(ctx context.Context, serviceID int64) (catalog.ServiceGrade, error)
	// TeamGradeSummaries returns the latest grades of the services team
	// (by name) owns, worst first, with Level, Ceiling, Next and Missing
	// (each result's ID, Level and Status) only.
	TeamGradeSummaries(ctx context.Context, team string) ([]catalog.ServiceGrade, error)
	// LevelCounts counts the graded services by team and level (cardHash
	// "": staleness not asked).
	LevelCounts(ctx context.Context, cardHash string) ([]catalog.LevelCount, error)
}

// Scorecards reads services' grades against a card: what /scorecard shows,
// and the one-line level /whoowns and the App Home show.
type Scorecards struct {
	// Grades are the stored grades.
	Grades GradeSource
	// Card is the scorecard in force (the standards file's): the names
	// of levels and checks, and how to pass each.
	Card *scorecard.Card
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Links link the services named to their pages in the web catalog;
	// zero: no links.
	Links weblinks.Links
}

// ScorecardConfig is what /scorecard is built from.
type ScorecardConfig struct {
	Scorecards
	// Services resolves a SERVICE argument as /whoowns does.
	Services ServiceCatalog
	// Teams resolves a TEAM argument as /team does.
	Teams TeamDirectory
	// Notice, when set, is said under every answer in one context line:
	// the standards file's scorecard section has errors, and which card
	// is in force meanwhile.
	Notice string
}

// Limits of a /scorecard answer, within Slack's 50 blocks a message (the
// bot may add a Share block) and 3,000 characters a section.
const (
	// scorecardTeamLines is how many services a team's answer lists,
	// worst first; scorecardOrgTeams how many teams the organisation's.
	scorecardTeamLines = 60
	scorecardOrgTeams  = 60
	// scorecardMaxBlocks keeps room for the bot's own blocks.
	scorecardMaxBlocks = 46
	// scorecardMissingShown is how many missing checks a service's line
	// names in a team's answer.
	scorecardMissingShown = 3
)

// Scorecard is /scorecard [SERVICE|TEAM]: a service's level and every
// check that applies to it (passed, failed or unknown, how to pass, the
// file and line to change), the next level's missing checks first; a
// team's services by level, worst first, with the one change that would
// lift most of them; with no argument, the organisation's services by
// level and by team. A name is a service first (as /whoowns resolves it,
// with a picker or "did you mean"), then a team; "@TEAM" is a team only.
func Scorecard(cfg ScorecardConfig) Command {
	return withNotice(cfg.Notice, Command{
		Name:    "/scorecard",
		Usage:   "[SERVICE|TEAM]",
		Summary: "A service's or team's level against the organisation's standards, and what to do next; the organisation's with no argument",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			if cfg.Card == nil || cfg.Grades == nil {
				msg := "No scorecard is configured, so services are not graded."
				return Response{Text: msg, Blocks: []Block{&Section{Text: T(Plain(msg+" The standards file's "), Code("scorecard:"), Plain(" section declares levels and checks."))}}}, nil
			}
			arg := strings.TrimSpace(req.Text)
			if arg == "" {
				return cfg.organisation(ctx)
			}
			if !strings.HasPrefix(arg, "@") && !strings.HasPrefix(arg, "#") && !strings.HasPrefix(arg, "<#") {
				return cfg.serviceFirst(ctx, arg)
			}
			if cfg.Teams == nil {
				return unknownService(arg), nil
			}
			// The grades are read meanwhile: the team of that name, if any,
			// is the one found.
			type gradesRead struct {
				grades []catalog.ServiceGrade
				err    error
			}
			gradesc := make(chan gradesRead, 1)
			go func() {
				g, err := cfg.Grades.TeamGradeSummaries(context.WithoutCancel(ctx), teamArg(arg))
				gradesc <- gradesRead{g, err}
			}()
			t, reply, err := findTeam(ctx, cfg.Teams, arg, scorecardTeamNext)
			if err != nil || reply != nil {
				return orEmpty(reply), err
			}
			var gr gradesRead
			select {
			case gr = <-gradesc:
			case <-ctx.Done():
				return Response{}, fmt.Errorf("grades of team %s: %w", t.Name, ctx.Err())
			}
			if gr.err != nil {
				return Response{}, fmt.Errorf("grades of team %s: %w", t.Name, gr.err)
			}
			return cfg.teamAnswer(t, gr.grades), nil
		},
	})
}

// withNotice adds notice, when set, to cmd's answers: a context line
// under their blocks (to the text of an answer without blocks).
func withNotice(notice string, cmd Command) Command {
	if notice == "" {
		return cmd
	}
	handler := cmd.Handler
	cmd.Handler = func(ctx context.Context, req Request) (Response, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return resp, err
		}
		if len(resp.Blocks) == 0 {
			resp.Text = strings.TrimSpace(resp.Text + "\n" + notice)
			return resp, nil
		}
		resp.Blocks = append(resp.Blocks, &Context{Text: T(Plain(notice))})
		return resp, nil
	}
	return cmd
}

// serviceMatcher is a ServiceCatalog that can also look a name up without
// "did you mean" (*catalog.Store).
type serviceMatcher interface {
	// MatchService is FindService without Suggestions.
	MatchService(ctx context.Context, query string) (catalog.Lookup, error)
}

// matchingCatalog is a ServiceCatalog whose FindService is MatchService:
// no "did you mean".
type matchingCatalog struct {
	ServiceCatalog
	m serviceMatcher
}

// FindService implements ServiceCatalog by MatchService.
func (c matchingCatalog) FindService(ctx context.Context, query string) (catalog.Lookup, error) {
	return c.m.MatchService(ctx, query)
}

// scorecardTeamNext is the command a team suggestion's button runs.
func scorecardTeamNext(name string) string { return "/scorecard @" + name }

// serviceFirst answers a name as a service (its scorecard, or a picker
// when several share the name), else as the team of that name, else with
// the services, then the teams, whose names are close.
// The team, and its grades, are read meanwhile (a name rarely is both);
// when the catalog can match a name without "did you mean", the trigram
// search behind it runs only when the name is neither.
func (cfg ScorecardConfig) serviceFirst(ctx context.Context, arg string) (Response, error) {
	next := func(ref string) string { return "/scorecard " + ref }
	teamc := make(chan teamLookup, 1)
	if cfg.Teams != nil {
		go func() { teamc <- cfg.lookupTeam(context.WithoutCancel(ctx), teamArg(arg)) }()
	}
	cat := cfg.Services
	m, matchOnly := cfg.Services.(serviceMatcher)
	matchOnly = matchOnly && cfg.Teams != nil
	if matchOnly {
		cat = matchingCatalog{cfg.Services, m}
	}
	r, err := resolveService(ctx, cat, arg, next)
	if err != nil {
		return Response{}, err
	}
	if r.Profile != nil {
		return cfg.service(ctx, *r.Profile)
	}
	if len(r.Lookup.Services) > 0 || cfg.Teams == nil {
		return r.Reply, nil
	}
	var tl teamLookup
	select {
	case tl = <-teamc:
	case <-ctx.Done():
		return Response{}, fmt.Errorf("team %s: %w", arg, ctx.Err())
	}
	switch {
	case tl.err == nil:
		return cfg.teamAnswer(tl.team, tl.grades), nil
	case !errors.Is(tl.err, catalog.ErrNotFound):
		return Response{}, tl.err
	}
	if matchOnly {
		// Neither a service nor a team: "did you mean" is wanted now.
		if r, err = resolveService(ctx, cfg.Services, arg, next); err != nil {
			return Response{}, err
		}
		if r.Profile != nil {
			return cfg.service(ctx, *r.Profile)
		}
		if len(r.Lookup.Services) > 0 {
			return r.Reply, nil
		}
	}
	if len(r.Lookup.Suggestions) > 0 {
		return r.Reply, nil
	}
	near, err := cfg.Teams.SuggestTeams(ctx, teamArg(arg))
	if err != nil {
		return Response{}, err
	}
	if len(near) == 0 {
		return noServiceOrTeam(arg), nil
	}
	return *noSuchTeam(teamArg(arg), near, scorecardTeamNext), nil
}

// teamLookup is a team found by name, with its services' grades.
type teamLookup struct {
	team   catalog.Team
	grades []catalog.ServiceGrade
	err    error
}

// lookupTeam finds the team named name and reads its grades; err matches
// catalog.ErrNotFound when there is no such team.
func (cfg ScorecardConfig) lookupTeam(ctx context.Context, name string) teamLookup {
	t, err := cfg.Teams.FindTeam(ctx, name)
	if err != nil {
		return teamLookup{err: err}
	}
	grades, err := cfg.Grades.TeamGradeSummaries(ctx, t.Name)
	if err != nil {
		return teamLookup{err: fmt.Errorf("grades of team %s: %w", t.Name, err)}
	}
	return teamLookup{team: t, grades: grades}
}

// noServiceOrTeam answers a name that is neither a service nor a team,
// with nothing close to it.
func noServiceOrTeam(arg string) Response {
	text := fmt.Sprintf("No service or team named %s, and no name close to it.", arg)
	return Response{Text: text, Blocks: []Block{
		&Section{Text: T(Plain("No service or team named "), Code(arg), Plain(", and no name close to it."))},
		&Context{Text: T(Plain("Services are looked up by name, alias or namespace/name; teams by name ("), Code("/scorecard @TEAM"), Plain(" for a team only). "), Code("/scorecard"), Plain(" alone shows every team."))},
	}}
}

// LevelName is the name of a level as people read it ("Silver"), "no
// level" for rank 0.
func (s Scorecards) LevelName(rank int) string {
	name := s.Card.LevelName(rank)
	if name == "" {
		return "no level"
	}
	return upperFirst(name)
}

func upperFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// LevelLine is a service's level in one line with its next step ("Bronze
// — next: add a link titled Runbook to metadata.links in
// catalog-info.yaml · catalog-info.yaml:12 · 1 more for Silver"), the
// first missing check's message and place, linked in repo when known, as
// /whoowns shows it; nil when the service has not been graded (or there is
// no scorecard). It fails only when the grades cannot be read.
func (s Scorecards) LevelLine(ctx context.Context, serviceID int64, repo *catalog.Repo) (Text, error) {
	if s.Grades == nil || s.Card == nil {
		return nil, nil
	}
	g, err := s.Grades.ServiceGrade(ctx, serviceID)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("level of service %d: %w", serviceID, err)
	}
	line := T(Bold(upperFirst(s.LevelName(g.Grade.Level))))
	if g.Grade.Next == 0 {
		return append(line, Plain(" — the top level")), nil
	}
	line = append(line, Plain(" — next: "))
	if len(g.Grade.Missing) == 0 {
		return append(line, Plain(s.LevelName(g.Grade.Next))), nil
	}
	m := g.Grade.Missing[0]
	c, known := s.Card.Check(m.ID)
	switch {
	case !known:
		line = append(line, Plain(m.ID))
	case m.Status == scorecard.Unknown:
		line = append(line, Plain(c.Title()+" (unknown: "+cmp.Or(m.Value.Reason, "not collected")+")"))
	default:
		line = append(line, Plain(lowerFirst(strings.TrimSuffix(cmp.Or(c.Message, c.Title()), "."))))
	}
	line = append(line, whereText(m.Value.Where, repo)...)
	if more := len(g.Grade.Missing) - 1; more > 0 {
		line = append(line, Plain(fmt.Sprintf(" · %d more for %s", more, s.LevelName(g.Grade.Next))))
	}
	return line, nil
}

// TeamLevels is the levels of a team's graded services in one line, worst
// first, at most limit of them ("Scorecard levels, worst first: ledger
// Bronze · checkout-api Silver — /scorecard @payments"), as the App Home
// shows them; nil when none is graded.
func (s Scorecards) TeamLevels(ctx context.Context, team string, limit int) (Text, error) {
	if s.Grades == nil || s.Card == nil {
		return nil, nil
	}
	grades, err := s.Grades.TeamGradeSummaries(ctx, team)
	if err != nil {
		return nil, fmt.Errorf("levels of team %s: %w", team, err)
	}
	if len(grades) == 0 {
		return nil, nil
	}
	var parts []Text
	for i, g := range grades {
		if i == limit {
			parts = append(parts, T(Plain(fmt.Sprintf("…and %d more", len(grades)-limit))))
			break
		}
		parts = append(parts, T(serviceCode(s.Links, g.Service), Plain(" "+s.LevelName(g.Grade.Level))))
	}
	line := append(T(Plain("Scorecard levels, worst first: ")), Join(parts, " · ")...)
	return append(line, Plain(" — "), Code("/scorecard @"+team)), nil
}

// bind points a stored grade's results at the card's checks (Result.Check
// is not stored): what Card.Lifts needs. Results of checks the card no
// longer has are left out of Missing.
func bind(index map[string]int, g scorecard.Grade) scorecard.Grade {
	missing := make([]scorecard.Result, 0, len(g.Missing))
	for _, r := range g.Missing {
		if i, ok := index[r.ID]; ok {
			r.Check = i
			missing = append(missing, r)
		}
	}
	g.Missing = missing
	return g
}

// service is a service's scorecard.
func (s Scorecards) service(ctx context.Context, p catalog.Profile) (Response, error) {
	ref := p.Service.Ref()
	g, err := s.Grades.ServiceGrade(ctx, p.Service.ID)
	if errors.Is(err, catalog.ErrNotFound) {
		msg := ref + " has not been graded yet: services are graded after each sync."
		return Response{Text: msg, Blocks: []Block{&Section{Text: T(Code(ref), Plain(" has not been graded yet: services are graded after each sync."))}}}, nil
	}
	if err != nil {
		return Response{}, fmt.Errorf("grade of %s: %w", ref, err)
	}
	var repo *catalog.Repo
	if len(p.Repos) > 0 {
		repo = &p.Repos[0]
	}
	gr := g.Grade
	passed, failed, unknown := gr.Counts()
	levels := len(s.Card.Levels())

	blocks := appendBlock([]Block{&Header{Text: "Scorecard: " + ref}}, pageLink(s.Links, p.Service))
	head := T(Bold(upperFirst(s.LevelName(gr.Level))))
	if gr.Level > 0 {
		head = append(head, Plain(fmt.Sprintf(" (level %d of %d)", gr.Level, levels)))
	}
	head = append(head, Plain(fmt.Sprintf(" · %d passed · %d failed · %d unknown", passed, failed, unknown)))
	if p.Team != nil {
		head = append(head, Plain(" · team "+p.Team.Name))
	}
	blocks = append(blocks, &Section{Text: head})
	if gr.Ceiling > gr.Level {
		blocks = append(blocks, &Context{Text: T(Plain(fmt.Sprintf("Only unknown facts hold it below %s: it would reach %s if they passed.", s.LevelName(gr.Level+1), s.LevelName(gr.Ceiling))))})
	}

	var lines []Text
	inMissing := map[string]bool{}
	if gr.Next > 0 && len(gr.Missing) > 0 {
		lines = append(lines, T(Bold(fmt.Sprintf("To reach %s:", s.LevelName(gr.Next)))))
		for _, m := range gr.Missing {
			inMissing[m.ID] = true
			lines = append(lines, s.resultLine(m, repo, true))
		}
	} else if gr.Next == 0 {
		lines = append(lines, T(Bold("At the top level: every check passed.")))
	}
	for rank := 1; rank <= levels; rank++ {
		var here []scorecard.Result
		for _, r := range gr.Results {
			if r.Level == rank {
				here = append(here, r)
			}
		}
		if len(here) == 0 {
			continue
		}
		n := 0
		for _, r := range here {
			if r.Status == scorecard.Passed {
				n++
			}
		}
		lines = append(lines, T(Bold(fmt.Sprintf("%s: %d of %d passed", s.LevelName(rank), n, len(here)))))
		for _, r := range here {
			if inMissing[r.ID] {
				lines = append(lines, T(Plain(statusMark(r.Status)+" "+s.checkTitle(r.ID)+" (above)")))
				continue
			}
			lines = append(lines, s.resultLine(r, repo, false))
		}
	}
	blocks = append(blocks, packLines(lines, scorecardMaxBlocks-len(blocks)-2)...)
	note := "Graded " + s.ago(g.GradedAt) + "."
	if unknown > 0 {
		note += " Unknown is not failed: the fact could not be read, and the check is tried again at the next grading."
	}
	blocks = append(blocks, &Context{Text: T(Plain(note))})
	buttons := []Button{{Label: "Who owns " + shorten(ref, 40), Command: "/whoowns " + ref}}
	if p.Team != nil {
		buttons = append(buttons, Button{Label: "Team " + shorten(p.Team.Name, 40), Command: "/scorecard @" + p.Team.Name})
	}
	// A failing check (the first the next level misses, else the first
	// failed) can become a campaign over every service failing it.
	failing := slices.Concat(gr.Missing, gr.Results)
	if i := slices.IndexFunc(failing, func(r scorecard.Result) bool { return r.Status == scorecard.Failed }); i >= 0 {
		buttons = append(buttons, Button{Label: "Start a campaign: " + shorten(s.checkTitle(failing[i].ID), 50), Command: "/campaign new check:" + failing[i].ID})
	}
	blocks = append(blocks, &Actions{Buttons: buttons})
	text := fmt.Sprintf("%s: %s (%d passed, %d failed, %d unknown)", ref, s.LevelName(gr.Level), passed, failed, unknown)
	return Response{Text: text, Blocks: blocks, Shareable: true}, nil
}

// resultLine is one check's result: its mark and title, and for a check
// not passed, how to pass it (with the value when it says something), the
// file and line to change, or why it is unknown.
func (s Scorecards) resultLine(r scorecard.Result, repo *catalog.Repo, full bool) Text {
	c, ok := s.Card.Check(r.ID)
	line := T(Plain(statusMark(r.Status)+" "), Bold(s.checkTitle(r.ID)))
	switch r.Status {
	case scorecard.Passed:
		if full {
			line = append(line, whereText(r.Value.Where, repo)...)
		}
		return line
	case scorecard.Unknown:
		line = append(line, Plain(" — unknown: "+cmp.Or(r.Value.Reason, "not collected")))
		if ok && c.Message != "" {
			line = append(line, Plain(". To pass: "+c.Message))
		}
	default:
		if now := valueNow(r.Value); now != "" {
			line = append(line, Plain(" (now "+now+")"))
		}
		if ok && c.Message != "" {
			line = append(line, Plain(" — "+c.Message))
		}
	}
	return append(line, whereText(r.Value.Where, repo)...)
}

// valueNow is a failed check's value when it says more than "false": a
// count, a duration, a text.
func valueNow(v scorecard.Value) string {
	switch v.Kind {
	case scorecard.KindNumber, scorecard.KindDuration:
		return v.String()
	case scorecard.KindText:
		if v.Text != "" {
			return v.String()
		}
	}
	return ""
}

// whereText is " · path:line", linked to the line in GitLab when the repo
// is known; nothing without a place.
func whereText(w *scorecard.Where, repo *catalog.Repo) Text {
	if w == nil || w.Path == "" {
		return nil
	}
	url := ""
	if repo != nil {
		url = fileLink(*repo, w.Path, w.Line)
	}
	return T(Plain(" · "), Link(w.String(), url))
}

func statusMark(st scorecard.Status) string {
	switch st {
	case scorecard.Passed:
		return "✓"
	case scorecard.Failed:
		return "✗"
	}
	return "?"
}

// checkTitle is the title of the card's check of this id: a stored result
// names its check by id, and the card may have changed since it was
// graded (the id when the card has no such check).
func (s Scorecards) checkTitle(id string) string {
	if c, ok := s.Card.Check(id); ok {
		return c.Title()
	}
	return id
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || !unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// ago is how long ago t was, in words.
func (s Scorecards) ago(t time.Time) string {
	if t.IsZero() {
		return "at an unknown time"
	}
	now := time.Now()
	if s.Now != nil {
		now = s.Now()
	}
	return agoText(t, now)
}

// teamAnswer is a team's services by level, worst first, and the change
// that would lift most of them, from their grades (summaries suffice).
func (s Scorecards) teamAnswer(t catalog.Team, grades []catalog.ServiceGrade) Response {
	blocks := []Block{&Header{Text: "Scorecard: team " + t.Name}}
	if len(grades) == 0 {
		msg := fmt.Sprintf("Team %s has no graded service yet: services are graded after each sync.", t.Name)
		return Response{Text: msg, Blocks: append(blocks, &Section{Text: T(Plain(msg))})}
	}
	checks := s.Card.Checks()
	index := make(map[string]int, len(checks))
	for i, c := range checks {
		index[c.ID] = i
	}
	bound := make([]scorecard.Grade, len(grades))
	for i, g := range grades {
		bound[i] = bind(index, g.Grade)
	}
	counts := s.Card.ByLevel(bound)
	blocks = append(blocks, &Section{Text: T(Bold(countNoun(len(grades), "service", "services")+":"), Plain(" "+s.distribution(counts)))})

	lifts := s.Card.Lifts(bound)
	switch {
	case len(lifts) == 0:
		msg := "No check fails at any service's next level"
		if counts[len(counts)-1] == len(grades) {
			msg = "Every service has reached the top level"
		} else {
			msg += ": only unknown facts hold them back"
		}
		blocks = append(blocks, &Section{Text: T(Plain(msg + "."))})
	default:
		best := lifts[0]
		c := checks[best.Check]
		line := T(Bold("The change that would lift most: "), Bold(c.Title()))
		if best.Lifts > 0 {
			line = append(line, Plain(fmt.Sprintf(" — would lift %s a level (%d miss it at their next level).", countNoun(best.Lifts, "service", "services"), best.Blocks)))
		} else {
			line = append(line, Plain(fmt.Sprintf(" — the gap most common at the next level (%d miss it), though each also misses something else.", best.Blocks)))
		}
		if c.Message != "" {
			line = append(line, Plain("\n"+c.Message))
		}
		blocks = append(blocks, &Section{Text: line})
		if len(lifts) > 1 {
			var then []string
			for _, l := range lifts[1:min(len(lifts), 4)] {
				then = append(then, fmt.Sprintf("%s (lifts %d, missed by %d)", checks[l.Check].Title(), l.Lifts, l.Blocks))
			}
			blocks = append(blocks, &Context{Text: T(Plain("Then: " + strings.Join(then, " · ")))})
		}
	}

	order := make([]int, len(grades))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ga, gb := bound[a], bound[b]
		return cmp.Or(cmp.Compare(ga.Level, gb.Level), cmp.Compare(failures(gb), failures(ga)),
			strings.Compare(grades[a].Service.Ref(), grades[b].Service.Ref()))
	})
	var lines []Text
	shown := 0
	for i := 0; i < len(order) && shown < scorecardTeamLines; {
		level := bound[order[i]].Level
		j := i
		for j < len(order) && bound[order[j]].Level == level {
			j++
		}
		lines = append(lines, T(Bold(fmt.Sprintf("%s (%d)", upperFirst(s.LevelName(level)), j-i))))
		for _, k := range order[i:j] {
			if shown == scorecardTeamLines {
				break
			}
			lines = append(lines, s.serviceLine(grades[k].Service, bound[k]))
			shown++
		}
		i = j
	}
	if left := len(grades) - shown; left > 0 {
		lines = append(lines, T(Plain(fmt.Sprintf("…and %d more, better graded: ", left)), Code("switchboard scorecard --team "+t.Name), Plain(" lists them all.")))
	}
	blocks = append(blocks, &Divider{})
	blocks = append(blocks, packLines(lines, scorecardMaxBlocks-len(blocks)-2)...)
	if pick := s.servicePicker(grades, order); pick != nil {
		blocks = append(blocks, pick)
	}
	if len(lifts) > 0 {
		// The check that would lift most fails somewhere: a campaign over
		// the team's services failing it.
		id := checks[lifts[0].Check].ID
		blocks = append(blocks, &Actions{Buttons: []Button{{Label: "Start a campaign: " + shorten(checks[lifts[0].Check].Title(), 50),
			Command: "/campaign new check:" + id + " --team " + t.Name}}})
	}
	text := fmt.Sprintf("Team %s: %s", t.Name, s.distribution(counts))
	return Response{Text: text, Blocks: blocks, Shareable: true}
}

// failures counts the failed checks of a grade's next level.
func failures(g scorecard.Grade) int {
	n := 0
	for _, r := range g.Missing {
		if r.Status == scorecard.Failed {
			n++
		}
	}
	return n
}

// serviceLine is a service in a team's list: its name and what its next
// level misses.
func (s Scorecards) serviceLine(svc catalog.Service, g scorecard.Grade) Text {
	line := T(Plain("• "), serviceCode(s.Links, svc))
	if g.Next == 0 {
		return line
	}
	var failed []string
	unknown := 0
	for _, r := range g.Missing {
		if r.Status == scorecard.Unknown {
			unknown++
			continue
		}
		if len(failed) < scorecardMissingShown {
			failed = append(failed, s.checkTitle(r.ID))
		}
	}
	line = append(line, Plain(" — next "+s.LevelName(g.Next)+": "))
	switch {
	case len(failed) > 0:
		line = append(line, Plain(strings.Join(failed, ", ")))
		if more := failures(g) - len(failed); more > 0 {
			line = append(line, Plain(fmt.Sprintf(" +%d", more)))
		}
		if unknown > 0 {
			line = append(line, Plain(fmt.Sprintf(" (+%d unknown)", unknown)))
		}
	case unknown > 0:
		line = append(line, Plain(countNoun(unknown, "check", "checks")+" unknown"))
	default:
		line = append(line, Plain("nothing missing"))
	}
	return line
}

// servicePicker offers the listed services' own scorecards (Slack shows
// at most 100 options).
func (s Scorecards) servicePicker(grades []catalog.ServiceGrade, order []int) Block {
	sel := &Select{Placeholder: "A service's scorecard"}
	for _, k := range order {
		if len(sel.Options) == 100 {
			break
		}
		ref := grades[k].Service.Ref()
		sel.Options = append(sel.Options, Option{Label: shorten(ref, 75), Description: s.LevelName(grades[k].Grade.Level), Command: "/scorecard " + ref})
	}
	if len(sel.Options) == 0 {
		return nil
	}
	return sel
}

// distribution is "1 Gold · 2 Silver · 0 Bronze · 1 no level", best first.
func (s Scorecards) distribution(counts []int) string {
	parts := make([]string, 0, len(counts))
	for r := len(counts) - 1; r >= 0; r-- {
		parts = append(parts, fmt.Sprintf("%d %s", counts[r], s.LevelName(r)))
	}
	return strings.Join(parts, " · ")
}

// teamCounts is one team's services by level.
type teamCounts struct {
	team   string
	counts []int
	total  int
	// mean is the services' mean level: teams are listed worst first.
	mean float64
}

// organisation is every graded service by level, and each team's.
func (s Scorecards) organisation(ctx context.Context) (Response, error) {
	rows, err := s.Grades.LevelCounts(ctx, "")
	if err != nil {
		return Response{}, fmt.Errorf("level counts: %w", err)
	}
	blocks := []Block{&Header{Text: "Scorecard: the organisation"}}
	levels := len(s.Card.Levels())
	total := make([]int, levels+1)
	byTeam := map[string]*teamCounts{}
	var teams []*teamCounts
	graded := 0
	for _, c := range rows {
		lvl := min(max(c.Level, 0), levels)
		total[lvl] += c.Services
		graded += c.Services
		key := strings.ToLower(c.Team)
		tc := byTeam[key]
		if tc == nil {
			tc = &teamCounts{team: c.Team, counts: make([]int, levels+1)}
			byTeam[key] = tc
			teams = append(teams, tc)
		}
		tc.counts[lvl] += c.Services
		tc.total += c.Services
		tc.mean += float64(lvl * c.Services)
	}
	if graded == 0 {
		msg := "No service has been graded yet: services are graded after each sync."
		return Response{Text: msg, Blocks: append(blocks, &Section{Text: T(Plain(msg))})}, nil
	}
	for _, tc := range teams {
		tc.mean /= float64(tc.total)
	}
	slices.SortFunc(teams, func(a, b *teamCounts) int {
		return cmp.Or(cmp.Compare(a.mean, b.mean), cmp.Compare(b.total, a.total), strings.Compare(strings.ToLower(a.team), strings.ToLower(b.team)))
	})

	var dist []Text
	for r := levels; r >= 0; r-- {
		dist = append(dist, T(Plain("• "), Bold(upperFirst(s.LevelName(r))), Plain(fmt.Sprintf(": %d (%s)", total[r], percent(total[r], graded)))))
	}
	blocks = append(blocks, &Section{Text: append(T(Bold(countNoun(graded, "service", "services")+" graded:"), Plain("\n")), Join(dist, "\n")...)})

	lines := []Text{T(Bold(fmt.Sprintf("By team (%d), lowest mean level first:", len(teams))))}
	for i, tc := range teams {
		if i == scorecardOrgTeams {
			lines = append(lines, T(Plain(fmt.Sprintf("…and %d more teams: ", len(teams)-i)), Code("switchboard scorecard --format csv"), Plain(" has every service.")))
			break
		}
		name := T(Code(tc.team))
		if tc.team == "" {
			name = T(Plain("(no owner)"))
		}
		line := append(T(Plain("• ")), name...)
		line = append(line, Plain(fmt.Sprintf(" (%d): %s", tc.total, s.distribution(tc.counts))))
		lines = append(lines, line)
	}
	blocks = append(blocks, &Divider{})
	blocks = append(blocks, packLines(lines, scorecardMaxBlocks-len(blocks)-2)...)
	sel := &Select{Placeholder: "A team's scorecard"}
	for _, tc := range teams {
		if tc.team == "" {
			continue
		}
		if len(sel.Options) == 100 {
			break
		}
		sel.Options = append(sel.Options, Option{Label: shorten(tc.team, 75), Description: fmt.Sprintf("%d services", tc.total), Command: "/scorecard @" + tc.team})
	}
	if len(sel.Options) > 0 {
		blocks = append(blocks, sel)
	}
	blocks = append(blocks, &Context{Text: T(Code("/scorecard SERVICE"), Plain(" shows a service's checks; "), Code("/scorecard TEAM"), Plain(" a team's services and the change that would lift most of them."))})
	return Response{Text: fmt.Sprintf("%d services graded: %s", graded, s.distribution(total)), Blocks: blocks, Shareable: true}, nil
}

func percent(n, total int) string {
	if total == 0 {
		return "0%"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(n)/float64(total))
}

// packLines puts lines into as few sections as Slack's 3,000 characters
// allow, in at most maxBlocks sections; lines that do not fit are counted
// in a last line.
func packLines(lines []Text, maxBlocks int) []Block {
	maxBlocks = max(maxBlocks, 1)
	var out []Block
	var cur Text
	size := 0
	for i, l := range lines {
		n := digestTextLen(l) + 1
		if size > 0 && size+n > sectionBudget {
			if len(out) == maxBlocks-1 {
				cur = append(cur, Plain(fmt.Sprintf("\n…and %d more lines.", len(lines)-i)))
				out = append(out, &Section{Text: cur})
				return out
			}
			out = append(out, &Section{Text: cur})
			cur, size = nil, 0
		}
		if size > 0 {
			cur = append(cur, Plain("\n"))
		}
		cur = append(cur, l...)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, &Section{Text: cur})
	}
	return out
}
