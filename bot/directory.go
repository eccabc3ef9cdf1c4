package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/switchboard-dev/switchboard/commands"
)

// userCacheTTL is how long what Slack says of a user is kept.
const userCacheTTL = time.Hour

// failureCacheTTL is how long a failed users.info is remembered: a command
// must not wait on a failing Slack call each time.
const failureCacheTTL = 5 * time.Minute

// groupCacheTTL is how long the members of the paging user groups are
// kept.
const groupCacheTTL = 5 * time.Minute

// userInfoTimeout bounds a users.info call made while a command waits.
const userInfoTimeout = 1500 * time.Millisecond

// errNoSlackUser is users.lookupByEmail's "users_not_found": Slack has
// nobody with that email.
const errNoSlackUser = "users_not_found"

// Directory is Slack's directory of people, over the Web API: who a user is
// by id (users.info) and by email (users.lookupByEmail), both cached for an
// hour; direct messages (chat.postMessage to a user); and the members of
// user groups (usergroups.users.list), for the paging policy.
//
// It needs nothing but the Slack client, so it is built first: the
// commands that look people up or message them take it, and the bot that
// serves those commands is built after them and takes it too (for who sent
// each request). It is commands.SlackDirectory, commands.UserDirectory,
// commands.DirectMessenger, commands.Notifier and rosters.SlackDirectory.
// It is safe for concurrent use.
type Directory struct {
	api     *slack.Client
	metrics *Metrics
	log     *slog.Logger
	// now is the clock of the caches.
	now func() time.Time

	mu      sync.Mutex
	byID    map[string]cachedUser
	byEmail map[string]cachedID
}

type cachedUser struct {
	user commands.User
	// err is why users.info failed; the entry is then kept
	// failureCacheTTL only.
	err error
	at  time.Time
}

type cachedID struct {
	id string
	at time.Time
}

// NewDirectory returns the directory over api (required). Failed Slack
// calls are counted in metrics (nil: not counted) and logged to log (nil:
// not logged).
func NewDirectory(api *slack.Client, metrics *Metrics, log *slog.Logger) *Directory {
	if metrics == nil {
		metrics = NewMetrics(nil)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Directory{api: api, metrics: metrics, log: log, now: time.Now,
		byID: map[string]cachedUser{}, byEmail: map[string]cachedID{}}
}

// lookUser returns who userID is, with their email (users.info, cached for
// an hour; a failure is remembered for five minutes).
func (d *Directory) lookUser(ctx context.Context, userID string) (commands.User, error) {
	d.mu.Lock()
	c, ok := d.byID[userID]
	d.mu.Unlock()
	ttl := userCacheTTL
	if c.err != nil {
		ttl = failureCacheTTL
	}
	if ok && d.now().Sub(c.at) < ttl {
		return c.user, c.err
	}
	ctx, cancel := context.WithTimeout(ctx, userInfoTimeout)
	defer cancel()
	u := commands.User{ID: userID}
	info, err := d.api.GetUserInfoContext(ctx, userID)
	if err != nil {
		d.metrics.slackError("users.info")
		err = fmt.Errorf("users.info %s: %w", userID, err)
	} else {
		u.Email = info.Profile.Email
		u.Name = info.RealName
		if u.Name == "" {
			u.Name = info.Name
		}
	}
	d.mu.Lock()
	d.byID[userID] = cachedUser{user: u, err: err, at: d.now()}
	d.mu.Unlock()
	return u, err
}

// user returns who userID is, with their email; when Slack cannot say, the
// id and the name given (that of the request) are returned.
func (d *Directory) user(ctx context.Context, userID, name string) commands.User {
	if userID == "" {
		return commands.User{Name: name}
	}
	u, err := d.lookUser(ctx, userID)
	if err != nil {
		d.log.Warn("users.info", "user", userID, "err", err)
		return commands.User{ID: userID, Name: name}
	}
	if u.Name == "" {
		u.Name = name
	}
	return u
}

// UserByID tells who a Slack user is, with their email when Slack shares
// it (users.info, cached): commands.UserDirectory. It fails when Slack
// could not say, the Slack error wrapped (a slack.SlackErrorResponse such
// as "user_not_found" when Slack answered).
func (d *Directory) UserByID(ctx context.Context, id string) (commands.User, error) {
	u, err := d.lookUser(ctx, id)
	if err != nil {
		return commands.User{ID: id}, fmt.Errorf("slack user %s: %w", id, err)
	}
	return u, nil
}

// UserIDByEmail finds the Slack user with email (users.lookupByEmail,
// cached for an hour; "" when Slack has nobody with it):
// commands.SlackDirectory and rosters.SlackDirectory.
func (d *Directory) UserIDByEmail(ctx context.Context, email string) (string, error) {
	key := strings.ToLower(strings.TrimSpace(email))
	d.mu.Lock()
	c, ok := d.byEmail[key]
	d.mu.Unlock()
	if ok && d.now().Sub(c.at) < userCacheTTL {
		return c.id, nil
	}
	u, err := d.api.GetUserByEmailContext(ctx, key)
	id := ""
	switch {
	case err == nil:
		id = u.ID
	case slackError(err) == errNoSlackUser:
	default:
		d.metrics.slackError("users.lookupByEmail")
		return "", fmt.Errorf("users.lookupByEmail: %w", err)
	}
	d.mu.Lock()
	d.byEmail[key] = cachedID{id: id, at: d.now()}
	d.mu.Unlock()
	return id, nil
}

// slackError is the error code of a Web API answer with ok false
// ("users_not_found", "channel_not_found", ...), "" when err is something
// else (a transport failure, a rate limit, ...).
func slackError(err error) string {
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		return se.Err
	}
	return ""
}

// Notify sends resp to a user by direct message: commands.Notifier.
func (d *Directory) Notify(ctx context.Context, userID string, resp commands.Response) error {
	if _, _, err := d.api.PostMessageContext(ctx, userID, messageOptions(resp)...); err != nil {
		d.metrics.slackError("chat.postMessage")
		return fmt.Errorf("chat.postMessage to %s: %w", userID, err)
	}
	return nil
}

// SendDirect sends resp to a person by direct message, finding their Slack
// account by email when the catalog has no Slack id:
// commands.DirectMessenger. It fails with commands.ErrNoSlackAccount when
// Slack has nobody with the email.
func (d *Directory) SendDirect(ctx context.Context, to commands.Recipient, resp commands.Response) (string, error) {
	id := to.SlackUserID
	if id == "" {
		var err error
		if id, err = d.UserIDByEmail(ctx, to.Email); err != nil {
			return "", fmt.Errorf("find %s in Slack: %w", to.Email, err)
		}
		if id == "" {
			return "", fmt.Errorf("%w with the email %s", commands.ErrNoSlackAccount, to.Email)
		}
	}
	if err := d.Notify(ctx, id, resp); err != nil {
		return "", fmt.Errorf("message %s: %w", id, err)
	}
	return id, nil
}

// UserGroupMembers returns the user ids of a user group's members
// (usergroups.users.list, not cached).
func (d *Directory) UserGroupMembers(ctx context.Context, groupID string) ([]string, error) {
	users, err := d.api.GetUserGroupMembersContext(ctx, groupID)
	if err != nil {
		d.metrics.slackError("usergroups.users.list")
		return nil, fmt.Errorf("usergroups.users.list %s: %w", groupID, err)
	}
	return users, nil
}

// PagePolicy returns the policy that lets only the members of groups (user
// group ids, S0123...) page; with no groups, everyone may.
func (d *Directory) PagePolicy(groups []string) *UserGroupPolicy {
	return &UserGroupPolicy{dir: d, groups: groups}
}

// UserGroupPolicy lets only members of some Slack user groups page:
// commands.PagePolicy. Directory.PagePolicy makes one.
type UserGroupPolicy struct {
	dir    *Directory
	groups []string

	mu    sync.Mutex
	at    time.Time
	allow map[string]bool
}

// MayPage reports whether userID is in one of the groups (membership is
// read at most every five minutes).
func (p *UserGroupPolicy) MayPage(ctx context.Context, userID string) (bool, string, error) {
	if len(p.groups) == 0 {
		return true, "", nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.allow == nil || p.dir.now().Sub(p.at) > groupCacheTTL {
		allow := map[string]bool{}
		for _, g := range p.groups {
			users, err := p.dir.UserGroupMembers(ctx, g)
			if err != nil {
				return false, "", fmt.Errorf("who may page: %w", err)
			}
			for _, u := range users {
				allow[u] = true
			}
		}
		p.allow, p.at = allow, p.dir.now()
	}
	if p.allow[userID] {
		return true, "", nil
	}
	return false, "paging is limited to the members of these Slack user groups: " + strings.Join(p.groups, ", ") + "; ask one of them, or your Slack admin to add you", nil
}
