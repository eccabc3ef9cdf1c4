package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/standards"
)

// OnboardCatalog is what /onboard needs of the catalog (*catalog.Store).
type OnboardCatalog interface {
	TeamDirectory
	// PersonBySlackID and PersonByEmail find one person, or fail with
	// catalog.ErrNotFound.
	PersonBySlackID(ctx context.Context, id string) (catalog.Person, error)
	PersonByEmail(ctx context.Context, email string) (catalog.Person, error)
	// PeopleByHandle returns the people a typed handle may mean.
	PeopleByHandle(ctx context.Context, handle string) ([]catalog.Person, error)
	// PutPerson creates or updates a person, by email.
	PutPerson(ctx context.Context, p catalog.Person) (catalog.Person, error)
	// PersonTeams returns the teams whose roster the person is on.
	PersonTeams(ctx context.Context, personID int64) ([]catalog.Team, error)
	// StartOnboarding records an onboarding, or returns the existing one.
	StartOnboarding(ctx context.Context, personID, teamID int64, startedBy, startedByName string, at time.Time) (catalog.Onboarding, bool, error)
	// MarkOnboardingSent records when the welcome was sent.
	MarkOnboardingSent(ctx context.Context, personID, teamID int64, at time.Time) error
	// OnboardingsOf returns a person's onboardings, oldest first.
	OnboardingsOf(ctx context.Context, personID int64) ([]catalog.Onboarding, error)
	// OnboardingsStartedBy returns the onboardings someone started, newest
	// first.
	OnboardingsStartedBy(ctx context.Context, startedBy string) ([]catalog.Onboarding, error)
	// SetOnboardingItem ticks or unticks a checklist item of a person.
	SetOnboardingItem(ctx context.Context, personID int64, itemID string, done bool, by string, at time.Time) (bool, error)
	// OnboardingItems returns the items a person has done.
	OnboardingItems(ctx context.Context, personID int64) (map[string]catalog.ItemDone, error)
}

// Recipient is who a direct message is for.
type Recipient struct {
	// SlackUserID is empty when the catalog does not know it: the
	// messenger then finds the Slack user by Email.
	SlackUserID string
	Email       string
	Name        string
}

// DirectMessenger sends a direct message (the Slack adapter:
// conversations.open and chat.postMessage).
type DirectMessenger interface {
	// SendDirect sends resp to the recipient as a direct message and
	// returns the Slack user id it was sent to. It fails with an error
	// matching ErrNoSlackAccount when the recipient has no Slack account
	// it can find.
	SendDirect(ctx context.Context, to Recipient, resp Response) (slackUserID string, err error)
}

// ErrNoSlackAccount is a DirectMessenger's failure when the recipient has
// no Slack id and Slack has nobody with their email.
var ErrNoSlackAccount = errors.New("no slack account")

// UserDirectory tells who a Slack user is (the Slack adapter: users.info).
type UserDirectory interface {
	// UserByID returns the Slack user's name and email (Email empty when
	// Slack does not share it).
	UserByID(ctx context.Context, id string) (User, error)
}

// OnboardConfig is what /onboard is built from. Catalog is required; the
// rest may be left out.
type OnboardConfig struct {
	Catalog OnboardCatalog
	// OnCall tells who is on call on the team's rotations; nil: the welcome
	// says PagerDuty is not configured.
	OnCall *OnCallLookup
	// Checklist is the standards file's onboarding checklist.
	Checklist []standards.ChecklistItem
	// Messenger sends the welcome; nil (the demo, tests): the welcome is
	// shown to whoever ran /onboard, marked as not sent.
	Messenger DirectMessenger
	// Users finds who a mentioned Slack user is when the catalog does not
	// know them; nil: such a mention is answered with a request for their
	// email.
	Users UserDirectory
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Log receives failures to send.
	Log *slog.Logger
}

func (c OnboardConfig) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c OnboardConfig) log() *slog.Logger {
	if c.Log != nil {
		return c.Log
	}
	return slog.New(slog.DiscardHandler)
}

// Onboard is /onboard [@user] [team]: it sends a new developer a direct
// message with everything for day one — their team and teammates, the
// services they now help own (tier, repo, runbook, docs, dashboards), the
// on-call rotations and who is on now, channels to join, and the standards
// file's checklist with a button per item — and tells whoever ran it how
// far the person is ("sent to @x: 2/5 done"). With no user, it is the
// caller; with no team, the team is the one whose roster the person is on
// (several: it asks which). The user is a Slack mention (<@U123|name>), an
// email, or a handle (@new.dev: someone the catalog does not know yet is
// recorded as new.dev at the caller's email domain).
//
// Also: /onboard --done ITEM [@user] and --undo ITEM [@user] tick and
// untick a checklist item (the caller's own when no user is given; the
// welcome's buttons name the person); /onboard --status [@user] shows
// progress (with no user: the onboardings the caller started).
func Onboard(cfg OnboardConfig) Command {
	o := &onboarder{cfg: cfg, items: checklistOf(cfg.Checklist)}
	return Command{
		Name:    "/onboard",
		Usage:   "[@user] [TEAM]",
		Summary: "Welcome a new developer: their team, services, on call, channels and day-one checklist, by DM",
		Handler: o.handle,
	}
}

type onboarder struct {
	cfg   OnboardConfig
	items []checkItem
}

// checkItem is a checklist item with the id its buttons carry.
type checkItem struct {
	ID, Title, URL string
}

// checklistOf gives each item an id made from its title ("Read the
// runbooks" is "read-the-runbooks"), so that ids survive reordering; ids
// that would repeat get a number.
func checklistOf(items []standards.ChecklistItem) []checkItem {
	out := make([]checkItem, 0, len(items))
	seen := map[string]bool{}
	for i, it := range items {
		id := itemSlug(it.Title, 40)
		if id == "" {
			id = fmt.Sprintf("item-%d", i+1)
		}
		base := id
		for n := 2; seen[id]; n++ {
			id = fmt.Sprintf("%s-%d", base, n)
		}
		seen[id] = true
		out = append(out, checkItem{ID: id, Title: it.Title, URL: it.URL})
	}
	return out
}

// itemSlug lower-cases s, keeps letters and digits (dropping apostrophes)
// and joins the runs with dashes, cut at max bytes on a dash when it can.
func itemSlug(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '’':
			// "team's" is "teams".
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
		default:
			dash = true
		}
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
		if i := strings.LastIndexByte(out, '-'); i > max/2 {
			out = out[:i]
		}
	}
	return strings.Trim(out, "-")
}

// progress counts the checklist items done.
func (o *onboarder) progress(done map[string]catalog.ItemDone) (n, total int) {
	for _, it := range o.items {
		if _, ok := done[it.ID]; ok {
			n++
		}
	}
	return n, len(o.items)
}

// personArg is a person as typed: a Slack mention, an email or a handle.
type personArg struct {
	raw                string
	slackID, slackName string
	email              string
	handle             string
}

// isPersonToken reports whether an argument names a person rather than a
// team.
func isPersonToken(tok string) bool {
	return strings.HasPrefix(tok, "<@") || strings.HasPrefix(tok, "<mailto:") || strings.Contains(tok, "@")
}

// parsePerson reads a Slack mention (<@U123|name>, <@U123>), a Slack-escaped
// email (<mailto:a@b.c|a@b.c>), an email, or a handle (@new.dev).
func parsePerson(tok string) personArg {
	a := personArg{raw: tok}
	switch {
	case strings.HasPrefix(tok, "<@") && strings.HasSuffix(tok, ">"):
		inner := tok[2 : len(tok)-1]
		id, name, _ := strings.Cut(inner, "|")
		a.slackID, a.slackName = id, name
	case strings.HasPrefix(tok, "<mailto:") && strings.HasSuffix(tok, ">"):
		inner := strings.TrimPrefix(tok[:len(tok)-1], "<mailto:")
		addr, _, _ := strings.Cut(inner, "|")
		a.email = addr
	case strings.HasPrefix(tok, "@"):
		a.handle = strings.TrimPrefix(tok, "@")
	case strings.Contains(tok, "@"):
		a.email = tok
	default:
		a.handle = tok
	}
	return a
}

// onboardArgs is a parsed /onboard line.
type onboardArgs struct {
	// mode is "", "done", "undo" or "status".
	mode   string
	item   string
	person *personArg
	team   string
}

func parseOnboard(text string) (onboardArgs, string) {
	var a onboardArgs
	toks := strings.Fields(text)
	if len(toks) > 0 {
		switch strings.ToLower(toks[0]) {
		case "--done", "--undo":
			a.mode = strings.TrimPrefix(strings.ToLower(toks[0]), "--")
			if len(toks) < 2 {
				return a, "Which checklist item? Usage: /onboard --" + a.mode + " ITEM [@user]"
			}
			a.item, toks = strings.ToLower(toks[1]), toks[2:]
		case "--status":
			a.mode, toks = "status", toks[1:]
		default:
			if strings.HasPrefix(toks[0], "--") {
				return a, fmt.Sprintf("Unknown option %s. Usage: /onboard [@user] [TEAM], /onboard --done ITEM [@user], /onboard --status [@user]", toks[0])
			}
		}
	}
	var team []string
	for _, tok := range toks {
		if isPersonToken(tok) {
			if a.person != nil {
				return a, "One person at a time: /onboard @user [TEAM]"
			}
			p := parsePerson(tok)
			a.person = &p
			continue
		}
		team = append(team, tok)
	}
	a.team = strings.Join(team, " ")
	if a.mode != "" && a.team != "" {
		return a, fmt.Sprintf("Unexpected %q: /onboard --%s takes an item and a person, not a team.", a.team, a.mode)
	}
	return a, ""
}

func (o *onboarder) handle(ctx context.Context, req Request) (Response, error) {
	args, problem := parseOnboard(req.Text)
	if problem != "" {
		return Response{Text: problem, Blocks: []Block{&Section{Text: T(Plain(problem))}}}, nil
	}
	switch args.mode {
	case "done", "undo":
		return o.tick(ctx, req, args)
	case "status":
		return o.status(ctx, req, args)
	}
	return o.start(ctx, req, args)
}

// resolved is the person an argument named, and whether they were created
// from it.
type resolved struct {
	person  catalog.Person
	created bool
	// note says how a created person was made.
	note string
	// missing: the catalog has nobody by that name, and they were not
	// created (the reply says so).
	missing bool
}

// resolvePerson finds the person an argument names (nil: the caller) and,
// with create, records someone new. reply answers the user when it cannot.
func (o *onboarder) resolvePerson(ctx context.Context, req Request, arg *personArg, create bool, next func(email string) string) (resolved, *Response, error) {
	cat := o.cfg.Catalog
	if arg == nil {
		return o.caller(ctx, req, create)
	}
	switch {
	case arg.slackID != "":
		p, err := cat.PersonBySlackID(ctx, arg.slackID)
		if err == nil {
			return resolved{person: p}, nil, nil
		}
		if !errors.Is(err, catalog.ErrNotFound) {
			return resolved{}, nil, err
		}
		name := firstNonEmpty(arg.slackName, arg.slackID)
		if o.cfg.Users == nil {
			return resolved{}, askEmail(name, "Switchboard does not know this Slack user yet"), nil
		}
		u, err := o.cfg.Users.UserByID(ctx, arg.slackID)
		if err != nil {
			o.cfg.log().WarnContext(ctx, "onboard: look up slack user", "user", arg.slackID, "err", err)
			return resolved{}, askEmail(name, "Slack did not say who this user is"), nil
		}
		if u.Email == "" {
			return resolved{}, askEmail(name, "Slack does not share this user's email"), nil
		}
		return o.personByEmail(ctx, u.Email, firstNonEmpty(u.Name, name), arg.slackID, create)
	case arg.email != "":
		return o.personByEmail(ctx, arg.email, "", "", create)
	}
	handle := strings.TrimSpace(arg.handle)
	if handle == "" {
		return resolved{}, askEmail(arg.raw, "that is not a person Switchboard can find"), nil
	}
	people, err := cat.PeopleByHandle(ctx, handle)
	if err != nil {
		return resolved{}, nil, err
	}
	switch {
	case len(people) == 1:
		return resolved{person: people[0]}, nil, nil
	case len(people) > 1:
		text := fmt.Sprintf("%d people could be @%s; which one?", len(people), handle)
		sel := &Select{Placeholder: "Choose a person"}
		for _, p := range people {
			sel.Options = append(sel.Options, Option{Label: firstNonEmpty(p.Name, p.Email), Description: p.Email, Command: next(p.Email)})
		}
		return resolved{}, &Response{Text: text, Blocks: []Block{&Section{Text: T(Plain(text))}, sel}}, nil
	}
	if !create {
		return resolved{missing: true}, nobody("@" + handle), nil
	}
	domain := emailDomain(req.User.Email)
	if domain == "" {
		if me, err := cat.PersonBySlackID(ctx, req.User.ID); err == nil {
			domain = emailDomain(me.Email)
		}
	}
	if domain == "" || strings.ContainsAny(handle, " <>") {
		return resolved{}, askEmail("@"+handle, "nobody in the catalog has this handle"), nil
	}
	email := strings.ToLower(handle) + "@" + domain
	r, reply, err := o.personByEmail(ctx, email, handle, "", true)
	if r.created {
		r.note = fmt.Sprintf("%s is in no roster yet, so Switchboard recorded them as %s (the handle at your email's domain). GitLab and PagerDuty link them by that email at the next sync; if it is wrong, run /onboard with their real email.", handle, email)
	}
	return r, reply, err
}

// caller is the person who ran the command; with create, someone the
// catalog does not know yet is recorded by the email Slack gave.
func (o *onboarder) caller(ctx context.Context, req Request, create bool) (resolved, *Response, error) {
	cat := o.cfg.Catalog
	if req.User.ID != "" {
		p, err := cat.PersonBySlackID(ctx, req.User.ID)
		if err == nil {
			return resolved{person: p}, nil, nil
		}
		if !errors.Is(err, catalog.ErrNotFound) {
			return resolved{}, nil, err
		}
	}
	if req.User.Email == "" {
		text := "Switchboard cannot tell who you are in the catalog (it knows people by email, from GitLab and PagerDuty)."
		return resolved{}, &Response{Text: text, Blocks: []Block{&Section{Text: T(Plain(text))},
			&Context{Text: T(Plain("Name the person: "), Code("/onboard you@company.com TEAM"), Plain("."))}}}, nil
	}
	p, err := cat.PersonByEmail(ctx, req.User.Email)
	switch {
	case err == nil:
		if p.SlackUserID == "" && req.User.ID != "" {
			// The caller's own Slack id, linked by the email Slack gave.
			if linked, err := cat.PutPerson(ctx, catalog.Person{Email: p.Email, SlackUserID: req.User.ID}); err == nil {
				p = linked
			}
		}
		return resolved{person: p}, nil, nil
	case !errors.Is(err, catalog.ErrNotFound):
		return resolved{}, nil, err
	}
	return o.personByEmail(ctx, req.User.Email, req.User.Name, req.User.ID, create)
}

// personByEmail finds the person with email and, with create, records them
// when the catalog does not know them.
func (o *onboarder) personByEmail(ctx context.Context, email, name, slackID string, create bool) (resolved, *Response, error) {
	cat := o.cfg.Catalog
	email = strings.TrimSpace(email)
	p, err := cat.PersonByEmail(ctx, email)
	if err == nil {
		if slackID != "" && p.SlackUserID == "" {
			if linked, err := cat.PutPerson(ctx, catalog.Person{Email: p.Email, SlackUserID: slackID}); err == nil {
				p = linked
			}
		}
		return resolved{person: p}, nil, nil
	}
	if !errors.Is(err, catalog.ErrNotFound) {
		return resolved{}, nil, err
	}
	if !create {
		return resolved{missing: true}, nobody(email), nil
	}
	if !plausibleEmail(email) {
		return resolved{}, askEmail(email, "that does not look like an email"), nil
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	p, err = cat.PutPerson(ctx, catalog.Person{Name: name, Email: email, SlackUserID: slackID})
	if err != nil {
		return resolved{}, nil, err
	}
	return resolved{person: p, created: true, note: fmt.Sprintf("%s was not in the catalog; Switchboard recorded them as %s.", name, email)}, nil, nil
}

// nobody says the catalog knows nobody by that name.
func nobody(who string) *Response {
	text := fmt.Sprintf("Nobody in the catalog is %s.", who)
	return &Response{Text: text, Blocks: []Block{
		&Section{Text: T(Plain("Nobody in the catalog is "), Code(who), Plain("."))},
		&Context{Text: T(Plain("People are known by email; "), Code("/onboard --status"), Plain(" lists those you welcomed."))},
	}}
}

func askEmail(who, why string) *Response {
	text := fmt.Sprintf("Cannot onboard %s: %s. Name them by email instead: /onboard name@company.com TEAM", who, why)
	return &Response{Text: text, Blocks: []Block{
		&Section{Text: T(Plain(fmt.Sprintf("Cannot onboard %s: %s.", who, why)))},
		&Context{Text: T(Plain("Name them by email instead: "), Code("/onboard name@company.com TEAM"), Plain("."))},
	}}
}

func plausibleEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(s, " <>|")
}

func emailDomain(email string) string {
	_, d, ok := strings.Cut(strings.TrimSpace(email), "@")
	if !ok || !strings.Contains(d, ".") {
		return ""
	}
	return strings.ToLower(d)
}

// callerKey is how the onboardings a user started are recorded: their Slack
// id, else their email.
func callerKey(u User) string { return firstNonEmpty(u.ID, u.Email) }

// personRef is the person as a command argument: their email ("" for the
// caller).
func personRef(p catalog.Person, isCaller bool) string {
	if isCaller {
		return ""
	}
	return p.Email
}

// cmdLine joins the parts of a command line that are not empty.
func cmdLine(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, " ")
}

// start is /onboard [@user] [team].
func (o *onboarder) start(ctx context.Context, req Request, args onboardArgs) (Response, error) {
	cat := o.cfg.Catalog
	team := args.team
	raw := ""
	if args.person != nil {
		raw = args.person.raw
	}
	// The team first: a misspelt one records nobody new.
	var t catalog.Team
	if team != "" {
		var reply *Response
		var err error
		t, reply, err = findTeam(ctx, cat, team, func(name string) string { return cmdLine("/onboard", raw, name) })
		if err != nil || reply != nil {
			return orEmpty(reply), err
		}
	}
	// Someone new is recorded only once the team is known.
	r, reply, err := o.resolvePerson(ctx, req, args.person, team != "", func(email string) string { return cmdLine("/onboard", email, team) })
	if r.missing && team == "" {
		text := fmt.Sprintf("%s is not in the catalog yet, so their team cannot be inferred. Name it: /onboard %s TEAM", raw, raw)
		return Response{Text: text, Blocks: []Block{
			&Section{Text: T(Code(raw), Plain(" is not in the catalog yet (people come from GitLab groups and PagerDuty), so their team cannot be inferred. Which team are they joining?"))},
			&Context{Text: T(Code(cmdLine("/onboard", raw, "TEAM")))},
		}}, nil
	}
	if err != nil || reply != nil {
		return orEmpty(reply), err
	}
	p := r.person
	ref := personRef(p, args.person == nil)

	if team == "" {
		teams, err := cat.PersonTeams(ctx, p.ID)
		if err != nil {
			return Response{}, err
		}
		switch len(teams) {
		case 0:
			who := displayPerson(p)
			text := fmt.Sprintf("%s is on no team's roster yet. Which team are they joining? /onboard %s TEAM", who, firstNonEmpty(ref, "@you"))
			return Response{Text: text, Blocks: []Block{
				&Section{Text: T(Plain(who + " is on no team's roster yet (rosters come from GitLab groups, PagerDuty and descriptors). Which team are they joining?"))},
				&Context{Text: T(Code(cmdLine("/onboard", ref, "TEAM")))},
			}}, nil
		case 1:
			t = teams[0]
		default:
			who := displayPerson(p)
			text := fmt.Sprintf("%s is on %d teams; which one are they being onboarded to?", who, len(teams))
			actions := &Actions{}
			for _, tm := range teams {
				actions.Buttons = append(actions.Buttons, Button{Label: tm.Name, Command: cmdLine("/onboard", ref, tm.Name)})
			}
			return Response{Text: text, Blocks: []Block{&Section{Text: T(Plain(text))}, actions}}, nil
		}
	}

	now := o.cfg.now()
	ob, created, err := cat.StartOnboarding(ctx, p.ID, t.ID, callerKey(req.User), req.User.Name, now)
	if err != nil {
		return Response{}, err
	}
	welcome, err := o.welcome(ctx, ob)
	if err != nil {
		return Response{}, err
	}

	sent, sendErr := false, error(nil)
	if o.cfg.Messenger != nil {
		var id string
		id, sendErr = o.cfg.Messenger.SendDirect(ctx, Recipient{SlackUserID: p.SlackUserID, Email: p.Email, Name: p.Name}, welcome)
		if sendErr != nil {
			o.cfg.log().WarnContext(ctx, "onboard: send welcome", "person", p.ID, "team", t.Name, "err", sendErr)
		} else {
			sent = true
			if id != "" && p.SlackUserID == "" {
				if linked, err := cat.PutPerson(ctx, catalog.Person{Email: p.Email, SlackUserID: id}); err == nil {
					p = linked
				}
			}
			if err := cat.MarkOnboardingSent(ctx, p.ID, t.ID, now); err != nil {
				return Response{}, err
			}
		}
	}
	return o.summary(ob, p, r, created, sent, sendErr, welcome), nil
}

// summary is what whoever ran /onboard sees.
func (o *onboarder) summary(ob catalog.Onboarding, p catalog.Person, r resolved, created, sent bool, sendErr error, welcome Response) Response {
	n, total := o.progress(ob.Done)
	who := personText(p)
	var head Text
	var text string
	switch {
	case sent:
		head = append(T(Plain("Sent ")), who...)
		head = append(head, Plain(" the welcome to "), Bold(ob.Team.Name), Plain(fmt.Sprintf(": %d/%d done.", n, total)))
		text = fmt.Sprintf("Sent to %s: %d/%d done.", who.String(), n, total)
	case sendErr != nil:
		head = append(T(Plain("Could not send ")), who...)
		head = append(head, Plain(" the welcome to "), Bold(ob.Team.Name), Plain(": "+sendProblem(sendErr)+fmt.Sprintf(". %d/%d done. Here it is, to forward:", n, total)))
		text = fmt.Sprintf("Not sent to %s (%s): %d/%d done.", who.String(), sendProblem(sendErr), n, total)
	default:
		head = append(T(Plain("Welcome for ")), who...)
		head = append(head, Plain(" to "), Bold(ob.Team.Name), Plain(fmt.Sprintf(" ready: %d/%d done. Direct messages are not sent from here; this is what they get:", n, total)))
		text = fmt.Sprintf("Not sent to %s (no direct messages here): %d/%d done.", who.String(), n, total)
	}
	blocks := []Block{&Section{Text: head}}
	var notes []string
	if r.note != "" {
		notes = append(notes, r.note)
	}
	if !created {
		notes = append(notes, fmt.Sprintf("Onboarding to %s started %s%s; the checklist keeps its state.", ob.Team.Name, ob.StartedAt.UTC().Format("2 Jan 2006"), startedByText(ob)))
	}
	if len(notes) > 0 {
		blocks = append(blocks, &Context{Text: T(Plain(strings.Join(notes, " ")))})
	}
	if total > 0 && sent {
		// Otherwise the welcome below shows it.
		blocks = append(blocks, &Section{Text: o.checklistText(ob.Done, false)})
	}
	blocks = append(blocks, &Actions{Buttons: []Button{{Label: "Refresh progress", Command: cmdLine("/onboard --status", p.Email)}}})
	if !sent {
		blocks = append(blocks, &Divider{})
		blocks = append(blocks, welcome.Blocks...)
	}
	return Response{Text: text, Blocks: blocks}
}

func sendProblem(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "Slack did not answer in time"
	case errors.Is(err, ErrNoSlackAccount):
		return "Slack has no account with their email (are they in this Slack workspace under another address?)"
	}
	return "Slack refused the direct message (is the person in this Slack workspace?)"
}

func startedByText(ob catalog.Onboarding) string {
	if ob.StartedByName != "" {
		return " by " + ob.StartedByName
	}
	return ""
}

// displayPerson is a person's name, else their email.
func displayPerson(p catalog.Person) string { return firstNonEmpty(p.Name, p.Email) }

// welcome is the direct message a new developer gets: everything for day
// one, and the checklist with a button per item.
func (o *onboarder) welcome(ctx context.Context, ob catalog.Onboarding) (Response, error) {
	cat := o.cfg.Catalog
	t, p := ob.Team, ob.Person
	roster, err := cat.Roster(ctx, t.ID)
	if err != nil {
		return Response{}, err
	}
	services, err := cat.TeamServices(ctx, t.ID)
	if err != nil {
		return Response{}, err
	}
	teamName := firstNonEmpty(t.Title, t.Name)
	first := strings.Fields(displayPerson(p))[0]
	blocks := []Block{&Header{Text: shorten(fmt.Sprintf("Welcome to %s, %s!", teamName, first), 150)}}

	intro := T(Plain("You are joining team "), Bold(t.Name))
	if t.Title != "" && !strings.EqualFold(t.Title, t.Name) {
		intro = append(intro, Plain(" ("+t.Title+")"))
	}
	intro = append(intro, Plain(". Here is what you need on day one"))
	if ob.StartedBy != "" && ob.StartedBy != p.SlackUserID && !strings.EqualFold(ob.StartedBy, p.Email) {
		intro = append(intro, Plain(", sent by "))
		if strings.Contains(ob.StartedBy, "@") {
			intro = append(intro, Plain(firstNonEmpty(ob.StartedByName, ob.StartedBy)))
		} else {
			intro = append(intro, Mention(ob.StartedBy, firstNonEmpty(ob.StartedByName, ob.StartedBy)))
		}
	}
	intro = append(intro, Plain("."))
	blocks = append(blocks, &Section{Text: intro})

	var mates []catalog.RosterMember
	for _, m := range roster {
		if m.ID != p.ID {
			mates = append(mates, m)
		}
	}
	blocks = append(blocks, &Section{Text: teammatesText(mates)})

	owned := T(Bold(fmt.Sprintf("Services you now help own (%d):", len(services))))
	if len(services) == 0 {
		owned = T(Bold("Services you now help own:"), Plain(" none in the catalog yet."))
	}
	lines := []Text{owned}
	for i, s := range services {
		if i == maxTeamServices {
			lines = append(lines, T(Plain(fmt.Sprintf("…and %d more: ", len(services)-maxTeamServices)), Code("/team "+t.Name)))
			break
		}
		lines = append(lines, serviceLine(s, true, o.cfg.OnCall.links()))
	}
	blocks = append(blocks, linesBlocks(lines)...)

	blocks = append(blocks, &Section{Text: o.rotationsText(ctx, t)})

	channels := channelsToJoin(t, services)
	if len(channels) > 0 {
		var names []Text
		actions := &Actions{}
		for _, ch := range channels {
			names = append(names, T(Plain(ch)))
			actions.Buttons = append(actions.Buttons, Button{Label: "Join " + ch, URL: slackChannelLink(ch)})
		}
		blocks = append(blocks, &Section{Text: append(T(Bold("Channels to join:"), Plain(" ")), Join(names, ", ")...)}, actions)
	}

	if len(o.items) > 0 {
		blocks = append(blocks, &Section{Text: o.checklistText(ob.Done, true)})
		if b := o.tickButtons(ob.Done, p.Email); len(b) > 0 {
			blocks = append(blocks, &Actions{Buttons: b})
		}
	}
	blocks = append(blocks, &Context{Text: T(Plain("Tick items as you go: whoever welcomed you sees your progress. "), Code("/onboard --status"), Plain(" shows it again; "), Code("/team "+t.Name), Plain(" shows the team."))})
	n, total := o.progress(ob.Done)
	return Response{Text: fmt.Sprintf("Welcome to %s: your team, services, on call and checklist (%d/%d done).", teamName, n, total), Blocks: blocks}, nil
}

func teammatesText(mates []catalog.RosterMember) Text {
	if len(mates) == 0 {
		return T(Bold("Your teammates:"), Plain(" nobody on the roster yet."))
	}
	var people []Text
	for i, m := range mates {
		if i == maxTeamPeople {
			people = append(people, T(Plain(fmt.Sprintf("and %d more", len(mates)-maxTeamPeople))))
			break
		}
		people = append(people, personText(m.Person))
	}
	return append(T(Bold(fmt.Sprintf("Your teammates (%d):", len(mates))), Plain(" ")), Join(people, ", ")...)
}

// maxJoinChannels bounds the channels the welcome suggests.
const maxJoinChannels = 5

// channelsToJoin is the team's channel, then its services' own channels.
func channelsToJoin(t catalog.Team, services []catalog.OwnedService) []string {
	var out []string
	add := func(ch string) {
		name := slackChannelName(ch)
		if name == "" || len(out) == maxJoinChannels {
			return
		}
		for _, c := range out {
			if strings.EqualFold(c, name) {
				return
			}
		}
		out = append(out, name)
	}
	add(t.SlackChannel)
	for _, s := range services {
		add(s.Service.SlackChannel)
	}
	return out
}

// rotationsText is the team's on-call rotations and who is on each now.
func (o *onboarder) rotationsText(ctx context.Context, t catalog.Team) Text {
	head := T(Bold("On call:"), Plain(" "))
	oc := o.cfg.OnCall
	switch {
	case !oc.configured():
		return append(head, Plain("PagerDuty is not configured in Switchboard; ask your team how their rotation works."))
	case t.PagerDutyEscalationPolicy == "":
		return append(head, Plain("your team has no PagerDuty escalation policy in the catalog; ask them how their rotation works."))
	}
	c, err := oc.teamOnCall(ctx, t)
	if err != nil {
		oc.log().WarnContext(ctx, "on call for onboarding", "team", t.Name, "err", err)
		return append(head, Plain("unavailable: "+pagerDutyProblem(err)+". "), Code("/oncall "+t.Name), Plain(" tells later."))
	}
	if len(c.levels) == 0 {
		return append(head, Plain("nobody on the escalation policy right now."))
	}
	now := oc.now()
	lines := []Text{T(Bold("On-call rotations"), Plain(" (escalation policy "), Link(firstNonEmpty(c.Policy.Name, c.Policy.ID), c.Policy.HTMLURL), Plain("):"))}
	for _, l := range c.levels {
		line := T(Plain(fmt.Sprintf("• Level %d", l.Level.Level)))
		if l.Schedule.ID != "" {
			line = append(line, Plain(" — "), Link(firstNonEmpty(l.Schedule.Name, l.Schedule.ID), l.Schedule.HTMLURL))
		}
		line = append(line, Plain(": now "))
		line = append(line, peopleText(l.people)...)
		line = append(line, Plain(" "+untilText(l.Until, now)))
		lines = append(lines, line)
	}
	if c.Stale {
		lines = append(lines, T(Plain("⚠ "+staleText(c.FetchedAt, now))))
	}
	return Join(lines, "\n")
}

// checklistText lists the checklist with each item's state.
func (o *onboarder) checklistText(done map[string]catalog.ItemDone, withLinks bool) Text {
	n, total := o.progress(done)
	lines := []Text{T(Bold(fmt.Sprintf("Checklist (%d/%d done):", n, total)))}
	for _, it := range o.items {
		mark := "☐ "
		d, ok := done[it.ID]
		if ok {
			mark = "✅ "
		}
		line := T(Plain(mark))
		if withLinks && it.URL != "" {
			line = append(line, Link(it.Title, it.URL))
		} else {
			line = append(line, Plain(it.Title))
		}
		if ok {
			line = append(line, Plain(" — done "+d.At.UTC().Format("2 Jan")))
		}
		lines = append(lines, line)
	}
	return Join(lines, "\n")
}

// tickButtons are "Done" buttons for the items not done yet; each names the
// person by email, so that a click ticks their item whoever clicks.
func (o *onboarder) tickButtons(done map[string]catalog.ItemDone, email string) []Button {
	var out []Button
	for _, it := range o.items {
		if _, ok := done[it.ID]; ok {
			continue
		}
		if len(out) == 25 { // Slack's limit of elements in an actions block
			break
		}
		out = append(out, Button{Label: "Done: " + shorten(it.Title, 60), Command: cmdLine("/onboard --done", it.ID, email), Style: "primary"})
	}
	return out
}

// shorten cuts s to max runes, with an ellipsis.
func shorten(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// item returns the checklist item with id.
func (o *onboarder) item(id string) (checkItem, bool) {
	for _, it := range o.items {
		if it.ID == id {
			return it, true
		}
	}
	return checkItem{}, false
}

// tick is /onboard --done ITEM [@user] and --undo.
func (o *onboarder) tick(ctx context.Context, req Request, args onboardArgs) (Response, error) {
	cat := o.cfg.Catalog
	it, ok := o.item(args.item)
	if !ok {
		var ids []Text
		for _, it := range o.items {
			ids = append(ids, T(Code(it.ID), Plain(" "+it.Title)))
		}
		text := fmt.Sprintf("There is no checklist item %s.", args.item)
		blocks := []Block{&Section{Text: T(Plain("There is no checklist item "), Code(args.item), Plain("."))}}
		if len(ids) > 0 {
			blocks = append(blocks, &Section{Text: append(T(Bold("Items:"), Plain("\n")), Join(ids, "\n")...)})
		}
		return Response{Text: text, Blocks: blocks}, nil
	}
	r, reply, err := o.resolvePerson(ctx, req, args.person, false, func(email string) string { return cmdLine("/onboard --"+args.mode, it.ID, email) })
	if err != nil || reply != nil {
		return orEmpty(reply), err
	}
	p := r.person
	done := args.mode == "done"
	if _, err := cat.SetOnboardingItem(ctx, p.ID, it.ID, done, callerKey(req.User), o.cfg.now()); err != nil {
		return Response{}, err
	}
	obs, err := cat.OnboardingsOf(ctx, p.ID)
	if err != nil {
		return Response{}, err
	}
	if len(obs) > 0 {
		// The welcome again, with the item ticked: in Slack it replaces
		// the message the button was in.
		return o.welcome(ctx, obs[len(obs)-1])
	}
	items, err := cat.OnboardingItems(ctx, p.ID)
	if err != nil {
		return Response{}, err
	}
	n, total := o.progress(items)
	return Response{
		Text:   fmt.Sprintf("%s: %d/%d done.", displayPerson(p), n, total),
		Blocks: []Block{&Section{Text: o.checklistText(items, true)}},
	}, nil
}

// status is /onboard --status [@user].
func (o *onboarder) status(ctx context.Context, req Request, args onboardArgs) (Response, error) {
	cat := o.cfg.Catalog
	if args.person != nil {
		r, reply, err := o.resolvePerson(ctx, req, args.person, false, func(email string) string { return cmdLine("/onboard --status", email) })
		if err != nil || reply != nil {
			return orEmpty(reply), err
		}
		obs, err := cat.OnboardingsOf(ctx, r.person.ID)
		if err != nil {
			return Response{}, err
		}
		if len(obs) == 0 {
			text := fmt.Sprintf("%s has not been onboarded with /onboard.", displayPerson(r.person))
			return Response{Text: text, Blocks: []Block{&Section{Text: T(Plain(text))}}}, nil
		}
		return o.statusOf(obs), nil
	}
	started, err := cat.OnboardingsStartedBy(ctx, callerKey(req.User))
	if err != nil {
		return Response{}, err
	}
	var mine []catalog.Onboarding
	if me, reply, err := o.caller(ctx, req, false); err != nil {
		return Response{}, err
	} else if reply == nil {
		if mine, err = cat.OnboardingsOf(ctx, me.person.ID); err != nil {
			return Response{}, err
		}
	}
	all := append(append([]catalog.Onboarding{}, mine...), started...)
	if len(all) == 0 {
		text := "Nobody you onboarded yet, and you are not being onboarded. /onboard @user TEAM welcomes someone."
		return Response{Text: text, Blocks: []Block{&Section{Text: T(Plain("Nobody you onboarded yet, and you are not being onboarded. "), Code("/onboard @user TEAM"), Plain(" welcomes someone."))}}}, nil
	}
	return o.statusOf(dedupOnboardings(all)), nil
}

func dedupOnboardings(obs []catalog.Onboarding) []catalog.Onboarding {
	seen := map[[2]int64]bool{}
	var out []catalog.Onboarding
	for _, ob := range obs {
		k := [2]int64{ob.Person.ID, ob.Team.ID}
		if !seen[k] {
			seen[k] = true
			out = append(out, ob)
		}
	}
	return out
}

// statusOf shows each onboarding's progress.
func (o *onboarder) statusOf(obs []catalog.Onboarding) Response {
	blocks := []Block{&Header{Text: "Onboarding progress"}}
	var summary []string
	for _, ob := range obs {
		n, total := o.progress(ob.Done)
		head := append(personText(ob.Person), Plain(" → "), Bold(ob.Team.Name), Plain(fmt.Sprintf(": %d/%d done", n, total)))
		if ob.SentAt.IsZero() {
			head = append(head, Plain(" (welcome not sent)"))
		}
		blocks = append(blocks, &Section{Text: head})
		if total > 0 {
			blocks = append(blocks, &Section{Text: o.checklistText(ob.Done, false)})
		}
		summary = append(summary, fmt.Sprintf("%s %s %d/%d", displayPerson(ob.Person), ob.Team.Name, n, total))
	}
	return Response{Text: "Onboarding: " + strings.Join(summary, "; "), Blocks: blocks}
}
