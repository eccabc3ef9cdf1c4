package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/commands"
)

// userCacheTTL is how long what Slack says of a user is kept.
const userCacheTTL = time.Hour

type cachedUser struct {
	user commands.User
	at   time.Time
}

type cachedID struct {
	id string
	at time.Time
}

// userCache remembers users.info and users.lookupByEmail answers.
type userCache struct {
	mu      sync.Mutex
	byID    map[string]cachedUser
	byEmail map[string]cachedID
}

// user returns who userID is, with their email (users.info, cached for an
// hour). When Slack cannot say, the id and name given are returned.
func (b *Bot) user(ctx context.Context, userID, name string) commands.User {
	u := commands.User{ID: userID, Name: name}
	if userID == "" {
		return u
	}
	b.users.mu.Lock()
	c, ok := b.users.byID[userID]
	b.users.mu.Unlock()
	if ok && time.Since(c.at) < userCacheTTL {
		return c.user
	}
	ctx, cancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer cancel()
	info, err := b.cfg.API.GetUserInfoContext(ctx, userID)
	if err != nil {
		b.metrics.slackError("users.info")
		b.log.Warn("users.info", "user", userID, "err", err)
		// Remember the failure a while too: a command must not wait on a
		// failing Slack call each time.
		b.users.mu.Lock()
		b.users.byID[userID] = cachedUser{user: u, at: time.Now().Add(-userCacheTTL + 5*time.Minute)}
		b.users.mu.Unlock()
		return u
	}
	u.Email = info.Profile.Email
	if info.RealName != "" {
		u.Name = info.RealName
	} else if info.Name != "" {
		u.Name = info.Name
	}
	b.users.mu.Lock()
	b.users.byID[userID] = cachedUser{user: u, at: time.Now()}
	b.users.mu.Unlock()
	return u
}

// UserIDByEmail finds the Slack user with email (users.lookupByEmail,
// cached for an hour; "" when there is none): commands.SlackDirectory.
func (b *Bot) UserIDByEmail(ctx context.Context, email string) (string, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	b.users.mu.Lock()
	c, ok := b.users.byEmail[key]
	b.users.mu.Unlock()
	if ok && time.Since(c.at) < userCacheTTL {
		return c.id, nil
	}
	u, err := b.cfg.API.GetUserByEmailContext(ctx, key)
	id := ""
	switch {
	case err == nil:
		id = u.ID
	case strings.Contains(err.Error(), "users_not_found"):
	default:
		b.metrics.slackError("users.lookupByEmail")
		return "", err
	}
	b.users.mu.Lock()
	b.users.byEmail[key] = cachedID{id: id, at: time.Now()}
	b.users.mu.Unlock()
	return id, nil
}

// UserGroupPolicy lets only members of some Slack user groups page:
// commands.PagePolicy. With no groups, everyone may.
type UserGroupPolicy struct {
	API *slack.Client
	// Groups are user group ids (S0123...).
	Groups []string
	mu     sync.Mutex
	at     time.Time
	allow  map[string]bool
}

// MayPage reports whether userID is in one of the groups (membership is
// read at most every five minutes).
func (p *UserGroupPolicy) MayPage(ctx context.Context, userID string) (bool, string, error) {
	if len(p.Groups) == 0 {
		return true, "", nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.allow == nil || time.Since(p.at) > 5*time.Minute {
		allow := map[string]bool{}
		for _, g := range p.Groups {
			users, err := p.API.GetUserGroupMembersContext(ctx, g)
			if err != nil {
				return false, "", err
			}
			for _, u := range users {
				allow[u] = true
			}
		}
		p.allow, p.at = allow, time.Now()
	}
	if p.allow[userID] {
		return true, "", nil
	}
	return false, "paging is limited to the members of these Slack user groups: " + strings.Join(p.Groups, ", ") + "; ask one of them, or your Slack admin to add you", nil
}

// UserByID tells who a Slack user is (users.info, cached):
// commands.UserDirectory.
func (b *Bot) UserByID(ctx context.Context, id string) (commands.User, error) {
	u := b.user(ctx, id, "")
	if u.Email == "" && u.Name == "" {
		return u, fmt.Errorf("slack user %s: not found or not readable", id)
	}
	return u, nil
}

// SendDirect sends resp to a person by direct message, finding their Slack
// account by email when the catalog has no Slack id: commands.DirectMessenger.
func (b *Bot) SendDirect(ctx context.Context, to commands.Recipient, resp commands.Response) (string, error) {
	id := to.SlackUserID
	if id == "" {
		var err error
		if id, err = b.UserIDByEmail(ctx, to.Email); err != nil {
			return "", fmt.Errorf("find %s in Slack: %w", to.Email, err)
		}
		if id == "" {
			return "", fmt.Errorf("no Slack account with the email %s", to.Email)
		}
	}
	if err := b.Notify(ctx, id, resp); err != nil {
		return "", fmt.Errorf("message %s: %w", id, err)
	}
	return id, nil
}
