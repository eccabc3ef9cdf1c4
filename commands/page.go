package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/oncall"
	"github.com/switchboard-dev/switchboard/weblinks"
)

// Pager sends pages to PagerDuty (*pagerduty.Client). Trigger succeeds only
// when PagerDuty accepted the page; a repeated DedupKey never opens a second
// incident.
type Pager interface {
	// Trigger pages; its errors are package oncall's, and
	// oncall.TriggerOutcome says what they mean for the page.
	Trigger(ctx context.Context, req oncall.TriggerRequest) (oncall.Incident, error)
	// FindIncident looks up a page's incident by its dedup key on a
	// PagerDuty service (any when serviceID is empty): found false when
	// PagerDuty holds none, an error when it could not be asked.
	FindIncident(ctx context.Context, serviceID, dedupKey string) (oncall.Incident, bool, error)
}

// PagePolicy decides who may page (for example: members of some Slack user
// groups). A nil PagePolicy lets anyone page.
type PagePolicy interface {
	// MayPage reports whether the Slack user may page; when not, reason
	// says why, in words for that user ("only members of @oncall-leads
	// may page").
	MayPage(ctx context.Context, userID string) (ok bool, reason string, err error)
}

// PageStore keeps pages, so that any replica can confirm one and a restart
// loses none, and the audit log (*catalog.Store).
type PageStore interface {
	// CreatePage stores a new pending page with a fresh token.
	CreatePage(ctx context.Context, p catalog.Page) (catalog.Page, error)
	// GetPage returns a page, or catalog.ErrNotFound.
	GetPage(ctx context.Context, token string) (catalog.Page, error)
	// MovePage changes a page's state if it is in one of from, atomically.
	MovePage(ctx context.Context, token string, from []string, to string, at time.Time) (catalog.Page, bool, error)
	// ClaimPage moves a page to sending, atomically and serialised per
	// service across replicas: one claim of a page wins, and another page
	// of the service sending, unknown or sent recently holds it back
	// unless the requester acknowledged it.
	ClaimPage(ctx context.Context, c catalog.PageClaim) (catalog.PageClaimResult, error)
	// AcknowledgePage records the recent page a requester was shown.
	AcknowledgePage(ctx context.Context, token, recentToken string, onCall []catalog.PageTarget, at time.Time) (catalog.Page, error)
	// FinishPage records a claimed page's outcome: sent, failed or
	// unknown.
	FinishPage(ctx context.Context, p catalog.Page) (catalog.Page, error)
	// SettlePage records what became of an unknown page: sent or failed;
	// one settlement wins.
	SettlePage(ctx context.Context, p catalog.Page) (catalog.Page, bool, error)
	// RecentPage is a service's newest page claimed since since that is
	// sending, unknown or sent, or catalog.ErrNotFound.
	RecentPage(ctx context.Context, serviceID int64, since time.Time) (catalog.Page, error)
	// Audit appends to the audit log.
	Audit(ctx context.Context, e catalog.AuditEntry) error
}

// PageConfig is what /page is built from.
type PageConfig struct {
	// Catalog resolves the SERVICE argument and reads the service's
	// PagerDuty link.
	Catalog ServiceCatalog
	// Pages keeps the pages and the audit log.
	Pages PageStore
	// Pager is PagerDuty; nil when it is not configured.
	Pager Pager
	// OnCall says who will be paged; nil: not shown.
	OnCall *OnCallLookup
	// Policy decides who may page; nil: anyone.
	Policy PagePolicy
	// Now is the clock (default time.Now).
	Now func() time.Time
	// TriggerTimeout bounds the call to PagerDuty, retries included, so
	// that the answer fits Slack's window (default 2.5s).
	TriggerTimeout time.Duration
	// LookupEvery is how often the incident of a page PagerDuty did not
	// confirm is looked up by its dedup key, in the background (default
	// 5s); LookupFor how long (default 2m): when PagerDuty has answered
	// all along that it holds no such incident, the page was not made.
	LookupEvery time.Duration
	LookupFor   time.Duration
	Log         *slog.Logger
	// Context adds the incident's context to the confirmation (who
	// depends on the service, with "Tell their channels"; its last
	// changes) and the changes to the PagerDuty incident; nil: none.
	Context *PageContext
	// Links link the confirmation, the announcement and the outcomes to
	// the service's page in the web catalog; zero: no links.
	Links weblinks.Links
}

const (
	// defaultTriggerTimeout leaves room in Slack's 3 s for the rest.
	defaultTriggerTimeout = 2500 * time.Millisecond
	// confirmTTL is how long a confirmation can be clicked.
	confirmTTL = 15 * time.Minute
	// recentWindow: a service paged this recently asks again first.
	recentWindow = 5 * time.Minute
	// auditTimeout bounds writing the outcome after the page, whatever is
	// left of the command's own deadline.
	auditTimeout = 5 * time.Second
	// staleMargin is added to the trigger's and the outcome's time to tell
	// a page still being sent from one whose sender died.
	staleMargin = 5 * time.Second
	// defaultLookupEvery and defaultLookupFor: how an unknown page's
	// incident is looked for.
	defaultLookupEvery = 5 * time.Second
	defaultLookupFor   = 2 * time.Minute
	// yesFlag, at the end of the text, pages without a confirmation (the
	// demo shell and scripts).
	yesFlag = "--yes"
)

// Audit results of the "page" action.
const (
	auditSent      = "sent"
	auditFailed    = "failed"
	auditUnknown   = "unknown"
	auditRefused   = "refused"
	auditCancelled = "cancelled"
	auditExpired   = "expired"
)

// Page is /page SERVICE [message]: pages whoever is on call for a service
// through PagerDuty, after an ephemeral confirmation that shows who will be
// paged and with what message. Page runs "/page --confirm TOKEN", Cancel
// "/page --cancel TOKEN"; a trailing --yes pages without asking (for the
// demo shell and scripts) unless the service was paged in the last five
// minutes. The page is kept in the PageStore and moves from pending to sent,
// failed or unknown once, whichever replica gets the click, so one click is
// one page; its PagerDuty dedup key is derived from it. Confirmations of one
// service are serialised in the database: a page sending, unknown or sent in
// the last five minutes is shown and asked about again before another is
// sent. A page PagerDuty accepted is announced in the channel; one it is
// known not to have taken says "NOT paged" and why; one it did not confirm
// in time says it may have gone through, and its incident is looked up by
// its dedup key in the background ("/page --check TOKEN" looks at once),
// the answer corrected when it is known. Every outcome is in the audit log
// (action "page").
func Page(cfg PageConfig) Command {
	if cfg.TriggerTimeout <= 0 {
		cfg.TriggerTimeout = defaultTriggerTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.LookupEvery <= 0 {
		cfg.LookupEvery = defaultLookupEvery
	}
	if cfg.LookupFor <= 0 {
		cfg.LookupFor = defaultLookupFor
	}
	p := &pageCommand{cfg: cfg, stale: cfg.TriggerTimeout + auditTimeout + staleMargin}
	return Command{
		Name:    "/page",
		Usage:   "SERVICE [message]",
		Summary: "Page whoever is on call for a service (asks you to confirm first)",
		Handler: p.handle,
	}
}

type pageCommand struct {
	cfg PageConfig
	// stale is how long a page may stay sending before its sender counts
	// as dead: a click on it sends it again (the dedup key makes that
	// harmless), and to other pages of the service it is unknown.
	stale time.Duration
}

func (c *pageCommand) handle(ctx context.Context, req Request) (Response, error) {
	if req.Text == "" {
		return usage("/page", "SERVICE [message]", "pages whoever is on call for the service, after you confirm."), nil
	}
	if c.cfg.Pager == nil || c.cfg.Pages == nil {
		return notConfigured("page anyone"), nil
	}
	first, rest := splitFirst(req.Text)
	switch first {
	case "--confirm":
		return c.confirm(ctx, req, rest, []string{catalog.PagePending})
	case "--retry":
		return c.confirm(ctx, req, rest, []string{catalog.PageFailed})
	case "--cancel":
		return c.cancel(ctx, req, rest)
	case "--check":
		return c.check(ctx, req, rest)
	case "--tell":
		return c.tell(ctx, req, rest)
	}
	return c.ask(ctx, req, first, rest)
}

// splitFirst splits off the first word of s.
func splitFirst(s string) (first, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' })
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

// ask is "/page SERVICE [message] [--yes]": the confirmation, or with
// --yes the page itself.
func (c *pageCommand) ask(ctx context.Context, req Request, query, message string) (Response, error) {
	yes := false
	if message == yesFlag || strings.HasSuffix(message, " "+yesFlag) {
		yes, message = true, strings.TrimSpace(strings.TrimSuffix(message, yesFlag))
	}
	typed := message
	if message == "" {
		message = "Paged from Slack by " + displayName(req.User)
	}
	if resp, refused, err := c.refuse(ctx, req.User, query, message); refused || err != nil {
		return resp, err
	}
	r, err := resolveService(ctx, c.cfg.Catalog, query, func(ref string) string {
		return strings.TrimSpace("/page " + ref + " " + typed)
	})
	if err != nil || r.Profile == nil {
		return r.Reply, err
	}
	prof := *r.Profile
	svc := prof.Service
	if !pageable(svc) {
		c.audit(ctx, req.User.ID, svc.Ref(), auditRefused, map[string]any{"reason": "no PagerDuty link", "message": message})
		return c.noPageLink(ctx, prof), nil
	}
	if svc.PagerDutyIntegrationKey == "" && req.User.Email == "" {
		c.audit(ctx, req.User.ID, svc.Ref(), auditRefused, map[string]any{"reason": "requester email unknown", "message": message})
		return noEmail(svc.Ref()), nil
	}
	now := c.cfg.Now()
	oc, ocErr := c.onCall(ctx, prof)
	recent, err := c.recent(ctx, svc.ID, now)
	if err != nil {
		return Response{}, err
	}
	page := catalog.Page{
		ServiceID: svc.ID, ServiceRef: svc.Ref(), RequesterID: req.User.ID, RequesterName: displayName(req.User),
		RequesterEmail: req.User.Email, ChannelID: req.ChannelID, Message: message, CreatedAt: now, OnCall: oc,
	}
	if recent != nil {
		page.AcknowledgedToken = recent.Token
	}
	page, err = c.cfg.Pages.CreatePage(ctx, page)
	if err != nil {
		return Response{}, fmt.Errorf("page %s: %w", svc.Ref(), err)
	}
	if yes && recent == nil {
		return c.send(ctx, req, page, []string{catalog.PagePending})
	}
	blocks, line := c.readContext(ctx, svc, pageContextTimeout).blocks(c, page, now)
	return withContext(c.confirmation(page, prof, ocErr, recent, now), blocks, line), nil
}

// refuse checks the PagePolicy; a refusal is audited and explained.
func (c *pageCommand) refuse(ctx context.Context, u User, subject, message string) (Response, bool, error) {
	if c.cfg.Policy == nil {
		return Response{}, false, nil
	}
	ok, reason, err := c.cfg.Policy.MayPage(ctx, u.ID)
	if err != nil {
		return Response{}, false, fmt.Errorf("may %s page: %w", u.ID, err)
	}
	if ok {
		return Response{}, false, nil
	}
	if reason == "" {
		reason = "you are not among the people allowed to page"
	}
	c.audit(ctx, u.ID, subject, auditRefused, map[string]any{"reason": reason, "message": message})
	text := "You may not page: " + reason + ". Nothing was paged."
	return Response{Text: text, Blocks: []Block{
		&Section{Text: T(Bold("You may not page"), Plain(": "+reason+". Nothing was paged."))},
		&Context{Text: T(Plain("Who may page is set by the platform team. To reach the owners anyway, "), Code("/whoowns SERVICE"), Plain(" shows their channel and who is on call."))},
	}}, true, nil
}

// onCall is who is on call at the first level for p, for the confirmation
// and the announcement. It fails soft: the error says why it is unknown.
func (c *pageCommand) onCall(ctx context.Context, p catalog.Profile) ([]catalog.PageTarget, error) {
	if !c.cfg.OnCall.configured() {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.TriggerTimeout)
	defer cancel()
	oc, err := c.cfg.OnCall.forService(ctx, p)
	if err != nil {
		return nil, err
	}
	l, _ := oc.first()
	return l.people, nil
}

// recent is the newest page of the service sent, being sent or of unknown
// outcome in the last five minutes, nil when none.
func (c *pageCommand) recent(ctx context.Context, serviceID int64, now time.Time) (*catalog.Page, error) {
	p, err := c.cfg.Pages.RecentPage(ctx, serviceID, now.Add(-recentWindow))
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recent pages: %w", err)
	}
	return &p, nil
}

// confirm is "/page --confirm TOKEN" (from pending) and "/page --retry
// TOKEN" (from failed: the same page again, same dedup key).
func (c *pageCommand) confirm(ctx context.Context, req Request, token string, from []string) (Response, error) {
	page, resp, ok, err := c.load(ctx, req, token)
	if !ok || err != nil {
		return resp, err
	}
	now := c.cfg.Now()
	// A page left sending by a sender that died is sent again: its dedup
	// key makes that harmless.
	stuck := page.State == catalog.PageSending && now.Sub(page.UpdatedAt) > c.stale
	if !slices.Contains(from, page.State) && !stuck {
		return c.outcome(ctx, page, true)
	}
	if now.Sub(page.CreatedAt) > confirmTTL {
		return c.expire(ctx, page, now)
	}
	return c.send(ctx, req, page, from)
}

// askAgain shows the requester of page the recent page of the same service
// that held its claim back, records that they saw it, and asks again.
func (c *pageCommand) askAgain(ctx context.Context, page, recent catalog.Page, prof catalog.Profile, now time.Time) (Response, error) {
	oc, ocErr := c.onCall(ctx, prof)
	acked, err := c.cfg.Pages.AcknowledgePage(ctx, page.Token, recent.Token, oc, now)
	if errors.Is(err, catalog.ErrNotFound) { // clicked or cancelled meanwhile
		p, gerr := c.cfg.Pages.GetPage(ctx, page.Token)
		if gerr != nil {
			return Response{}, fmt.Errorf("page: %w", gerr)
		}
		return c.outcome(ctx, p, true)
	}
	if err != nil {
		return Response{}, fmt.Errorf("page %s: %w", page.ServiceRef, err)
	}
	blocks, line := c.readContext(ctx, prof.Service, pageContextTimeout).blocks(c, acked, now)
	return withContext(c.confirmation(acked, prof, ocErr, &recent, now), blocks, line), nil
}

// load reads the page a button names and checks the clicker asked for it.
func (c *pageCommand) load(ctx context.Context, req Request, token string) (catalog.Page, Response, bool, error) {
	if token == "" || strings.ContainsAny(token, " \t") {
		return catalog.Page{}, usage("/page", "--confirm TOKEN", "confirms a page; the token comes from the confirmation's button."), false, nil
	}
	page, err := c.cfg.Pages.GetPage(ctx, token)
	if errors.Is(err, catalog.ErrNotFound) {
		text := "There is no page with this confirmation, so nothing was paged. Run /page SERVICE again."
		return catalog.Page{}, Response{Text: text, Blocks: []Block{&Section{Text: T(Plain("There is no page with this confirmation, so nothing was paged. Run "), Code("/page SERVICE"), Plain(" again."))}}}, false, nil
	}
	if err != nil {
		return catalog.Page{}, Response{}, false, fmt.Errorf("page: %w", err)
	}
	if page.RequesterID != req.User.ID {
		c.audit(ctx, req.User.ID, page.ServiceRef, auditRefused, map[string]any{"reason": "not the requester", "requester": page.RequesterID})
		text := "Only the person who asked for this page can confirm or cancel it. Nothing was done."
		return catalog.Page{}, Response{Text: text, Blocks: []Block{&Section{Text: T(Plain("Only "), Mention(page.RequesterID, page.RequesterName),
			Plain(", who asked for this page, can confirm or cancel it. Nothing was done."))}}}, false, nil
	}
	return page, Response{}, true, nil
}

// expire marks a pending page expired (a failed one stays failed) and says
// to start again.
func (c *pageCommand) expire(ctx context.Context, page catalog.Page, now time.Time) (Response, error) {
	if page.State == catalog.PagePending {
		moved, ok, err := c.cfg.Pages.MovePage(ctx, page.Token, []string{catalog.PagePending}, catalog.PageExpired, now)
		if err != nil {
			return Response{}, fmt.Errorf("expire page: %w", err)
		}
		if !ok {
			return c.outcome(ctx, moved, true)
		}
		page = moved
		c.audit(ctx, page.RequesterID, page.ServiceRef, auditExpired, pageDetail(page))
	}
	text := fmt.Sprintf("This confirmation expired (they last 15 minutes), so nothing was paged. Run /page %s again if it is still needed.", page.ServiceRef)
	return Response{Text: text, Blocks: []Block{
		&Section{Text: T(Plain("This confirmation expired (they last 15 minutes), so "), Bold("nothing was paged"), Plain("."))},
		&Actions{Buttons: []Button{{Label: "Start again", Command: again(page)}}},
	}}, nil
}

// send claims the page and sends it: one claim wins, whatever the clicks,
// retries and replicas.
func (c *pageCommand) send(ctx context.Context, req Request, page catalog.Page, from []string) (Response, error) {
	if resp, refused, err := c.refuse(ctx, req.User, page.ServiceRef, page.Message); refused || err != nil {
		return resp, err
	}
	prof, err := c.cfg.Catalog.Profile(ctx, page.ServiceID)
	if err != nil {
		return Response{}, fmt.Errorf("page %s: %w", page.ServiceRef, err)
	}
	svc := prof.Service
	if !pageable(svc) {
		c.audit(ctx, req.User.ID, page.ServiceRef, auditRefused, map[string]any{"reason": "no PagerDuty link", "message": page.Message})
		return c.noPageLink(ctx, prof), nil
	}
	email := firstNonEmpty(page.RequesterEmail, req.User.Email)
	if svc.PagerDutyIntegrationKey == "" && email == "" {
		c.audit(ctx, req.User.ID, page.ServiceRef, auditRefused, map[string]any{"reason": "requester email unknown", "message": page.Message})
		return noEmail(page.ServiceRef), nil
	}
	now := c.cfg.Now()
	// The one place that decides whether this page goes: the database,
	// for every replica at once.
	claim, err := c.cfg.Pages.ClaimPage(ctx, catalog.PageClaim{
		Token: page.Token, From: from, At: now, StaleBefore: now.Add(-c.stale), RecentSince: now.Add(-recentWindow),
	})
	if err != nil {
		return Response{}, fmt.Errorf("page %s: %w", page.ServiceRef, err)
	}
	if claim.Recent != nil {
		return c.askAgain(ctx, claim.Page, *claim.Recent, prof, now)
	}
	if !claim.Claimed {
		return c.outcome(ctx, claim.Page, true)
	}
	page = claim.Page

	// Who is on call is looked up beside the trigger, within the same
	// time, never in its way.
	type onCallResult struct {
		targets []catalog.PageTarget
		err     error
	}
	ocCh := make(chan onCallResult, 1)
	// The last changes go into the incident's details: read first, in
	// little time, and left out when they cannot be.
	details := c.readContext(ctx, svc, triggerContextTimeout).changeDetails(now)
	tctx, cancel := context.WithTimeout(ctx, c.cfg.TriggerTimeout)
	defer cancel()
	go func() {
		t, err := c.onCall(tctx, prof)
		ocCh <- onCallResult{t, err}
	}()
	inc, trigErr := c.cfg.Pager.Trigger(tctx, oncall.TriggerRequest{
		ServiceID:      svc.PagerDutyServiceID,
		IntegrationKey: svc.PagerDutyIntegrationKey,
		Summary:        page.Message,
		Details:        fmt.Sprintf("Paged from Slack by %s (%s) with Switchboard, for %s.", page.RequesterName, firstNonEmpty(email, page.RequesterID), svc.Ref()),
		DedupKey:       page.DedupKey,
		FromEmail:      email,
		CustomDetails:  details,
	})
	if oc := <-ocCh; oc.err == nil && len(oc.targets) > 0 {
		page.OnCall = oc.targets
	}

	// The outcome is recorded whatever is left of the command's deadline:
	// a page PagerDuty accepted must never be reported as not done.
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer wcancel()
	page.UpdatedAt = c.cfg.Now()
	outcome := oncall.TriggerOutcome(trigErr)
	switch outcome {
	case oncall.Paged:
		page.State, page.SentAt, page.Error = catalog.PageSent, page.UpdatedAt, ""
		page.IncidentID, page.IncidentNumber, page.Via = inc.ID, inc.Number, inc.Via
		page.IncidentURL = inc.HTMLURL
	case oncall.Unknown:
		c.cfg.Log.WarnContext(ctx, "page unconfirmed", "service", svc.Ref(), "token", page.Token, "err", trigErr)
		page.State, page.Error = catalog.PageUnknown, pagerDutyProblem(trigErr)
	default:
		c.cfg.Log.WarnContext(ctx, "page not sent", "service", svc.Ref(), "token", page.Token, "err", trigErr)
		page.State, page.Error = catalog.PageFailed, pagerDutyProblem(trigErr)
	}
	finished, err := c.cfg.Pages.FinishPage(wctx, page)
	if err != nil {
		c.cfg.Log.ErrorContext(ctx, "record page outcome", "service", svc.Ref(), "token", page.Token, "state", page.State, "err", err)
	} else {
		page = finished
	}
	detail := pageDetail(page)
	switch outcome {
	case oncall.NotPaged:
		c.audit(wctx, page.RequesterID, page.ServiceRef, auditFailed, detail)
		return c.notPaged(page), nil
	case oncall.Unknown:
		c.audit(wctx, page.RequesterID, page.ServiceRef, auditUnknown, detail)
		following := err == nil && c.follow(ctx, page)
		return c.unconfirmed(page, following), nil
	}
	detail["created"] = inc.Created
	c.audit(wctx, page.RequesterID, page.ServiceRef, auditSent, detail)
	resp := announcement(page, c.cfg.Links)
	if !inc.Created {
		resp.Blocks = append(resp.Blocks, &Context{Text: T(Plain("PagerDuty already had this page open (a repeated click or retry); it opened no second incident."))})
	}
	return resp, nil
}

// cancel is "/page --cancel TOKEN".
func (c *pageCommand) cancel(ctx context.Context, req Request, token string) (Response, error) {
	page, resp, ok, err := c.load(ctx, req, token)
	if !ok || err != nil {
		return resp, err
	}
	moved, ok, err := c.cfg.Pages.MovePage(ctx, page.Token, []string{catalog.PagePending}, catalog.PageCancelled, c.cfg.Now())
	if err != nil {
		return Response{}, fmt.Errorf("cancel page: %w", err)
	}
	if !ok {
		return c.outcome(ctx, moved, true)
	}
	c.audit(ctx, moved.RequesterID, moved.ServiceRef, auditCancelled, pageDetail(moved))
	text := fmt.Sprintf("Cancelled: %s was not paged.", moved.ServiceRef)
	return Response{Text: text, Blocks: []Block{&Section{Text: T(Plain("Cancelled: "), Bold(moved.ServiceRef), Plain(" was "), Bold("not paged"), Plain("."))}}}, nil
}

// outcome answers a click on a page that is no longer waiting for it: what
// came of the first click. A page being sent is waited for (within the
// trigger's time) when wait is set.
func (c *pageCommand) outcome(ctx context.Context, page catalog.Page, wait bool) (Response, error) {
	if wait && page.State == catalog.PageSending {
		deadline := time.Now().Add(c.cfg.TriggerTimeout + time.Second)
		for page.State == catalog.PageSending && time.Now().Before(deadline) {
			select {
			case <-ctx.Done():
				return c.outcome(ctx, page, false)
			case <-time.After(50 * time.Millisecond):
			}
			p, err := c.cfg.Pages.GetPage(ctx, page.Token)
			if err != nil {
				return Response{}, fmt.Errorf("page: %w", err)
			}
			page = p
		}
	}
	now := c.cfg.Now()
	ref := page.ServiceRef
	switch page.State {
	case catalog.PageSent:
		text := fmt.Sprintf("Already paged: %s paged %s for %s at %s. This click paged nobody again.", page.RequesterName, targetsOrUnknown(page.OnCall).String(), ref, clockText(page.SentAt, now))
		line := T(Plain("Already paged at "+clockText(page.SentAt, now)+": "), Mention(page.RequesterID, page.RequesterName), Plain(" paged "))
		line = append(line, targetsOr(page.OnCall, "the on-call of "+ref)...)
		line = append(line, Plain(" for "), Bold(ref), Plain(": "+page.Message+". This click paged nobody again."))
		blocks := []Block{&Section{Text: line}}
		if l := incidentLink(page); len(l) > 0 {
			blocks = append(blocks, &Context{Text: l})
		}
		return Response{Text: text, Blocks: blocks}, nil
	case catalog.PageUnknown:
		return c.unconfirmed(page, false), nil
	case catalog.PageFailed:
		resp := c.notPaged(page)
		resp.Blocks = append([]Block{&Context{Text: T(Plain("This page was already tried, at " + clockText(page.UpdatedAt, now) + ":"))}}, resp.Blocks...)
		return resp, nil
	case catalog.PageCancelled:
		text := fmt.Sprintf("This page was cancelled; %s was not paged.", ref)
		return Response{Text: text, Blocks: []Block{
			&Section{Text: T(Plain("This page was cancelled; "), Bold(ref), Plain(" was "), Bold("not paged"), Plain("."))},
			&Actions{Buttons: []Button{{Label: "Start again", Command: again(page)}}},
		}}, nil
	case catalog.PageExpired:
		return c.expire(ctx, page, now)
	case catalog.PageSending:
		text := fmt.Sprintf("This page of %s is being sent right now; Switchboard never sends it twice. The outcome will be posted here.", ref)
		return Response{Text: text, Blocks: []Block{&Section{Text: T(Plain("This page of "), Bold(ref),
			Plain(" is being sent right now (since "+clockText(page.UpdatedAt, now)+"); Switchboard never sends it twice. Click again in a few seconds to see the outcome."))}}}, nil
	}
	// Pending: a retry of a page never sent, or a cancel raced a confirm.
	prof, err := c.cfg.Catalog.Profile(ctx, page.ServiceID)
	if err != nil {
		return Response{}, fmt.Errorf("page %s: %w", ref, err)
	}
	return c.confirmation(page, prof, nil, nil, now), nil
}

// audit writes one "page" line to the audit log. A failure is logged, never
// shown: it must not turn a page into an error.
func (c *pageCommand) audit(ctx context.Context, actor, subject, result string, detail map[string]any) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer cancel()
	if err := c.cfg.Pages.Audit(ctx, catalog.AuditEntry{Actor: actor, Action: "page", Subject: subject, Detail: detail, Result: result}); err != nil {
		c.cfg.Log.ErrorContext(ctx, "audit page", "subject", subject, "result", result, "err", err)
	}
}
