package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// TokenStore keeps the API's tokens and the audit log (*catalog.Store).
type TokenStore interface {
	// CreateAPIToken issues a token; it returns catalog.ErrInvalid for a
	// bad name, catalog.ErrConflict for a name in use.
	CreateAPIToken(ctx context.Context, name, by string) (catalog.APIToken, string, error)
	// RevokeAPIToken revokes a valid token, or returns catalog.ErrNotFound.
	RevokeAPIToken(ctx context.Context, name, by string) (catalog.APIToken, error)
	// APITokens lists the tokens, revoked ones when withRevoked.
	APITokens(ctx context.Context, withRevoked bool) ([]catalog.APIToken, error)
	// Audit appends to the audit log.
	Audit(ctx context.Context, e catalog.AuditEntry) error
}

// TokenConfig configures /switchboard token.
type TokenConfig struct {
	Store TokenStore
	// Admins decides who may create, revoke and list tokens: the members
	// of the standards file's api.token_admins_usergroups (the paging
	// policy over those groups). nil: nobody, in Slack.
	Admins PagePolicy
}

// Switchboard is /switchboard token create NAME | revoke NAME | list: the
// JSON API's and MCP server's bearer tokens, for their admins. A created
// token is shown once, to its creator only (the answer is ephemeral and
// cannot be shared); the catalog keeps its hash. Every creation,
// revocation and refusal is audited.
func Switchboard(cfg TokenConfig) Command {
	return Command{
		Name:    "/switchboard",
		Usage:   "token create NAME | token revoke NAME | token list",
		Summary: "Admins: create, revoke and list the API's tokens",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			fields := strings.Fields(req.Text)
			if len(fields) == 0 || fields[0] != "token" || len(fields) < 2 {
				return usage("/switchboard", "token create NAME | token revoke NAME | token list", "(API tokens for other tools: see the API's documentation)."), nil
			}
			verb, args := fields[1], fields[2:]
			want := map[string]int{"create": 1, "revoke": 1, "list": 0}
			n, known := want[verb]
			if !known || len(args) != n {
				return usage("/switchboard", "token create NAME | token revoke NAME | token list", "(a token's name is one word, e.g. deploy-pipeline)."), nil
			}
			if cfg.Store == nil {
				return textResponse(T(Plain("API tokens need the catalog's database, which this Switchboard has not."))), nil
			}
			if resp, refused, err := refuseToken(ctx, cfg, req.User, verb, args); err != nil || refused {
				return resp, err
			}
			switch verb {
			case "create":
				return createToken(ctx, cfg, req.User, args[0])
			case "revoke":
				return revokeToken(ctx, cfg, req.User, args[0])
			}
			return listTokens(ctx, cfg)
		},
	}
}

// refuseToken answers someone who may not manage tokens, and audits it.
func refuseToken(ctx context.Context, cfg TokenConfig, u User, verb string, args []string) (Response, bool, error) {
	if cfg.Admins != nil {
		ok, _, err := cfg.Admins.MayPage(ctx, u.ID)
		if err != nil {
			return Response{}, false, fmt.Errorf("may %s manage api tokens: %w", u.ID, err)
		}
		if ok {
			return Response{}, false, nil
		}
	}
	subject := "api_token"
	if len(args) > 0 {
		subject += ":" + args[0]
	}
	if err := cfg.Store.Audit(ctx, catalog.AuditEntry{Actor: u.ID, Action: "api_token." + verb, Subject: subject, Result: "refused"}); err != nil {
		return Response{}, false, fmt.Errorf("audit refused api token %s: %w", verb, err)
	}
	t := T(Bold("You may not manage API tokens"), Plain(": that is limited to the members of the Slack user groups in the standards file's "),
		Code("api.token_admins_usergroups"))
	if cfg.Admins == nil {
		t = append(t, Plain(", and it names none. An administrator can use "), Code("switchboard token create NAME"), Plain(" on the command line."))
	} else {
		t = append(t, Plain(". Ask one of them."))
	}
	return textResponse(t), true, nil
}

func createToken(ctx context.Context, cfg TokenConfig, u User, name string) (Response, error) {
	t, secret, err := cfg.Store.CreateAPIToken(ctx, name, u.ID)
	if errors.Is(err, catalog.ErrInvalid) || errors.Is(err, catalog.ErrConflict) {
		return textResponse(T(Plain("No token created: " + strings.TrimPrefix(strings.TrimPrefix(err.Error(), "invalid: "), "conflict: ") + "."))), nil
	}
	if err != nil {
		return Response{}, err
	}
	text := fmt.Sprintf("API token %s created. It is shown this once.", t.Name)
	return Response{Text: text, Blocks: []Block{
		&Section{Text: T(Plain("API token "), Bold(t.Name), Plain(" created. Copy it now: it is shown this once, and Switchboard keeps only its hash."))},
		&Section{Text: T(Code(secret))},
		&Context{Text: T(Plain("Send it as "), Code("Authorization: Bearer <token>"), Plain(" to /api/v1/ and /mcp. Revoke it with "), Code("/switchboard token revoke "+t.Name), Plain("."))},
	}}, nil
}

func revokeToken(ctx context.Context, cfg TokenConfig, u User, name string) (Response, error) {
	t, err := cfg.Store.RevokeAPIToken(ctx, name, u.ID)
	if errors.Is(err, catalog.ErrNotFound) {
		return textResponse(T(Plain("No valid API token is named "), Code(name), Plain(". "), Code("/switchboard token list"), Plain(" lists them."))), nil
	}
	if err != nil {
		return Response{}, err
	}
	return textResponse(T(Plain("API token "), Bold(t.Name), Plain(" ("+t.Prefix+"…) revoked: it is refused from now on."))), nil
}

func listTokens(ctx context.Context, cfg TokenConfig) (Response, error) {
	tokens, err := cfg.Store.APITokens(ctx, false)
	if err != nil {
		return Response{}, err
	}
	if len(tokens) == 0 {
		return textResponse(T(Plain("No API tokens. Create one with "), Code("/switchboard token create NAME"), Plain("."))), nil
	}
	lines := []Text{T(Bold(fmt.Sprintf("%d API tokens", len(tokens))))}
	for _, t := range tokens {
		used := "never used"
		if !t.LastUsedAt.IsZero() {
			used = "last used " + t.LastUsedAt.UTC().Format(time.RFC3339)
		}
		lines = append(lines, T(Plain("• "), Bold(t.Name), Plain(fmt.Sprintf(" (%s…) by %s, created %s, %s", t.Prefix, t.CreatedBy, t.CreatedAt.UTC().Format(time.RFC3339), used))))
	}
	return textResponse(Join(lines, "\n")), nil
}
