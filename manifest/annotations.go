package manifest

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// The annotations Switchboard reads.
const (
	// AnnotationPagerDutyServiceID names the PagerDuty service (e.g. "PABC123").
	AnnotationPagerDutyServiceID = "pagerduty.com/service-id"
	// AnnotationPagerDutyIntegrationKey is a PagerDuty Events v2 integration key.
	AnnotationPagerDutyIntegrationKey = "pagerduty.com/integration-key"
	// AnnotationGitLabProjectSlug is the GitLab project path ("group/project").
	AnnotationGitLabProjectSlug = "gitlab.com/project-slug"
	// AnnotationGitHubProjectSlug is the GitHub repository ("org/repo").
	AnnotationGitHubProjectSlug = "github.com/project-slug"
	// AnnotationSlackBotNotify is Backstage's Slack annotation: channels and
	// users to notify, comma-separated; a channel is the service's channel.
	AnnotationSlackBotNotify = "slack.com/bot-notify"
	// AnnotationTechDocsRef locates the entity's TechDocs ("dir:." or "url:...").
	AnnotationTechDocsRef = "backstage.io/techdocs-ref"
	// AnnotationSourceLocation is where the entity's source is ("url:https://...").
	AnnotationSourceLocation = "backstage.io/source-location"
)

var (
	pagerDutyIDRe     = regexp.MustCompile(`^P[A-Z0-9]{5,13}$`)
	integrationKeyRe  = regexp.MustCompile(`^[A-Za-z0-9]{32}$`)
	gitlabSlugRe      = regexp.MustCompile(`^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$`)
	slackChannelIDRe  = regexp.MustCompile(`^[CG][A-Z0-9]{6,}$`)
	slackUserIDRe     = regexp.MustCompile(`^[UW][A-Z0-9]{6,}$`)
	slackChannelNames = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,79}$`)
	pagerDutyURLIDRe  = regexp.MustCompile(`/(?:services|service-directory)/(P[A-Z0-9]{5,13})\b`)
)

// readAnnotations fills the entity's fields from the annotations Switchboard reads.
func (c *checker) readAnnotations(d *decoded, nodes map[string]*yaml.Node) {
	e := &d.entity
	for _, key := range slices.Sorted(maps.Keys(nodes)) {
		n := nodes[key]
		v := strings.TrimSpace(text(n))
		switch key {
		case AnnotationPagerDutyServiceID:
			e.PagerDutyServiceID = v
			d.pos["pagerduty"] = posOf(n)
			if !pagerDutyIDRe.MatchString(v) {
				c.at(RuleAnnotationValue, n, fmt.Sprintf("%s %q does not look like a PagerDuty service ID", key, clip(v)),
					"use the ID from the service's PagerDuty URL, e.g. `PABC123` from .../service-directory/PABC123")
			}
		case AnnotationPagerDutyIntegrationKey:
			e.PagerDutyIntegrationKey = v
			if !integrationKeyRe.MatchString(v) {
				c.at(RuleAnnotationValue, n, fmt.Sprintf("%s does not look like a PagerDuty integration key (32 letters and digits)", key),
					"copy the Events API v2 integration key of the service's PagerDuty integration")
			}
		case AnnotationGitLabProjectSlug:
			e.GitLabProjectSlug = v
			e.Repositories = append(e.Repositories, Repository{Provider: "gitlab", Slug: v})
			if !gitlabSlugRe.MatchString(v) {
				c.at(RuleAnnotationValue, n, fmt.Sprintf("%s %q is not a GitLab project path such as group/project", key, clip(v)),
					"write the project's path with its groups, e.g. `payments/checkout-api`")
			}
		case AnnotationGitHubProjectSlug:
			e.Repositories = append(e.Repositories, Repository{Provider: "github", Slug: v})
		case AnnotationSourceLocation:
			e.Repositories = append(e.Repositories, Repository{URL: strings.TrimPrefix(v, "url:")})
		case AnnotationSlackBotNotify:
			channel, ok := slackChannel(v)
			e.SlackChannel = channel
			if !ok {
				c.at(RuleAnnotationValue, n, fmt.Sprintf("%s %q names no Slack channel or user", key, clip(v)),
					"write the channel, e.g. `#payments-alerts` or its ID `C0123ABCD`")
			}
		case AnnotationTechDocsRef:
			e.TechDocsRef = v
			if !strings.HasPrefix(v, "dir:") && !strings.HasPrefix(v, "url:") {
				c.at(RuleAnnotationValue, n, fmt.Sprintf("%s %q is not `dir:<path>` or `url:<url>`", key, clip(v)),
					"write `backstage.io/techdocs-ref: dir:.` for docs next to this file")
			}
		}
	}
}

// slackChannel reads a slack.com/bot-notify value: comma-separated channels
// (#name, name or C.../G... IDs) and users (@name, U.../W... IDs). It returns
// the first channel, and whether the value named any channel or user.
func slackChannel(v string) (string, bool) {
	found := false
	channel := ""
	for tok := range strings.SplitSeq(v, ",") {
		tok = strings.TrimSpace(tok)
		switch {
		case tok == "":
			continue
		case strings.HasPrefix(tok, "@"), slackUserIDRe.MatchString(tok):
			found = true
		case strings.HasPrefix(tok, "#") && slackChannelNames.MatchString(strings.ToLower(tok[1:])):
			found = true
			if channel == "" {
				channel = tok[1:]
			}
		case slackChannelIDRe.MatchString(tok), slackChannelNames.MatchString(tok):
			found = true
			if channel == "" {
				channel = tok
			}
		}
	}
	return channel, found
}

// addLink files l under runbooks, docs, dashboards or other, by its type and title.
func addLink(ls *Links, l Link) {
	switch classifyLink(l.Type, l.Title) {
	case "runbook":
		ls.Runbooks = append(ls.Runbooks, l)
	case "docs":
		ls.Docs = append(ls.Docs, l)
	case "dashboard":
		ls.Dashboards = append(ls.Dashboards, l)
	default:
		ls.Other = append(ls.Other, l)
	}
}

// classifyLink says what a link (or OpsLevel tool category) is for.
func classifyLink(typ, title string) string {
	words := func(s string) []string {
		return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
			return (r < 'a' || r > 'z') && (r < '0' || r > '9')
		})
	}
	check := func(ws []string) string {
		for _, w := range ws {
			switch w {
			case "runbook", "runbooks", "playbook", "playbooks":
				return "runbook"
			}
		}
		for _, w := range ws {
			switch w {
			case "doc", "docs", "documentation", "techdocs", "wiki", "readme", "handbook", "manual", "guide", "confluence", "apidocs":
				return "docs"
			case "dashboard", "dashboards", "grafana", "datadog", "kibana", "metrics", "monitoring", "newrelic", "observability":
				return "dashboard"
			}
		}
		return ""
	}
	if k := check(words(typ)); k != "" {
		return k
	}
	return check(words(title))
}

// pagerDutyIDFromURL extracts a service ID from a PagerDuty service URL.
func pagerDutyIDFromURL(u string) string {
	if !strings.Contains(u, "pagerduty.com") {
		return ""
	}
	if m := pagerDutyURLIDRe.FindStringSubmatch(u); m != nil {
		return m[1]
	}
	return ""
}
