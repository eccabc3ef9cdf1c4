// Package mcpserver is Switchboard's MCP server: read-only tools for AI
// assistants (who owns a service, who is on call, which services match,
// what depends on a package, a team's card), answering with structured
// content and a short text summary. Each tool asks the API's Reader, so
// an assistant gets the very answers the slash commands and the JSON API
// give. No tool writes or pages.
package mcpserver

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/switchboard-dev/switchboard/api"
	"github.com/switchboard-dev/switchboard/catalog"
)

// tools are the server's tools, each one registration: adding a tool is
// one more entry.
func tools() []func(s *mcp.Server, r *api.Reader) {
	return []func(s *mcp.Server, r *api.Reader){
		addWhoOwns,
		addOnCall,
		addSearchServices,
		addImpact,
		addTeam,
		addBlast,
		addChanges,
	}
}

// New returns the MCP server over r; version is Switchboard's.
func New(r *api.Reader, version string) *mcp.Server {
	s := mcp.NewServer(&mcp.Implementation{Name: "switchboard", Title: "Switchboard service catalog", Version: version}, &mcp.ServerOptions{
		Instructions: "Switchboard is the organisation's service catalog and on-call switchboard. " +
			"Ask it who owns a service and how to reach them (whoowns), who is on call (oncall), which services match a filter (search_services), " +
			"which services depend on a package or are affected by an advisory (impact), what a team owns (team), " +
			"what depends on a service and what it depends on (blast), and what changed recently in a service and its dependencies (changes). Every tool only reads.",
	})
	for _, add := range tools() {
		add(s, r)
	}
	return s
}

// addTool registers t, titled title and marked as reading only, within
// the catalog: it answers with read's result as structured content (the
// SDK fills it in from the output) and summary's text; read's errors reach
// the assistant through toolError.
func addTool[In, Out any](s *mcp.Server, title string, t *mcp.Tool, read func(context.Context, In) (Out, error), summary func(Out) string) {
	no := false
	t.Annotations = &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, DestructiveHint: &no, OpenWorldHint: &no}
	mcp.AddTool(s, t, func(ctx context.Context, _ *mcp.CallToolRequest, in In) (*mcp.CallToolResult, Out, error) {
		out, err := read(ctx, in)
		if err != nil {
			return nil, out, toolError(err)
		}
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: summary(out)}}}, out, nil
	})
}

// ServiceInput names a service.
type ServiceInput struct {
	Service string `json:"service" jsonschema:"the service's name, an alias, or namespace/name (e.g. checkout-api, storefront/frontend)"`
}

func addWhoOwns(s *mcp.Server, r *api.Reader) {
	addTool(s, "Who owns a service", &mcp.Tool{
		Name: "whoowns",
		Description: "Who owns a service and how to reach them: owning team, Slack channel, people, repos, runbook and other links, " +
			"descriptor status, scorecard level, PagerDuty incident counts (30 and 90 days, out of hours; unknown with why) and its web catalog page. A misspelt name fails with the closest names; a name several services share fails with their namespace/name.",
	}, func(ctx context.Context, in ServiceInput) (api.Service, error) {
		return r.Service(ctx, in.Service)
	}, func(v api.Service) string {
		owner := "nobody"
		if v.Owner != nil {
			owner = "team " + v.Owner.Name
		}
		sum := fmt.Sprintf("%s is owned by %s", v.Ref, owner)
		if v.Channel != nil {
			sum += "; channel " + *v.Channel
		}
		var runbooks []string
		for _, l := range v.Links {
			if l.Kind == "runbook" {
				runbooks = append(runbooks, l.URL)
			}
		}
		if len(runbooks) > 0 {
			sum += "; runbook " + strings.Join(runbooks, ", ")
		}
		if v.Scorecard != nil {
			sum += "; scorecard level " + v.Scorecard.LevelName
		}
		switch in := v.Incidents; in.Status {
		case api.IncidentsKnown:
			sum += fmt.Sprintf("; incidents: %d in 30 days (%d out of hours), %d in 90 days", *in.Last30Days, *in.OutOfHours30Days, *in.Last90Days)
		case api.IncidentsUnknown:
			sum += "; incidents unknown (" + in.Reason + ")"
		}
		if v.WebURL != nil {
			sum += "; page " + *v.WebURL
		}
		return sum + "."
	})
}

// OnCallInput names a service or a team.
type OnCallInput struct {
	Service string `json:"service,omitempty" jsonschema:"a service's name, alias or namespace/name; give this or team"`
	Team    string `json:"team,omitempty" jsonschema:"a team's name; give this or service"`
}

// OnCallOutput is who is on call for a service or a team.
type OnCallOutput struct {
	Service *api.ServiceSummary `json:"service,omitempty" jsonschema:"the service asked about"`
	Team    string              `json:"team,omitempty" jsonschema:"the team asked about"`
	OnCall  api.OnCall          `json:"on_call"`
}

func addOnCall(s *mcp.Server, r *api.Reader) {
	addTool(s, "Who is on call", &mcp.Tool{
		Name: "oncall",
		Description: "Who is on call right now for a service or a team, at every escalation level of PagerDuty, with their Slack user and until when. " +
			"When PagerDuty cannot answer, status is \"unknown\" with the reason; this tool never pages anyone.",
	}, func(ctx context.Context, in OnCallInput) (OnCallOutput, error) {
		switch {
		case (in.Service == "") == (in.Team == ""):
			return OnCallOutput{}, &api.Error{Message: "give either service or team"}
		case in.Service != "":
			v, err := r.ServiceOnCall(ctx, in.Service)
			return OnCallOutput{Service: &v.Service, OnCall: v.OnCall}, err
		default:
			v, err := r.TeamOnCall(ctx, in.Team)
			return OnCallOutput{Team: v.Team, OnCall: v.OnCall}, err
		}
	}, func(out OnCallOutput) string {
		if out.Service != nil {
			return onCallSummary(out.Service.Ref, out.OnCall)
		}
		return onCallSummary("team "+out.Team, out.OnCall)
	})
}

func onCallSummary(what string, oc api.OnCall) string {
	if oc.Status != api.OnCallOK {
		return fmt.Sprintf("On call for %s: %s (%s).", what, oc.Status, oc.Reason)
	}
	if len(oc.Levels) == 0 {
		return fmt.Sprintf("On call for %s: nobody right now.", what)
	}
	var parts []string
	for _, l := range oc.Levels {
		var names []string
		for _, p := range l.People {
			names = append(names, p.Name)
		}
		part := fmt.Sprintf("level %d %s", l.Level, strings.Join(names, ", "))
		if l.Until != nil {
			part += " until " + l.Until.Format("2006-01-02 15:04 UTC")
		}
		parts = append(parts, part)
	}
	sum := fmt.Sprintf("On call for %s: %s.", what, strings.Join(parts, "; "))
	if oc.Stale {
		sum += " (PagerDuty unreachable: an earlier answer)"
	}
	return sum
}

// SearchInput filters services.
type SearchInput struct {
	Query     string `json:"query,omitempty" jsonschema:"words to search for, as /search does: names, aliases, titles, descriptions, tags, owning teams, READMEs, provided API names; the answer is then ranked, says why each matched, and has no cursor"`
	Team      string `json:"team,omitempty" jsonschema:"the owning team's name"`
	Tier      string `json:"tier,omitempty" jsonschema:"the tier, e.g. 1"`
	Lifecycle string `json:"lifecycle,omitempty" jsonschema:"the lifecycle, e.g. production"`
	Tag       string `json:"tag,omitempty" jsonschema:"one of the service's tags"`
	Limit     int    `json:"limit,omitempty" jsonschema:"how many services to return, 1-200 (default 50)"`
	Cursor    string `json:"cursor,omitempty" jsonschema:"next_cursor of an earlier call, for the next page"`
}

func addSearchServices(s *mcp.Server, r *api.Reader) {
	addTool(s, "Search services", &mcp.Tool{
		Name: "search_services",
		Description: "Find services by words (ranked full-text search, as /search: each hit says why it matched, best first, at most 100) " +
			"and filters (owning team, tier, lifecycle, tag). Without words: services by name, a page at a time; pass next_cursor back as cursor for more.",
	}, func(ctx context.Context, in SearchInput) (api.Page[api.ServiceSummary], error) {
		return r.ListServices(ctx, api.ServiceQuery{Cursor: in.Cursor, Limit: in.Limit, Filter: catalog.ServiceFilter{Team: in.Team, Tier: in.Tier, Lifecycle: in.Lifecycle, Tag: in.Tag}, Text: in.Query})
	}, func(page api.Page[api.ServiceSummary]) string {
		var refs []string
		for _, it := range page.Items {
			refs = append(refs, it.Ref)
		}
		sum := fmt.Sprintf("%d services: %s", len(page.Items), strings.Join(refs, ", "))
		if len(page.Items) == 0 {
			sum = "No service matches."
		}
		if page.NextCursor != nil {
			sum += " (more: pass next_cursor)"
		}
		return sum
	})
}

// ImpactInput is an impact question: exactly one of package, advisory and
// file.
type ImpactInput struct {
	Package    string `json:"package,omitempty" jsonschema:"a package name, e.g. log4j-core or org.apache.logging.log4j:log4j-core"`
	Constraint string `json:"constraint,omitempty" jsonschema:"with package: a version constraint, e.g. <2.17.1 or >=2.0,<2.15.0"`
	Advisory   string `json:"advisory,omitempty" jsonschema:"an advisory id: CVE-…, GHSA-…, GO-…"`
	File       string `json:"file,omitempty" jsonschema:"a file name or glob repos may hold, e.g. log4j2.xml"`
	Limit      int    `json:"limit,omitempty" jsonschema:"how many hits to return, 1-200 (default 50)"`
	Cursor     string `json:"cursor,omitempty" jsonschema:"next_cursor of an earlier call, for the next page"`
}

func addImpact(s *mcp.Server, r *api.Reader) {
	addTool(s, "Impact of a package, advisory or file", &mcp.Tool{
		Name: "impact",
		Description: "Which repos and services (and their owning teams) depend on a package, optionally at versions matching a constraint, " +
			"are affected by a security advisory (with the version to move to), or hold a file. Each hit says whether the dependency is direct or transitive, " +
			"the chain bringing it in and the file:line to change. graph_gaps counts repos whose dependency graph is incomplete.",
	}, func(ctx context.Context, in ImpactInput) (api.Impact, error) {
		return r.Impact(ctx, api.ImpactQuery{Package: in.Package, Constraint: in.Constraint, Advisory: in.Advisory, File: in.File, Cursor: in.Cursor, Limit: in.Limit})
	}, func(v api.Impact) string {
		sum := fmt.Sprintf("%s: %d repos, %d services, %d teams", v.Question, v.Repos, v.Services, v.Teams)
		if len(v.Unknown) > 0 {
			sum += fmt.Sprintf("; %d of unknown version", len(v.Unknown))
		}
		if v.Gaps.Repos > 0 {
			sum += fmt.Sprintf("; %d repos have incomplete dependency graphs", v.Gaps.Repos)
		}
		return sum + "."
	})
}

// TeamInput names a team.
type TeamInput struct {
	Name string `json:"name" jsonschema:"the team's name, e.g. payments"`
}

func addTeam(s *mcp.Server, r *api.Reader) {
	addTool(s, "A team", &mcp.Tool{
		Name:        "team",
		Description: "A team's card: its people (with Slack users), the services it owns, its channel, GitLab group, and who is on call now on its escalation policy.",
	}, func(ctx context.Context, in TeamInput) (api.Team, error) {
		return r.Team(ctx, in.Name)
	}, func(v api.Team) string {
		sum := fmt.Sprintf("Team %s: %d people, %d services", v.Name, len(v.People), len(v.Services))
		if v.Channel != nil {
			sum += ", channel " + *v.Channel
		}
		return sum + ". " + onCallSummary("team "+v.Name, v.OnCall)
	})
}

// toolError is what an assistant reads when a tool fails: the API's
// message (with suggestions or candidates) as it is, other failures
// without internals.
func toolError(err error) error {
	if e, ok := err.(*api.Error); ok {
		msg := e.Message
		if len(e.Candidates) > 0 {
			msg += " Candidates: " + strings.Join(e.Candidates, ", ") + "."
		}
		return fmt.Errorf("%s", msg)
	}
	return fmt.Errorf("switchboard could not answer: %w", err)
}

// BlastInput names a service and a page of its dependents.
type BlastInput struct {
	Service string `json:"service" jsonschema:"the service's name, an alias, or namespace/name"`
	Page    int    `json:"page,omitempty" jsonschema:"page of dependents, from 1 (20 a page)"`
}

func addBlast(s *mcp.Server, r *api.Reader) {
	addTool(s, "Blast radius of a service", &mcp.Tool{
		Name: "blast",
		Description: "Blast radius of a service, as /blast: every service that depends on it, directly or through others, counted by depth and owning team; " +
			"one page of them (by depth, then name) with the edges that bring each in (where declared: descriptor dependsOn, consumed APIs, packages) and who is on call there; " +
			"the dependents on a cycle with it; and what it depends on directly.",
	}, func(ctx context.Context, in BlastInput) (api.Blast, error) {
		return r.Blast(ctx, in.Service, in.Page)
	}, func(v api.Blast) string {
		sum := fmt.Sprintf("Nothing in the catalog depends on %s", v.Service.Ref)
		if v.Total > 0 {
			direct := 0
			if len(v.ByDepth) > 0 {
				direct = v.ByDepth[0]
			}
			sum = fmt.Sprintf("%d services in %d teams depend on %s, %d directly", v.Total, len(v.Teams), v.Service.Ref, direct)
			if v.Pages > 1 {
				sum += fmt.Sprintf("; page %d of %d", v.Page, v.Pages)
			}
		}
		if v.CycleTotal > 0 {
			sum += fmt.Sprintf("; %d on a cycle with it", v.CycleTotal)
		}
		return sum + fmt.Sprintf(". It depends directly on %d.", len(v.Dependencies))
	})
}

// ChangesInput names a service and a window.
type ChangesInput struct {
	Service string `json:"service" jsonschema:"the service's name, an alias, or namespace/name"`
	Since   string `json:"since,omitempty" jsonschema:"the window as /changes --since takes it: 30m, 24h, 7d, 2w (at most 90 days; default 24h)"`
	Limit   int    `json:"limit,omitempty" jsonschema:"how many changes at most, 1-200 (default 50)"`
}

func addChanges(s *mcp.Server, r *api.Reader) {
	addTool(s, "Recent changes of a service", &mcp.Tool{
		Name: "changes",
		Description: "What changed recently in a service and the services it depends on directly, as /changes: merged merge requests, direct pushes, " +
			"deployments per environment, owner and tier changes, newest first, each with when, who and a link. With nothing in the window, last_before is the last change before it.",
	}, func(ctx context.Context, in ChangesInput) (api.Changes, error) {
		return r.Changes(ctx, api.ChangesQuery{Service: in.Service, Since: in.Since, Limit: in.Limit})
	}, func(v api.Changes) string {
		scope := v.Service.Ref
		if n := len(v.Scope) - 1; n > 0 {
			scope += fmt.Sprintf(" and its %d dependencies", n)
		}
		sum := fmt.Sprintf("%d changes to %s in the last %s", len(v.Changes), scope, v.Window)
		if v.More {
			sum = "More than " + sum
		}
		if len(v.Changes) > 0 {
			c := v.Changes[0]
			sum += fmt.Sprintf("; newest: %s %s in %s at %s", c.Kind, c.Title, c.Service, c.At.Format("2006-01-02 15:04 MST"))
		} else if v.LastBefore != nil {
			sum += fmt.Sprintf("; the last before: %s %s at %s", v.LastBefore.Kind, v.LastBefore.Title, v.LastBefore.At.Format("2006-01-02 15:04 MST"))
		}
		return sum + "."
	})
}
