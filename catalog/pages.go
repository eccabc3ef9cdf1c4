package catalog

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// States of a page. A page is created pending; Page or Cancel moves it on
// once: pending -> sending -> sent or failed, pending -> cancelled, or
// pending -> expired when its confirmation is clicked too late. A failed page
// may be claimed again (sending) to retry it with the same dedup key.
const (
	PagePending   = "pending"
	PageSending   = "sending"
	PageSent      = "sent"
	PageFailed    = "failed"
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
	sent_at, incident_id, incident_number, incident_url, via, error`

func scanPage(row pgx.Row) (Page, error) {
	var (
		p      Page
		onCall []byte
		sentAt *time.Time
	)
	err := row.Scan(&p.Token, &p.ServiceID, &p.ServiceRef, &p.RequesterID, &p.RequesterName, &p.RequesterEmail,
		&p.ChannelID, &p.Message, &p.DedupKey, &onCall, &p.AcknowledgedToken, &p.State, &p.CreatedAt, &p.UpdatedAt,
		&sentAt, &p.IncidentID, &p.IncidentNumber, &p.IncidentURL, &p.Via, &p.Error)
	if err != nil {
		return Page{}, err
	}
	if sentAt != nil {
		p.SentAt = *sentAt
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
// call left it in. Returns ErrNotFound if there is no such page.
func (s *Store) MovePage(ctx context.Context, token string, from []string, to string, at time.Time) (Page, bool, error) {
	return s.movePage(ctx, token, from, to, at, time.Time{})
}

// ClaimPage moves the page with token from one of the states from to
// sending, like MovePage. A page left in sending since before staleBefore
// (its sender died before recording the outcome) may be claimed too, so a
// page is never stuck; its dedup key makes the second send harmless. A
// zero staleBefore never reclaims.
func (s *Store) ClaimPage(ctx context.Context, token string, from []string, at, staleBefore time.Time) (Page, bool, error) {
	return s.movePage(ctx, token, from, PageSending, at, staleBefore)
}

func (s *Store) movePage(ctx context.Context, token string, from []string, to string, at, staleBefore time.Time) (Page, bool, error) {
	var stale *time.Time
	if !staleBefore.IsZero() {
		stale = &staleBefore
	}
	p, err := scanPage(s.pool.QueryRow(ctx, `
		UPDATE pages SET state = $3, updated_at = $4
		WHERE token = $1 AND (state = ANY($2) OR (state = 'sending' AND $5::timestamptz IS NOT NULL AND updated_at < $5))
		RETURNING `+pageColumns, token, from, to, at, stale))
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

// AcknowledgePage records, on a pending page, the recent page of the same
// service its requester has now been shown, and who is on call. Returns
// ErrNotFound if there is no pending page with token.
func (s *Store) AcknowledgePage(ctx context.Context, token, recentToken string, onCall []PageTarget, at time.Time) (Page, error) {
	b, err := encodeTargets(onCall)
	if err != nil {
		return Page{}, fmt.Errorf("acknowledge page: %w", err)
	}
	p, err := scanPage(s.pool.QueryRow(ctx, `
		UPDATE pages SET acknowledged_token = $2, on_call = $3, updated_at = $4
		WHERE token = $1 AND state = 'pending'
		RETURNING `+pageColumns, token, recentToken, b, at))
	if err != nil {
		return Page{}, fmt.Errorf("acknowledge page: %w", translate(err))
	}
	return p, nil
}

// FinishPage records the outcome of a page being sent: p.State is sent
// (with SentAt, the incident and Via) or failed (with Error); p.OnCall
// replaces who was on call. Only a page in state sending changes: returns
// ErrConflict if the page is not sending, ErrInvalid for another state.
func (s *Store) FinishPage(ctx context.Context, p Page) (Page, error) {
	if p.State != PageSent && p.State != PageFailed {
		return Page{}, fmt.Errorf("finish page: %w: state %q, want sent or failed", ErrInvalid, p.State)
	}
	b, err := encodeTargets(p.OnCall)
	if err != nil {
		return Page{}, fmt.Errorf("finish page: %w", err)
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
		WHERE token = $1 AND state = 'sending'
		RETURNING `+pageColumns,
		p.Token, p.State, sentAt, p.IncidentID, p.IncidentNumber, p.IncidentURL, p.Via, p.Error, b, at))
	if err != nil {
		err = translate(err)
		if errors.Is(err, ErrNotFound) {
			err = fmt.Errorf("%w: page is not being sent", ErrConflict)
		}
		return Page{}, fmt.Errorf("finish page %s: %w", p.ServiceRef, err)
	}
	return out, nil
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
