package commands

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/oncall"
)

// A page whose outcome is unknown (PagerDuty did not confirm it in time,
// but the request may have reached it) is never reported as not paged
// until PagerDuty is known to hold no incident for it. Its incident is
// looked up by its dedup key: in the background after the answer (through
// the transport's Later), and at once by "/page --check TOKEN".

// lookupTimeout bounds one lookup of an unknown page's incident.
const lookupTimeout = 5 * time.Second

// unconfirmedText is what a page PagerDuty did not confirm is called.
const unconfirmedText = "PagerDuty did not confirm in time — the page may have gone through"

// follow hands the lookups of page's incident to durable background work
// (serve's River job, which any replica works and a restart does not lose)
// that corrects the answer once the outcome is known. It reports whether it
// could: that needs a transport that can say where its later answers go
// (Later) and a page store that takes the lookups (PageFollower).
// Otherwise the answer says how to check (Check again): nothing is looked
// up in memory, where a restart would lose it.
func (c *pageCommand) follow(ctx context.Context, page catalog.Page) bool {
	a := LaterFrom(ctx)
	if a == nil || a.Address() == "" {
		return false
	}
	f, ok := c.cfg.Pages.(PageFollower)
	if !ok {
		return false
	}
	handed, err := f.FollowPage(ctx, catalog.PageLookup{Token: page.Token, AnswerTo: a.Address(),
		Every: c.cfg.LookupEvery, Until: time.Now().Add(c.cfg.LookupFor)})
	if err != nil {
		c.cfg.Log.WarnContext(ctx, "hand over the lookups of an unconfirmed page", "token", page.Token, "err", err)
		return false
	}
	return handed
}

// PageFollower takes the lookups of unconfirmed pages into durable
// background work; *catalog.Store does when its PageLookups is set.
type PageFollower interface {
	// FollowPage hands l over; false: nobody took it.
	FollowPage(ctx context.Context, l catalog.PageLookup) (bool, error)
}

// PageLookups looks the incidents of unconfirmed pages up one try at a
// time, for background work that outlives the request (serve's River job:
// it snoozes between tries), and corrects the requester's answer through
// the transport's AnswerAt.
type PageLookups struct {
	c        *pageCommand
	answerAt func(address string) Answer
}

// NewPageLookups returns the lookups of the pages of /page as cfg builds
// it, answering through answerAt (the Slack bot's AnswerAt).
func NewPageLookups(cfg PageConfig, answerAt func(address string) Answer) *PageLookups {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &PageLookups{c: &pageCommand{cfg: cfg}, answerAt: answerAt}
}

// Try looks for the incident of an unknown page once, as resolve does each
// time: found, the page is settled sent and announced; not found on the
// final try, settled NOT paged; still unknown on the final try, said so.
// done reports that the lookups are over (also when the page was settled
// elsewhere, by the requester's Check again, whose answer took the place
// of this one). err is why PagerDuty could not be asked, or the answer not
// given.
func (l *PageLookups) Try(ctx context.Context, token, answerTo string, final bool) (done bool, err error) {
	c := l.c
	page, err := c.cfg.Pages.GetPage(ctx, token)
	if err != nil {
		return false, fmt.Errorf("look up page %s: %w", token, err)
	}
	if page.State != catalog.PageUnknown {
		return true, nil
	}
	prof, err := c.cfg.Catalog.Profile(ctx, page.ServiceID)
	if err != nil {
		return false, fmt.Errorf("look up page %s: %w", token, err)
	}
	p, settled, lookupErr := c.lookUp(ctx, page, prof.Service, final)
	reply, done := c.afterTry(p, settled, final, lookupErr)
	if reply == nil {
		return done, lookupErr
	}
	if err := l.answerAt(answerTo)(ctx, *reply); err != nil {
		return true, fmt.Errorf("answer again about page %s: %w", token, err)
	}
	return true, lookupErr
}

// afterTry says what a lookup try that left the page p leads to: the
// lookups are over (done), and reply, when not nil, corrects the answer.
// A page settled by another call (the requester's own Check again, whose
// answer took the place of this one) ends the lookups without a reply;
// only the call that settled the page announces it, or the final try says
// what is known.
func (c *pageCommand) afterTry(p catalog.Page, settled, final bool, lookupErr error) (reply *Response, done bool) {
	switch {
	case p.State != catalog.PageUnknown && !settled:
		return nil, true
	case p.State != catalog.PageUnknown || final:
		r := c.settledReply(p, settled, lookupErr)
		return &r, true
	}
	return nil, false
}

// lookUp looks for an unknown page's incident once. Found, the page is
// settled sent; not found and final, settled failed (PagerDuty holds no
// incident for it). It returns the page as it is afterwards, whether this
// call settled it, and why PagerDuty could not be asked (the page is then
// unchanged).
func (c *pageCommand) lookUp(ctx context.Context, page catalog.Page, svc catalog.Service, final bool) (catalog.Page, bool, error) {
	lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	inc, found, err := c.cfg.Pager.FindIncident(lctx, svc.PagerDutyServiceID, page.DedupKey)
	cancel()
	if err != nil {
		return page, false, fmt.Errorf("find the incident of page %s: %w", page.Token, err)
	}
	if !found && !final {
		return page, false, nil
	}
	settle := page
	settle.UpdatedAt = c.cfg.Now()
	if found {
		settle.State, settle.SentAt, settle.Error = catalog.PageSent, settle.UpdatedAt, ""
		settle.IncidentID, settle.IncidentNumber, settle.IncidentURL = inc.ID, inc.Number, inc.HTMLURL
		settle.Via = oncall.ViaREST
		if svc.PagerDutyIntegrationKey != "" {
			settle.Via = oncall.ViaEvents
		}
	} else {
		settle.State = catalog.PageFailed
		settle.Error = "PagerDuty did not confirm it in time and holds no incident for it (looked up by its dedup key)"
	}
	wctx, wcancel := context.WithTimeout(context.WithoutCancel(ctx), auditTimeout)
	defer wcancel()
	out, settled, err := c.cfg.Pages.SettlePage(wctx, settle)
	if err != nil {
		return page, false, fmt.Errorf("settle page %s: %w", page.Token, err)
	}
	if settled {
		detail := pageDetail(out)
		detail["confirmed"] = "late"
		result := auditSent
		if out.State == catalog.PageFailed {
			result = auditFailed
		}
		c.audit(wctx, out.RequesterID, out.ServiceRef, result, detail)
	}
	return out, settled, nil
}

// settledReply is the later answer about a page that was unknown. Only the
// call that settled it announces it; another sees what came of it.
func (c *pageCommand) settledReply(page catalog.Page, settled bool, lookupErr error) Response {
	switch {
	case page.State == catalog.PageSent && settled:
		resp := announcement(page, c.cfg.Links)
		resp.Blocks = append(resp.Blocks, &Context{Text: T(Plain("PagerDuty did not confirm this page in time; Switchboard found its incident afterwards, by the page's dedup key."))})
		return resp
	case page.State == catalog.PageFailed && settled:
		return c.notPaged(page)
	case page.State == catalog.PageUnknown:
		resp := c.unconfirmed(page, false)
		if lookupErr != nil {
			why := pagerDutyProblem(lookupErr)
			resp.Blocks = append(resp.Blocks, &Context{Text: T(Plain("Switchboard could not look the incident up: " + why + ". Look in PagerDuty, or click Check again."))})
			resp.Text += " Switchboard could not look the incident up: " + why + "."
		}
		return resp
	}
	resp, _ := c.outcome(context.Background(), page, false)
	return resp
}

// check is "/page --check TOKEN": what came of a page, and for one whose
// outcome is unknown, a lookup of its incident now.
func (c *pageCommand) check(ctx context.Context, req Request, token string) (Response, error) {
	page, resp, ok, err := c.load(ctx, req, token)
	if !ok || err != nil {
		return resp, err
	}
	if page.State != catalog.PageUnknown {
		return c.outcome(ctx, page, true)
	}
	prof, err := c.cfg.Catalog.Profile(ctx, page.ServiceID)
	if err != nil {
		return Response{}, fmt.Errorf("page %s: %w", page.ServiceRef, err)
	}
	final := c.cfg.Now().Sub(firstTime(page.ClaimedAt, page.UpdatedAt)) >= c.cfg.LookupFor
	p, settled, err := c.lookUp(ctx, page, prof.Service, final)
	if err != nil && !errors.Is(err, context.Canceled) {
		c.cfg.Log.WarnContext(ctx, "look up unconfirmed page", "service", page.ServiceRef, "token", page.Token, "err", err)
	}
	return c.settledReply(p, settled, err), nil
}

// unconfirmed says a page may have gone through: PagerDuty did not confirm
// it in time. It is never "NOT paged". following: Switchboard is looking
// the incident up and will update the answer.
func (c *pageCommand) unconfirmed(page catalog.Page, following bool) Response {
	text := fmt.Sprintf("%s: %s (“%s”).", unconfirmedText, page.ServiceRef, page.Message)
	blocks := []Block{&Section{Text: T(Bold(unconfirmedText), Plain(": "), Bold(page.ServiceRef), Plain(" — “"+page.Message+"”."))}}
	if len(page.OnCall) > 0 {
		reach := T(Plain("Reach the on-call directly: "))
		reach = append(reach, peopleText(page.OnCall)...)
		blocks = append(blocks, &Section{Text: reach})
		text += " Reach the on-call directly: " + peopleText(page.OnCall).String() + "."
	} else {
		blocks = append(blocks, &Section{Text: T(Plain("Reach the on-call directly: "), Code("/oncall "+page.ServiceRef), Plain(" shows who it is."))})
		text += " Reach the on-call directly (/oncall " + page.ServiceRef + ")."
	}
	how := "Click Check again to look for its incident in PagerDuty (by the page's dedup key, " + page.DedupKey + ")."
	if following {
		how = "Switchboard is looking for its incident in PagerDuty (by the page's dedup key, " + page.DedupKey + ") and will update this message when it knows."
	}
	if page.Error != "" {
		how = "Why: " + page.Error + ". " + how
	}
	blocks = append(blocks,
		&Context{Text: T(Plain(how))},
		&Actions{Buttons: []Button{{Label: "Check again", Command: "/page --check " + page.Token}}},
	)
	return Response{Text: text, Blocks: blocks}
}
