package sampleorg

import (
	"path"
	"time"

	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
)

// recent is one change of the sample's last day: ago before now; by is
// the index of the author among the repo's group members.
type recent struct {
	kind string // "merge", "push" or "deploy"
	// title is the merge request's or commit's, or what a deployment
	// deployed.
	title string
	ago   time.Duration
	by    int
	// env and status are a deployment's (status success when empty).
	env, status string
}

// recentHistory is what changed around checkout-api in the last day (it
// and what it depends on: auth-service, payment-gateway, pricing-engine,
// basket-service), so that /changes checkout-api tells an incident's
// story: a retry merged and deployed, a hotfix pushed straight to main, a
// dependency's failed deployment rolled forward, an older change outside
// the default window.
var recentHistory = map[string][]recent{
	"checkout-api": {
		{kind: "merge", title: "Retry card authorisations once on a 502 from payment-gateway", ago: 5 * time.Hour},
		{kind: "deploy", title: "Retry card authorisations once on a 502 from payment-gateway", env: "staging", ago: 4*time.Hour + 40*time.Minute, by: 1},
		{kind: "deploy", title: "Retry card authorisations once on a 502 from payment-gateway", env: "production", ago: 4 * time.Hour, by: 1},
		{kind: "push", title: "Hotfix: raise the payment-gateway timeout to 3s", ago: 50 * time.Minute, by: 2},
		{kind: "deploy", title: "Hotfix: raise the payment-gateway timeout to 3s", env: "production", ago: 40 * time.Minute, by: 2},
	},
	"payment-gateway": {
		{kind: "merge", title: "Switch the fraud-scoring client to gRPC", ago: 7 * time.Hour, by: 1},
		{kind: "deploy", title: "Switch the fraud-scoring client to gRPC", env: "production", status: "failed", ago: 6*time.Hour + 30*time.Minute, by: 1},
		{kind: "deploy", title: "Switch the fraud-scoring client to gRPC (retried)", env: "production", ago: 6 * time.Hour, by: 1},
	},
	"auth-service": {
		{kind: "merge", title: "Rotate session signing keys", ago: 20 * time.Hour},
		{kind: "deploy", title: "Rotate session signing keys", env: "production", ago: 19 * time.Hour},
	},
	"pricing-engine": {
		{kind: "merge", title: "Cache price lists for five minutes", ago: 3 * time.Hour, by: 2},
		{kind: "deploy", title: "Cache price lists for five minutes", env: "staging", ago: 2 * time.Hour, by: 2},
	},
	"basket-service": {
		{kind: "deploy", title: "Show the basket total with tax", env: "production", ago: 3 * 24 * time.Hour},
	},
}

// addHistory gives a sample repo its recent history (recentHistory, by
// the repo's last path segment): merged merge requests after its older
// ones (addMerges), direct pushes and deployments.
func addHistory(p *fakegitlab.Project, now time.Time, authors []fakegitlab.Member) {
	hist := recentHistory[path.Base(p.Path)]
	if len(hist) == 0 {
		return
	}
	who := func(i int) fakegitlab.Member {
		if len(authors) == 0 {
			return fakegitlab.Member{ID: 1, Username: "root", Name: "Administrator", Email: "admin@" + Domain}
		}
		return authors[i%len(authors)]
	}
	for _, h := range hist {
		at := now.Add(-h.ago).Truncate(time.Second)
		switch h.kind {
		case "merge":
			p.MergedMergeRequests = append(p.MergedMergeRequests, fakegitlab.MergedMergeRequest{Title: h.title, Author: who(h.by), MergedAt: at})
		case "push":
			p.DirectPushes = append(p.DirectPushes, fakegitlab.DirectPush{Title: h.title, Author: who(h.by), At: at})
		case "deploy":
			p.Deployments = append(p.Deployments, fakegitlab.Deployment{Title: h.title, Environment: h.env, Status: h.status, User: who(h.by), At: at})
		}
		if at.After(p.LastActivity) {
			p.LastActivity = at
		}
	}
}
