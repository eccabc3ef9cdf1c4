package catalog

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// States of a page. A page is created pending; Page or Cancel moves it on
// once: pending -> sending -> sent, failed or unknown, pending -> cancelled,
// or pending -> expired when its confirmation is clicked too late. An
// unknown page (PagerDuty did not answer, the page may have gone through)
// becomes sent when its incident is found, failed when PagerDuty is known to
// hold none. A failed page may be claimed again (sending) to retry it with
// the same dedup key.
const (
	PagePending   = "pending"
	PageSending   = "sending"
	PageSent      = "sent"
	PageFailed    = "failed"
	PageUnknown   = "unknown"
	PageCancelled = "cancelled"
	PageExpired   = "expired"
)

// DedupKeyPrefix starts every page's dedup key; the rest is its token.
const DedupKeyPrefix = "switchboard-"

// Page is a page asked for from Slack: who asked to page which service with
// what message, and what came of it.
type Page struct {
	// Token identifies the page in its confirmation's buttons: 128 random
	// bits, URL-safe base64.
	Token string
	// ServiceID is the catalog service paged; ServiceRef its reference when
	// the page was asked.
	ServiceID  int64
	ServiceRef string
	// RequesterID is the Slack user who asked; RequesterName and
	// RequesterEmail are what the bot knew of them.
	RequesterID    string
	RequesterName  string
	RequesterEmail string
	// ChannelID is where the page was asked.
	ChannelID string
	Message   string
	// DedupKey is what PagerDuty deduplicates on: DedupKeyPrefix + Token.
	DedupKey string
	// OnCall is who was on call at level 1 when the page was asked or sent.
	OnCall []PageTarget
	// AcknowledgedToken is the token of a recent page of the same service
	// the requester was shown before confirming this one.
	AcknowledgedToken string
	State             string
	CreatedAt         time.Time
	UpdatedAt         time.Time
	// ClaimedAt is when the page was last claimed to be sent (zero until
	// then).
	ClaimedAt time.Time
	// SentAt is when PagerDuty accepted the page (zero until then).
	SentAt         time.Time
	IncidentID     string
	IncidentNumber int
	IncidentURL    string
	// Via is how the page went: "events" or "rest".
	Via string
	// Error is why the page failed, in words fit for the requester.
	Error string
}

// PageTarget is someone a page reaches.
type PageTarget struct {
	Name        string `json:"name"`
	SlackUserID string `json:"slack_user_id,omitempty"`
}

// NewPageToken returns a fresh page token: 128 bits from crypto/rand in
// URL-safe base64 without padding (22 characters).
func NewPageToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("page token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

const pageColumns = `token, service_id, service_ref, requester_slack_id, requester_name, requester_email,
	channel_id, message, dedup_key, on_call, acknowledged_token, state, created_at, updated_at,
	sent_at, incident_id, incident_number, incident_url, via, error, claimed_at`

func scanPage(row pgx.Row) (Page, error) {
	var (
		p         Page
		onCall    []byte
		sentAt    *time.Time
		claimedAt *time.Time
	)
	err := row.Scan(&p.Token, &p.ServiceID, &p.ServiceRef, &p.RequesterID, &p.RequesterName, &p.RequesterEmail,
		&p.ChannelID, &p.Message, &p.DedupKey, &onCall, &p.AcknowledgedToken, &p.State, &p.CreatedAt, &p.UpdatedAt,
		&sentAt, &p.IncidentID, &p.IncidentNumber, &p.IncidentURL, &p.Via, &p.Error, &claimedAt)
	if err != nil {
		return Page{}, err
	}
	if sentAt != nil {
		p.SentAt = *sentAt
	}
	if claimedAt != nil {
		p.ClaimedAt = *claimedAt
	}
	if err := json.Unmarshal(onCall, &p.OnCall); err != nil {
		return Page{}, fmt.Errorf("decode on-call of page: %w", err)
	}
	return p, nil
}

func encodeTargets(ts []PageTarget) ([]byte, error) {
	if ts == nil {
		ts = []PageTarget{}
	}
	return json.Marshal(ts)
}

// CreatePage stores a new pending page and returns it. A missing Token is
// made with NewPageToken; the DedupKey is always DedupKeyPrefix + Token;
// a zero CreatedAt is the store's clock. Returns ErrInvalid without a
// service, requester or message, ErrConflict if the token is taken.
func (s *Store) CreatePage(ctx context.Context, p Page) (Page, error) {
	p.Message = strings.TrimSpace(p.Message)
	switch {
	case p.ServiceID == 0:
		return Page{}, fmt.Errorf("create page: %w: no service", ErrInvalid)
	case p.RequesterID == "":
		return Page{}, fmt.Errorf("create page: %w: no requester", ErrInvalid)
	case p.Message == "":
		return Page{}, fmt.Errorf("create page: %w: empty message", ErrInvalid)
	}
	if p.Token == "" {
		var err error
		if p.Token, err = NewPageToken(); err != nil {
			return Page{}, fmt.Errorf("create page: %w", err)
		}
	}
	p.DedupKey = DedupKeyPrefix + p.Token
	if p.CreatedAt.IsZero() {
		p.CreatedAt = s.Now()
	}
	onCall, err := encodeTargets(p.OnCall)
	if err != nil {
		return Page{}, fmt.Errorf("create page: %w", err)
	}
	out, err := scanPage(s.pool.QueryRow(ctx, `
		INSERT INTO pages (token, service_id, service_ref, requester_slack_id, requester_name, requester_email,
		                   channel_id, message, dedup_key, on_call, acknowledged_token, state, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12, $12)
		RETURNING `+pageColumns,
		p.Token, p.ServiceID, p.ServiceRef, p.RequesterID, p.RequesterName, p.RequesterEmail,
		p.ChannelID, p.Message, p.DedupKey, onCall, p.AcknowledgedToken, p.CreatedAt))
	if err != nil {
		return Page{}, fmt.Errorf("create page for %s: %w", p.ServiceRef, translate(err))
	}
	return out, nil
}

// GetPage returns the page with token. Returns ErrNotFound if there is none.
func (s *Store) GetPage(ctx context.Context, token string) (Page, error) {
	p, err := scanPage(s.pool.QueryRow(ctx, `SELECT `+pageColumns+` FROM pages WHERE token = $1`, token))
	if err != nil {
		return Page{}, fmt.Errorf("get page: %w", translate(err))
	}
	return p, nil
}

// MovePage moves the page with token from one of the states from to the
// state to, at at, in one statement: of concurrent moves of one page, at
// most one happens. It returns the page as it is afterwards and whether
// this call moved it; when it did not, the page is in the state another
// call left it in. Pages are claimed to be sent with ClaimPage, never
// moved to sending here. Returns ErrNotFound if there is no such page,
// ErrInvalid for to = sending.
func (s *Store) MovePage(ctx context.Context, token string, from []string, to string, at time.Time) (Page, bool, error) {
	if to == PageSending {
		return Page{}, false, fmt.Errorf("move page: %w: claim it to send it", ErrInvalid)
	}
	p, err := scanPage(s.pool.QueryRow(ctx, `
		UPDATE pages SET state = $3, updated_at = $4
		WHERE token = $1 AND state = ANY($2)
		RETURNING `+pageColumns, token, from, to, at))
	if err == nil {
		return p, true, nil
	}
	if err = translate(err); !errors.Is(err, ErrNotFound) {
		return Page{}, false, fmt.Errorf("move page to %s: %w", to, err)
	}
	p, err = s.GetPage(ctx, token)
	if err != nil {
		return Page{}, false, fmt.Errorf("move page to %s: %w", to, err)
	}
	return p, false, nil
}

// PageClaim asks to send a page: to move it to sending.
type PageClaim struct {
	// Token is the page's.
	Token string
	// From are the states it may be claimed from (pending; failed for a
	// retry).
	From []string
	// At is now.
	At time.Time
	// StaleBefore: a page sending since before it lost its sender (the
	// replica died before recording the outcome): it may be claimed again,
	// and as another page of the service it counts as unknown. Zero: never
	// stale.
	StaleBefore time.Time
	// RecentSince: another page of the same service claimed since then
	// that is sending, unknown or sent holds this claim back, unless it is
	// the page the requester acknowledged (AcknowledgePage). Zero: no
	// other page holds it back.
	RecentSince time.Time
}

// PageClaimResult is what came of a claim.
type PageClaimResult struct {
	// Page is the page as it is afterwards.
	Page Page
	// Claimed: this call moved the page to sending; the caller sends it
	// and records the outcome with FinishPage.
	Claimed bool
	// Recent, when the claim was held back by another page of the same
	// service, is that page (the newest one): show it and ask again.
	Recent *Page
}

// ClaimPage claims a page to send it: it moves the page to sending if it
// is in one of c.From (or stuck sending since before c.StaleBefore) and no
// other page of the service holds it back (see PageClaim.RecentSince).
// Claims of the pages of one service are serialised across replicas by a
// transaction-scoped advisory lock on the service, held only while
// claiming (milliseconds), never while the page is sent: the sending row is
// the claim. So of two confirmations of different pages of one service, a
// fraction of a second apart, the second sees the first, whether it is
// sending or sent; and of concurrent claims of one page, one wins.
// Returns ErrNotFound if there is no such page.
func (s *Store) ClaimPage(ctx context.Context, c PageClaim) (PageClaimResult, error) {
	var res PageClaimResult
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		res, err = claimPage(ctx, tx, c)
		return err
	})
	if err != nil {
		return PageClaimResult{}, fmt.Errorf("claim page: %w", translate(err))
	}
	return res, nil
}

func claimPage(ctx context.Context, tx pgx.Tx, c PageClaim) (PageClaimResult, error) {
	p, err := scanPage(tx.QueryRow(ctx, `SELECT `+pageColumns+` FROM pages WHERE token = $1 FOR UPDATE`, c.Token))
	if err != nil {
		return PageClaimResult{}, err
	}
	stale := p.State == PageSending && !c.StaleBefore.IsZero() && p.UpdatedAt.Before(c.StaleBefore)
	if !slices.Contains(c.From, p.State) && !stale {
		return PageClaimResult{Page: p}, nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('switchboard:page:' || $1::bigint, 0))`, p.ServiceID); err != nil {
		return PageClaimResult{}, fmt.Errorf("lock the pages of service %d: %w", p.ServiceID, err)
	}
	if !c.RecentSince.IsZero() {
		// A statement after the lock: it sees every claim committed before.
		recent, err := scanPage(tx.QueryRow(ctx, recentPageSQL, p.ServiceID, p.Token, c.RecentSince))
		switch {
		case err == nil && recent.Token != p.AcknowledgedToken:
			return PageClaimResult{Page: p, Recent: &recent}, nil
		case err != nil && !errors.Is(err, pgx.ErrNoRows):
			return PageClaimResult{}, fmt.Errorf("recent pages of service %d: %w", p.ServiceID, err)
		}
	}
	p, err = scanPage(tx.QueryRow(ctx, `
		UPDATE pages SET state = 'sending', updated_at = $2, claimed_at = $2, error = ''
		WHERE token = $1
		RETURNING `+pageColumns, p.Token, c.At))
	if err != nil {
		return PageClaimResult{}, err
	}
	return PageClaimResult{Page: p, Claimed: true}, nil
}

// AcknowledgePage records, on a pending or failed page, the recent page of
// the same service its requester has now been shown, and who is on call
// (nil keeps who was). Returns ErrNotFound if there is no pending or
// failed page with token.
func (s *Store) AcknowledgePage(ctx context.Context, token, recentToken string, onCall []PageTarget, at time.Time) (Page, error) {
	b, err := encodeTargets(onCall)
	if err != nil {
		return Page{}, fmt.Errorf("acknowledge page: %w", err)
	}
	p, err := scanPage(s.pool.QueryRow(ctx, `
		UPDATE pages SET acknowledged_token = $2, on_call = CASE WHEN $5 THEN on_call ELSE $3 END, updated_at = $4
		WHERE token = $1 AND state IN ('pending', 'failed')
		RETURNING `+pageColumns, token, recentToken, b, at, onCall == nil))
	if err != nil {
		return Page{}, fmt.Errorf("acknowledge page: %w", translate(err))
	}
	return p, nil
}

// FinishPage records the outcome of a page being sent: p.State is sent
// (with SentAt, the incident and Via), failed (with Error) or unknown (with
// Error: PagerDuty did not confirm it); p.OnCall replaces who was on call.
// Only a page in state sending changes: returns ErrConflict if the page is
// not sending, ErrInvalid for another state.
func (s *Store) FinishPage(ctx context.Context, p Page) (Page, error) {
	if p.State != PageSent && p.State != PageFailed && p.State != PageUnknown {
		return Page{}, fmt.Errorf("finish page: %w: state %q, want sent, failed or unknown", ErrInvalid, p.State)
	}
	out, ok, err := s.recordOutcome(ctx, p, PageSending)
	if err != nil {
		return Page{}, fmt.Errorf("finish page %s: %w", p.ServiceRef, err)
	}
	if !ok {
		return Page{}, fmt.Errorf("finish page %s: %w: page is %s, not being sent", p.ServiceRef, ErrConflict, out.State)
	}
	return out, nil
}

// SettlePage records what became of a page whose outcome was unknown:
// p.State is sent (its incident was found: SentAt, the incident, Via) or
// failed (PagerDuty holds no incident for it: Error). Of concurrent
// settlements one happens; it returns the page as it is afterwards and
// whether this call settled it. Returns ErrInvalid for another state,
// ErrNotFound if there is no such page.
func (s *Store) SettlePage(ctx context.Context, p Page) (Page, bool, error) {
	if p.State != PageSent && p.State != PageFailed {
		return Page{}, false, fmt.Errorf("settle page: %w: state %q, want sent or failed", ErrInvalid, p.State)
	}
	out, ok, err := s.recordOutcome(ctx, p, PageUnknown)
	if err != nil {
		return Page{}, false, fmt.Errorf("settle page %s: %w", p.ServiceRef, err)
	}
	return out, ok, nil
}

// recordOutcome writes p's outcome if the page is in state from; when it
// is not, it returns the page as it is.
func (s *Store) recordOutcome(ctx context.Context, p Page, from string) (Page, bool, error) {
	b, err := encodeTargets(p.OnCall)
	if err != nil {
		return Page{}, false, err
	}
	var sentAt *time.Time
	if p.State == PageSent {
		sentAt = &p.SentAt
		if p.SentAt.IsZero() {
			now := s.Now()
			sentAt = &now
		}
	}
	at := p.UpdatedAt
	if at.IsZero() {
		at = s.Now()
	}
	out, err := scanPage(s.pool.QueryRow(ctx, `
		UPDATE pages SET state = $2, sent_at = $3, incident_id = $4, incident_number = $5, incident_url = $6,
		                 via = $7, error = $8, on_call = $9, updated_at = $10
		WHERE token = $1 AND state = $11
		RETURNING `+pageColumns,
		p.Token, p.State, sentAt, p.IncidentID, p.IncidentNumber, p.IncidentURL, p.Via, p.Error, b, at, from))
	if err == nil {
		return out, true, nil
	}
	if err = translate(err); !errors.Is(err, ErrNotFound) {
		return Page{}, false, err
	}
	out, err = s.GetPage(ctx, p.Token)
	if err != nil {
		return Page{}, false, err
	}
	return out, false, nil
}

// recentPageSQL selects the newest page of service $1 but the one with
// token $2, claimed at or after $3, that is sending, unknown or sent: a
// page that may have reached the on-call (ClaimPage, RecentPage).
const recentPageSQL = `SELECT ` + pageColumns + ` FROM pages
	WHERE service_id = $1 AND token <> $2 AND state IN ('sending', 'unknown', 'sent') AND claimed_at >= $3
	ORDER BY claimed_at DESC LIMIT 1`

// RecentPage returns the newest page of the service with id serviceID
// claimed at or after since that is sending, unknown or sent: a page that
// may have reached the on-call. Returns ErrNotFound if there is none.
func (s *Store) RecentPage(ctx context.Context, serviceID int64, since time.Time) (Page, error) {
	// No page has the empty token: none is left out.
	p, err := scanPage(s.pool.QueryRow(ctx, recentPageSQL, serviceID, "", since))
	if err != nil {
		return Page{}, fmt.Errorf("recent page of service %d: %w", serviceID, translate(err))
	}
	return p, nil
}

// LastSentPage returns the newest page of the service with id serviceID
// that PagerDuty accepted at or after since. Returns ErrNotFound if there
// is none.
func (s *Store) LastSentPage(ctx context.Context, serviceID int64, since time.Time) (Page, error) {
	p, err := scanPage(s.pool.QueryRow(ctx, `
		SELECT `+pageColumns+` FROM pages
		WHERE service_id = $1 AND state = 'sent' AND sent_at >= $2
		ORDER BY sent_at DESC LIMIT 1`, serviceID, since))
	if err != nil {
		return Page{}, fmt.Errorf("last page of service %d: %w", serviceID, translate(err))
	}
	return p, nil
}

// PageLookup asks for an unconfirmed page's incident to be looked up by its
// dedup key in the background, and the requester's answer corrected once it
// is known.
type PageLookup struct {
	// Token is the page's.
	Token string
	// AnswerTo is where the correction goes: the transport's address of
	// the request's later answers (Slack: its response_url), kept with the
	// lookup so that any replica can answer.
	AnswerTo string
	// Every is the pause between tries; Until when the last try is due
	// (real time: it waits on PagerDuty, not the catalog's clock).
	Every time.Duration
	Until time.Time
}

// FollowPage hands the lookups of an unconfirmed page to PageLookups. It
// returns false when the store has none (the caller looks the incident up
// itself, in memory).
func (s *Store) FollowPage(ctx context.Context, l PageLookup) (bool, error) {
	if s.PageLookups == nil {
		return false, nil
	}
	if err := s.PageLookups(ctx, l); err != nil {
		return false, fmt.Errorf("follow page %s: %w", l.Token, err)
	}
	return true, nil
}
