package main

import (
	"github.com/switchboard-dev/switchboard/bot/fakeslack"
	"github.com/switchboard-dev/switchboard/web"
)

// Demo credentials of Sign in with Slack against the in-process fake Slack
// (WEB_AUTH=slack in the demo, without SLACK_CLIENT_ID).
const (
	demoClientID     = "demo-client-id"
	demoClientSecret = "demo-client-secret-not-for-production"
	demoSessionKey   = "demo-session-key-only-for-the-demo-never-in-production"
)

// demoWebEnv is the web catalog's configuration in the demo, over the
// environment: no sign-in unless WEB_AUTH says otherwise (an explicit
// choice for a local demo), the catalog's address its own, and with
// WEB_AUTH=slack and no app of one's own, Sign in with Slack through the
// fake Slack as the first sample person.
func demoWebEnv(getenv func(string) string, fake *fakeslack.Server, users []fakeslack.User, base string) map[string]string {
	out := map[string]string{}
	if getenv("WEB_AUTH") == "" {
		out["WEB_AUTH"] = web.AuthNone
	}
	if getenv("WEB_BASE_URL") == "" {
		out["WEB_BASE_URL"] = base
	}
	if getenv("WEB_AUTH") == web.AuthSlack && getenv("SLACK_CLIENT_ID") == "" && len(users) > 0 {
		if err := fake.EnableOIDC(demoClientID, demoClientSecret, users[0].ID); err == nil {
			out["SLACK_CLIENT_ID"], out["SLACK_CLIENT_SECRET"] = demoClientID, demoClientSecret
			out["SLACK_OIDC_URL"] = fake.Issuer()
			if getenv("WEB_SESSION_KEY") == "" {
				out["WEB_SESSION_KEY"] = demoSessionKey
			}
		}
	}
	return out
}

// demoWebAuth says in the banner how the demo's web catalog signs people in.
func demoWebAuth(mode string) string {
	switch mode {
	case web.AuthNone:
		return "none, WEB_AUTH=none: anyone who reaches this address can read the catalog"
	case web.AuthProxy:
		return "the SSO proxy's header"
	case web.AuthSlack:
		return "Sign in with Slack"
	}
	return "off"
}
