package fakegitlab

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// GeneratedAt is the "now" of generated organisations: last activity dates
// lie before it, so that anything pushed while a Server runs is newer.
func GeneratedAt() time.Time {
	return time.Date(2025, 11, 1, 9, 0, 0, 0, time.UTC)
}

// Descriptor kinds a generated project can have, from Describe.
const (
	DescBackstage            = "backstage"
	DescOpsLevel             = "opslevel"
	DescNone                 = "none"
	DescBackstageNoOwner     = "backstage-missing-owner"
	DescBackstageBadName     = "backstage-bad-name"
	DescBackstageSyntaxError = "backstage-yaml-error"
	DescOpsLevelNoOwner      = "opslevel-missing-owner"
	DescTemplate             = "template"
	DescMonorepo             = "monorepo"
)

const (
	log4jVulnerable           = "2.14.1"
	log4jFixed                = "2.17.1"
	log4jViaProperty          = "2.11.2-property"
	log4jAPIOnly              = "api-only"
	log4jNone                 = ""
	checkoutAPIRepo           = "payments/checkout-api"
	generatedDefaultBranch    = "main"
	generatedWebHost          = "https://gitlab.example.com"
	generatedRunbookHost      = "https://runbooks.example.com"
	generatedDocsHost         = "https://docs.example.com"
	generatedDashboardHost    = "https://grafana.example.com/d"
	generatedPagerDutyAccount = "https://example.pagerduty.com/service-directory/"
)

// team is a GitLab group seen as the team owning its projects.
type team struct {
	group   string // full path of the GitLab group
	name    string // team name used as owner in descriptors
	title   string
	product string
	words   []string // what its services are about
}

func teams() []team {
	return []team{
		{"payments", "payments", "Payments", "Checkout", []string{"billing", "invoice", "refund", "payout", "wallet", "tax", "pricing", "subscription", "fraud", "settlement"}},
		{"identity", "identity", "Identity", "Accounts", []string{"auth", "login", "session", "token", "sso", "profile", "consent", "mfa", "directory", "password"}},
		{"search", "search", "Search", "Discovery", []string{"query", "index", "ranking", "suggest", "catalog", "crawler", "synonym", "facet", "relevance", "spelling"}},
		{"platform", "platform", "Platform", "Infrastructure", []string{"gateway", "config", "deploy", "build", "secrets", "metrics", "logging", "scheduler", "dns", "queue"}},
		{"platform/tooling", "platform", "Tooling", "Developer tools", []string{"lint", "scaffold", "release", "changelog", "ci", "runner"}},
		{"data", "data", "Data", "Analytics", []string{"etl", "warehouse", "reporting", "ingest", "stream", "lake", "quality", "export", "feature-store", "lineage"}},
		{"mobile", "mobile", "Mobile", "Apps", []string{"ios", "android", "push", "app-config", "deeplink", "release", "feature-flags", "crash", "offline", "store"}},
	}
}

// spec is what Generate decides about a project before writing its files.
type spec struct {
	team       team
	slug       string
	lang       string // maven, gradle, gradle-kts, go, node, python, poetry, ruby, terraform, docs
	desc       string // one of the Desc* kinds
	log4j      string
	log4jXML   bool
	npmLock    bool
	archived   bool
	forkOf     string // path of the upstream
	files      int    // target number of files
	lifecycle  string
	typ        string
	serviceFor string // service name in the descriptor when not the slug
}

// generator holds Generate's state.
type generator struct {
	rng    *rand.Rand
	ref    time.Time
	filler map[string][]byte
	taken  map[string]bool
	users  []Member
	nextID int64
}

// Generate returns a sample organisation of n projects spread over seven
// GitLab groups (payments, identity, search, platform, platform/tooling,
// data, mobile) with members, and a realistic mix: valid Backstage
// catalog-info.yaml and opslevel.yml descriptors, invalid ones (no
// spec.owner, a bad name, a YAML syntax error), Backstage templates with
// ${{ values.name }}, no descriptor, monorepos with several components,
// several services named frontend, Java repos with log4j-core 2.14.1
// (pom.xml), 2.17.1 (build.gradle), 2.11.2 through a property and log4j-api
// only, Go, npm, Python and Ruby repos with their dependency files,
// archived and forked projects, and trees of 10 to 200 files, some with
// src/main/resources/log4j2.xml. The first projects are fixed (the first
// is payments/checkout-api, a Java service owned by payments, on log4j-core
// 2.14.1); the rest are drawn from seed. The same n and seed give the same
// Org.
func Generate(n int, seed int64) *Org {
	g := &generator{
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x5317c4)),
		ref:    GeneratedAt(),
		filler: fillerContent(),
		taken:  map[string]bool{},
		nextID: 1000,
	}
	org := &Org{Groups: g.groups()}
	specs := anchorSpecs()
	if n < len(specs) {
		specs = specs[:max(n, 0)]
	}
	for _, s := range specs {
		g.taken[s.team.group+"/"+s.slug] = true
	}
	tm := teams()
	for len(specs) < n {
		specs = append(specs, g.randomSpec(tm, specs))
	}
	byPath := map[string]*Project{}
	for _, s := range specs {
		p := g.project(s, byPath)
		byPath[p.Path] = p
		org.Projects = append(org.Projects, p)
	}
	return org
}

// anchorSpecs are the projects every generated org starts with, so that
// small orgs still show every case.
func anchorSpecs() []spec {
	tm := map[string]team{}
	for _, t := range teams() {
		tm[t.group] = t
	}
	return []spec{
		{team: tm["payments"], slug: "checkout-api", lang: "maven", desc: DescBackstage, log4j: log4jVulnerable, log4jXML: true, files: 64, lifecycle: "production", typ: "service"},
		{team: tm["identity"], slug: "auth-service", lang: "go", desc: DescOpsLevel, files: 38, lifecycle: "production", typ: "service"},
		{team: tm["search"], slug: "frontend", lang: "node", desc: DescBackstage, npmLock: true, files: 45, lifecycle: "production", typ: "website"},
		{team: tm["mobile"], slug: "frontend", lang: "node", desc: DescOpsLevel, files: 30, lifecycle: "production", typ: "website"},
		{team: tm["payments"], slug: "ledger", lang: "gradle", desc: DescBackstage, log4j: log4jFixed, log4jXML: true, files: 52, lifecycle: "production", typ: "service"},
		{team: tm["data"], slug: "etl-jobs", lang: "python", desc: DescBackstageNoOwner, files: 27, lifecycle: "production", typ: "service"},
		{team: tm["platform"], slug: "service-template", lang: "node", desc: DescTemplate, files: 14, lifecycle: "experimental", typ: "service"},
		{team: tm["search"], slug: "indexer", lang: "maven", desc: DescNone, log4j: log4jViaProperty, log4jXML: true, files: 41, lifecycle: "production", typ: "service"},
		{team: tm["platform"], slug: "platform-services", lang: "monorepo", desc: DescMonorepo, files: 120, lifecycle: "production", typ: "service"},
		{team: tm["identity"], slug: "legacy-sso", lang: "maven", desc: DescBackstage, log4j: log4jVulnerable, archived: true, files: 33, lifecycle: "deprecated", typ: "service"},
		{team: tm["data"], slug: "frontend", lang: "node", desc: DescBackstage, forkOf: "search/frontend", files: 45, lifecycle: "experimental", typ: "website"},
		{team: tm["mobile"], slug: "ios-app", lang: "ruby", desc: DescBackstageSyntaxError, files: 58, lifecycle: "production", typ: "website"},
		{team: tm["platform/tooling"], slug: "deploy-cli", lang: "go", desc: DescOpsLevel, files: 22, lifecycle: "production", typ: "tool"},
		{team: tm["payments"], slug: "fraud-detector", lang: "poetry", desc: DescBackstageBadName, files: 31, lifecycle: "experimental", typ: "service"},
		{team: tm["identity"], slug: "user-profile", lang: "gradle-kts", desc: DescBackstage, log4j: log4jAPIOnly, files: 47, lifecycle: "production", typ: "service"},
		{team: tm["search"], slug: "query-service", lang: "maven", desc: DescBackstage, log4j: log4jFixed, files: 36, lifecycle: "production", typ: "service"},
		{team: tm["platform"], slug: "infra-terraform", lang: "terraform", desc: DescOpsLevelNoOwner, files: 26, lifecycle: "production", typ: "service"},
		{team: tm["mobile"], slug: "android-app", lang: "gradle-kts", desc: DescBackstage, files: 88, lifecycle: "production", typ: "website"},
		{team: tm["payments"], slug: "payments-docs", lang: "docs", desc: DescNone, files: 12},
		{team: tm["identity"], slug: "frontend", lang: "node", desc: DescBackstage, npmLock: true, files: 33, lifecycle: "production", typ: "website"},
		{team: tm["data"], slug: "reporting-api", lang: "gradle-kts", desc: DescOpsLevel, log4j: log4jVulnerable, files: 29, lifecycle: "production", typ: "service"},
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// weighted picks a key with probability proportional to its weight.
func weighted(r *rand.Rand, choices []string, weights []int) string {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := r.IntN(total)
	for i, w := range weights {
		if n < w {
			return choices[i]
		}
		n -= w
	}
	return choices[len(choices)-1]
}

func (g *generator) randomSpec(tm []team, done []spec) spec {
	r := g.rng
	t := pick(r, tm)
	s := spec{team: t}
	s.lang = weighted(r,
		[]string{"maven", "gradle", "gradle-kts", "go", "node", "python", "poetry", "ruby", "terraform", "docs", "config", "monorepo"},
		[]int{18, 8, 5, 18, 20, 10, 4, 4, 6, 4, 8, 3})
	s.desc = weighted(r,
		[]string{DescBackstage, DescOpsLevel, DescNone, DescBackstageNoOwner, DescBackstageBadName, DescBackstageSyntaxError, DescOpsLevelNoOwner, DescTemplate},
		[]int{46, 16, 22, 4, 3, 3, 2, 2})
	if s.lang == "monorepo" {
		s.desc = DescMonorepo
	}
	if (s.lang == "docs" || s.lang == "config") && s.desc != DescNone && r.IntN(2) == 0 {
		s.desc = DescNone
	}
	switch s.lang {
	case "maven", "gradle", "gradle-kts":
		s.log4j = weighted(r,
			[]string{log4jVulnerable, log4jFixed, log4jViaProperty, log4jAPIOnly, log4jNone},
			[]int{25, 30, 10, 10, 25})
		s.log4jXML = s.log4j != log4jNone && r.IntN(10) < 7
	case "node":
		s.npmLock = r.IntN(2) == 0
	}
	s.lifecycle = weighted(r, []string{"production", "experimental", "deprecated"}, []int{65, 25, 10})
	s.typ = "service"
	suffixes := []string{"api", "service", "worker", "consumer", "proxy", "jobs", "sync", "gateway"}
	switch s.lang {
	case "node":
		if r.IntN(2) == 0 {
			s.typ = "website"
			suffixes = []string{"web", "ui", "dashboard", "admin", "portal"}
		}
	case "terraform":
		suffixes = []string{"infra", "terraform", "stack"}
	case "docs":
		suffixes = []string{"docs", "handbook", "runbooks"}
	case "config":
		suffixes = []string{"config", "deploy", "manifests", "chart"}
	case "go":
		if r.IntN(4) == 0 {
			s.typ = "tool"
			suffixes = []string{"cli", "ctl", "tool"}
		}
	}
	if r.IntN(8) == 0 && s.lang != "terraform" && s.lang != "docs" && s.lang != "config" {
		s.typ = "library"
		suffixes = []string{"lib", "sdk", "client", "common"}
	}
	// Generic names that several teams use.
	slug := ""
	if r.IntN(30) == 0 {
		slug = pick(r, []string{"frontend", "backend", "api", "worker", "redis"})
	}
	for tries := 0; slug == "" || g.taken[t.group+"/"+slug]; tries++ {
		slug = pick(r, t.words) + "-" + pick(r, suffixes)
		if tries > 5 {
			slug = fmt.Sprintf("%s-%d", slug, tries)
		}
	}
	s.slug = slug
	g.taken[t.group+"/"+slug] = true

	s.archived = r.IntN(20) == 0
	if s.archived {
		s.lifecycle = "deprecated"
	}
	if r.IntN(33) == 0 && len(done) > 0 {
		up := done[r.IntN(len(done))]
		if up.forkOf == "" && up.team.group != t.group && !g.taken[t.group+"/"+up.slug] {
			delete(g.taken, t.group+"/"+slug)
			s.slug = up.slug
			g.taken[t.group+"/"+up.slug] = true
			s.forkOf = up.team.group + "/" + up.slug
		}
	}
	// Most repos are small; a few are large.
	switch x := r.IntN(100); {
	case x < 70:
		s.files = 10 + r.IntN(31)
	case x < 92:
		s.files = 40 + r.IntN(51)
	default:
		s.files = 90 + r.IntN(111)
	}
	return s
}

// groups makes the groups and their members.
func (g *generator) groups() []Group {
	firsts := []string{"Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara", "Dennis", "Frances", "Alan", "Radia",
		"Edsger", "Hedy", "Donald", "Katherine", "Tim", "Anita", "Vint", "Sophie", "John", "Mary",
		"Guido", "Yukihiro", "Rob", "Joan", "Leslie", "Shafi", "Niklaus", "Lynn", "Bjarne", "Annie",
		"Aisha", "Mateo", "Priya", "Kwame", "Ines", "Hiroshi", "Olga", "Tariq", "Mei", "Sven"}
	lasts := []string{"Lovelace", "Hopper", "Torvalds", "Hamilton", "Thompson", "Liskov", "Ritchie", "Allen", "Turing", "Perlman",
		"Dijkstra", "Lamarr", "Knuth", "Johnson", "Berners-Lee", "Borg", "Cerf", "Wilson", "McCarthy", "Keller",
		"van Rossum", "Matsumoto", "Pike", "Clarke", "Lamport", "Goldwasser", "Wirth", "Conway", "Stroustrup", "Easley",
		"Okafor", "Garcia", "Raman", "Mensah", "Duarte", "Tanaka", "Petrova", "Haddad", "Chen", "Lindqvist"}
	perm := g.rng.Perm(len(lasts))
	seen := map[string]int{}
	for i, first := range firsts {
		last := lasts[perm[i]]
		flat := strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(last))
		username := strings.ToLower(first[:1]) + flat
		if n := seen[username]; n > 0 {
			username = fmt.Sprintf("%s%d", username, n+1)
		}
		seen[username]++
		email := strings.ToLower(first) + "." + strings.ToLower(strings.NewReplacer(" ", "", "-", "").Replace(last)) + "@example.com"
		g.users = append(g.users, Member{ID: int64(100 + i), Username: username, Name: first + " " + last, Email: email})
	}
	var out []Group
	next := 0
	for i, t := range teams() {
		size := 4 + g.rng.IntN(4)
		var members []Member
		for j := range size {
			u := g.users[(next+j)%len(g.users)]
			u.AccessLevel = Developer
			if j == 0 {
				u.AccessLevel = Owner
			} else if j == 1 {
				u.AccessLevel = Maintainer
			}
			members = append(members, u)
		}
		next += size - 1 // the last member of one team is the first of the next
		if t.group == "platform/tooling" {
			// Tooling is platform's subgroup: one of its own plus two
			// platform people.
			members = members[:2]
		}
		out = append(out, Group{
			ID:          int64(10 + i),
			Path:        t.group,
			Name:        t.title,
			Description: t.title + " team (" + t.product + ")",
			Members:     members,
		})
	}
	return out
}

// days returns a duration of n days.
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// project writes a spec's files.
func (g *generator) project(s spec, byPath map[string]*Project) *Project {
	r := g.rng
	p := &Project{
		ID:            g.nextID,
		Path:          s.team.group + "/" + s.slug,
		DefaultBranch: generatedDefaultBranch,
		Archived:      s.archived,
		ForkedFrom:    s.forkOf,
		Visibility:    "internal",
	}
	g.nextID += 1 + int64(r.IntN(7))
	switch x := r.IntN(10); {
	case s.archived:
		p.LastActivity = g.ref.Add(-days(400 + r.IntN(500)))
	case x < 5:
		p.LastActivity = g.ref.Add(-days(r.IntN(30)) - time.Duration(r.IntN(86400))*time.Second)
	case x < 8:
		p.LastActivity = g.ref.Add(-days(30 + r.IntN(150)))
	default:
		p.LastActivity = g.ref.Add(-days(180 + r.IntN(540)))
	}
	p.CreatedAt = p.LastActivity.Add(-days(30 + r.IntN(1500)))
	if p.Path == checkoutAPIRepo {
		p.LastActivity = g.ref.Add(-3 * time.Hour)
	}
	title := titleCase(s.slug)
	p.Description = fmt.Sprintf("%s, owned by the %s team.", title, s.team.title)
	if s.lang != "monorepo" {
		p.Topics = []string{langTopic(s.lang)}
	}
	if up := byPath[s.forkOf]; up != nil {
		// A fork starts as a copy of its upstream, descriptor included.
		p.Files = up.Files
		p.Description = up.Description
		p.Topics = up.Topics
		return p
	}

	files := map[string][]byte{}
	pkg := strings.ReplaceAll(strings.ReplaceAll(s.slug, "-", ""), "_", "")
	switch s.lang {
	case "maven":
		g.javaMaven(files, "", s, pkg)
	case "gradle", "gradle-kts":
		g.javaGradle(files, "", s, pkg)
	case "go":
		g.goModule(files, "", p.Path, s)
	case "node":
		g.node(files, "", s)
	case "python", "poetry":
		g.python(files, "", s, pkg)
	case "ruby":
		g.ruby(files, s)
	case "terraform":
		g.terraform(files, s)
	case "docs":
		g.docs(files, s)
	case "config":
		files["kustomization.yaml"] = g.filler[".yaml"]
		files["base/deployment.yaml"] = g.filler[".yaml"]
		files["base/service.yaml"] = g.filler[".yaml"]
	case "monorepo":
		g.monorepo(files, p, s)
	}
	g.common(files, s, p.Path)
	switch s.desc {
	case DescBackstage, DescBackstageNoOwner, DescBackstageBadName, DescBackstageSyntaxError:
		files["catalog-info.yaml"] = []byte(g.backstage(s, p.Path))
	case DescOpsLevel, DescOpsLevelNoOwner:
		files["opslevel.yml"] = []byte(g.opslevel(s, p.Path))
	case DescTemplate:
		g.template(files, s)
	}
	g.fill(files, s, pkg)
	p.Files = files
	return p
}

func titleCase(slug string) string {
	words := strings.FieldsFunc(slug, func(r rune) bool { return r == '-' || r == '_' })
	for i, w := range words {
		switch w {
		case "api", "ui", "sso", "mfa", "etl", "cli", "sdk", "dns", "ci", "ios":
			words[i] = strings.ToUpper(w)
		default:
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

func langTopic(lang string) string {
	switch lang {
	case "maven", "gradle", "gradle-kts":
		return "java"
	case "node":
		return "javascript"
	case "python", "poetry":
		return "python"
	case "config":
		return "kubernetes"
	}
	return lang
}

// pagerDutyID is a PagerDuty service id ("P" and six letters or digits).
func (g *generator) pagerDutyID() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	b := []byte{'P'}
	for range 6 {
		b = append(b, alphabet[g.rng.IntN(len(alphabet))])
	}
	return string(b)
}

func (s spec) service() string {
	if s.serviceFor != "" {
		return s.serviceFor
	}
	return s.slug
}

// backstage writes a catalog-info.yaml: valid, or broken the way s.desc
// says.
func (g *generator) backstage(s spec, repoPath string) string {
	name := s.service()
	pd := g.pagerDutyID()
	tags := "\n    - " + langTopic(s.lang)
	if s.lang == "maven" || strings.HasPrefix(s.lang, "gradle") {
		tags += "\n    - spring"
	}
	owner := "\n  owner: group:" + s.team.name
	if s.desc == DescBackstageNoOwner {
		owner = ""
	}
	metaName := name
	if s.desc == DescBackstageBadName {
		metaName = `"` + titleCase(name) + ` (new)"`
	}
	lifecycleLine := "\n  lifecycle: " + s.lifecycle
	if s.desc == DescBackstageSyntaxError {
		// One space too many: "mapping values are not allowed here".
		lifecycleLine = "\n   lifecycle: " + s.lifecycle
	}
	typ := s.typ
	if typ == "" {
		typ = "service"
	}
	return fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: %s
  title: %s
  description: %s service of the %s team.
  annotations:
    gitlab.com/project-slug: %s
    pagerduty.com/service-id: %s
    slack.com/channel: "#%s-%s"
    backstage.io/techdocs-ref: dir:.
  tags:%s
  links:
    - url: %s/%s/%s
      title: Runbook
      type: runbook
      icon: book
    - url: %s/%s/%s
      title: Docs
      type: docs
      icon: docs
    - url: %s/%s
      title: Dashboard
      type: dashboard
      icon: dashboard
spec:
  type: %s%s%s
  system: %s
`, metaName, titleCase(name), titleCase(name), s.team.title,
		repoPath, pd, s.team.name, name, tags,
		generatedRunbookHost, s.team.name, name,
		generatedDocsHost, s.team.name, name,
		generatedDashboardHost, name,
		typ, lifecycleLine, owner, s.team.name)
}

// opslevel writes an opslevel.yml.
func (g *generator) opslevel(s spec, repoPath string) string {
	name := s.service()
	pd := g.pagerDutyID()
	owner := "\n  owner: " + s.team.name
	if s.desc == DescOpsLevelNoOwner {
		owner = ""
	}
	lifecycle := map[string]string{"production": "generally_available", "experimental": "beta", "deprecated": "end-of-life"}[s.lifecycle]
	if lifecycle == "" {
		lifecycle = "generally_available"
	}
	tier := pick(g.rng, []string{"tier_1", "tier_2", "tier_3"})
	return fmt.Sprintf(`---
version: 1
service:
  name: %s
  description: %s for the %s team.
  lifecycle: %s
  tier: %s
  product: %s%s
  language: %s
  aliases:
    - %s
  tags:
    - key: slack
      value: "#%s-%s"
    - key: repo
      value: %s
  tools:
    - name: Runbook
      category: runbooks
      url: %s/%s/%s
    - name: PagerDuty
      category: incidents
      url: %s%s
      environment: Production
    - name: Grafana
      category: metrics
      url: %s/%s
  alert_sources:
    - type: pagerduty
      external_id: %s
`, name, titleCase(name), s.team.title, lifecycle, tier, s.team.product, owner, titleCase(langTopic(s.lang)),
		strings.ReplaceAll(name, "-", "_"), s.team.name, name, repoPath,
		generatedRunbookHost, s.team.name, name,
		generatedPagerDutyAccount, pd,
		generatedDashboardHost, name, pd)
}

// template writes a Backstage software template whose root catalog-info.yaml
// is the unrendered skeleton.
func (g *generator) template(files map[string][]byte, s spec) {
	skeleton := `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${{ values.name }}
  description: ${{ values.description }}
  annotations:
    gitlab.com/project-slug: ${{ values.destination.owner + "/" + values.destination.repo }}
    pagerduty.com/service-id: ${{ values.pagerdutyServiceId }}
spec:
  type: service
  lifecycle: experimental
  owner: ${{ values.owner }}
`
	files["catalog-info.yaml"] = []byte(skeleton)
	files["skeleton/catalog-info.yaml"] = []byte(skeleton)
	files["template.yaml"] = []byte(fmt.Sprintf(`apiVersion: scaffolder.backstage.io/v1beta3
kind: Template
metadata:
  name: %s
  title: New service
  description: Creates a service with CI, a descriptor and a runbook.
spec:
  owner: group:%s
  type: service
  parameters:
    - title: Service
      required: [name, owner]
      properties:
        name:
          type: string
        owner:
          type: string
          ui:field: OwnerPicker
  steps:
    - id: fetch
      action: fetch:template
      input:
        url: ./skeleton
        values:
          name: ${{ parameters.name }}
          owner: ${{ parameters.owner }}
`, s.slug, s.team.name))
	files["skeleton/package.json"] = []byte(`{
  "name": "${{ values.name }}",
  "version": "0.1.0",
  "dependencies": {
    "express": "^4.18.2"
  }
}
`)
}

// common adds what most repos have at their root.
func (g *generator) common(files map[string][]byte, s spec, repoPath string) {
	files["README.md"] = []byte(fmt.Sprintf("# %s\n\n%s, owned by the %s team.\n\nRunbook: %s/%s\n",
		titleCase(s.slug), titleCase(s.slug), s.team.title, generatedRunbookHost, repoPath))
	files[".gitignore"] = g.filler[".gitignore"]
	if s.lang != "docs" {
		files[".gitlab-ci.yml"] = g.filler[".gitlab-ci.yml"]
	}
	switch s.lang {
	case "maven", "gradle", "gradle-kts", "go", "node", "python", "poetry":
		files["Dockerfile"] = g.filler["Dockerfile"]
		if g.rng.IntN(3) == 0 {
			files["helm/Chart.yaml"] = g.filler[".yaml"]
			files["helm/values.yaml"] = g.filler[".yaml"]
			files["helm/templates/deployment.yaml"] = g.filler[".yaml"]
			files["helm/templates/service.yaml"] = g.filler[".yaml"]
		}
	}
	if g.rng.IntN(4) == 0 {
		files["CODEOWNERS"] = []byte("* @" + s.team.group + "\n")
	}
}

// fill adds source files until the tree holds s.files files.
func (g *generator) fill(files map[string][]byte, s spec, pkg string) {
	r := g.rng
	nouns := []string{"Order", "Payment", "Customer", "Invoice", "Account", "Session", "Token", "Report", "Event",
		"Item", "Price", "Cart", "Refund", "Address", "Profile", "Query", "Index", "Job", "Batch", "Config",
		"Metric", "Alert", "Queue", "Message", "Schedule", "Tenant", "Policy", "Record", "Export", "Import"}
	javaLayers := []string{"controller", "service", "model", "repository", "config", "dto", "mapper", "client", "event", "util"}
	javaRoot := "src/main/java/com/example/" + pkg
	for tries := 0; len(files) < s.files && tries < s.files*20; tries++ {
		noun := pick(r, nouns)
		lower := strings.ToLower(noun)
		var path, ext string
		switch s.lang {
		case "maven", "gradle", "gradle-kts":
			layer := pick(r, javaLayers)
			if r.IntN(4) == 0 {
				path, ext = "src/test/java/com/example/"+pkg+"/"+layer+"/"+noun+titleCase(layer)+"Test.java", ".java"
			} else {
				path, ext = javaRoot+"/"+layer+"/"+noun+titleCase(layer)+".java", ".java"
			}
		case "go":
			dir := pick(r, []string{"internal/", "pkg/", "internal/store/", "internal/http/"}) + lower
			if r.IntN(3) == 0 {
				path, ext = dir+"/"+lower+"_test.go", ".go"
			} else {
				path, ext = dir+"/"+pick(r, []string{lower, "handler", "store", "types", "client"})+".go", ".go"
			}
		case "node":
			switch r.IntN(4) {
			case 0:
				path, ext = "test/"+lower+".test.js", ".js"
			case 1:
				path, ext = "src/components/"+noun+"/"+noun+".tsx", ".ts"
			case 2:
				path, ext = "public/assets/"+lower+"-"+fmt.Sprint(r.IntN(9))+".png", ".png"
			default:
				path, ext = "src/"+pick(r, []string{"routes", "services", "lib", "models"})+"/"+lower+".ts", ".ts"
			}
		case "python", "poetry":
			if r.IntN(3) == 0 {
				path, ext = "tests/test_"+lower+".py", ".py"
			} else {
				path, ext = pkg+"/"+pick(r, []string{"", "api/", "models/", "tasks/"})+lower+".py", ".py"
			}
		case "ruby":
			switch r.IntN(3) {
			case 0:
				path, ext = "ios/"+pick(r, []string{"App", "Core", "Features/" + noun})+"/"+noun+"ViewController.swift", ".swift"
			case 1:
				path, ext = "ios/"+pick(r, []string{"App", "Core"})+"/Assets.xcassets/"+noun+".imageset/Contents.json", ".json"
			default:
				path, ext = "ios/Tests/"+noun+"Tests.swift", ".swift"
			}
		case "terraform":
			path, ext = "modules/"+lower+"/"+pick(r, []string{"main", "variables", "outputs", "versions"})+".tf", ".tf"
			if r.IntN(4) == 0 {
				path = "envs/" + pick(r, []string{"dev", "staging", "prod"}) + "/" + lower + ".tf"
			}
		case "docs":
			path, ext = "docs/"+pick(r, []string{"", "guides/", "adr/", "runbooks/"})+lower+".md", ".md"
		case "config":
			path, ext = "overlays/"+pick(r, []string{"dev", "staging", "prod", "eu", "us"})+"/"+lower+"-"+pick(r, []string{"deployment", "configmap", "hpa", "ingress"})+".yaml", ".yaml"
		case "monorepo":
			svc := pick(r, []string{"api-gateway", "config-service", "job-runner", "shared"})
			path, ext = "services/"+svc+"/src/"+lower+"/"+lower+".go", ".go"
			if svc == "shared" {
				path, ext = "libs/shared/"+lower+".go", ".go"
			}
		default:
			path, ext = "src/"+lower+".txt", ".md"
		}
		if _, ok := files[path]; !ok {
			files[path] = g.filler[ext]
		}
	}
}

// fillerContent is the content shared by generated source files: a few
// bytes each, shared so that a 6,000-project org stays small in memory.
func fillerContent() map[string][]byte {
	return map[string][]byte{
		".java":          []byte("// Generated by fakegitlab.\npackage com.example;\n\nclass Generated {}\n"),
		".go":            []byte("// Generated by fakegitlab.\npackage generated\n"),
		".js":            []byte("// Generated by fakegitlab.\ntest('works', () => {});\n"),
		".ts":            []byte("// Generated by fakegitlab.\nexport {};\n"),
		".py":            []byte("# Generated by fakegitlab.\n"),
		".swift":         []byte("// Generated by fakegitlab.\nimport Foundation\n"),
		".json":          []byte("{\"info\": {\"version\": 1, \"author\": \"xcode\"}}\n"),
		".tf":            []byte("# Generated by fakegitlab.\nterraform {}\n"),
		".md":            []byte("# Notes\n\nGenerated by fakegitlab.\n"),
		".png":           []byte("\x89PNG\r\n\x1a\n"),
		".yaml":          []byte("# Generated by fakegitlab.\n{}\n"),
		".gitignore":     []byte("*.log\n/build/\n/target/\nnode_modules/\n"),
		".gitlab-ci.yml": []byte("include:\n  - project: platform/ci-templates\n    file: /default.yml\n"),
		"Dockerfile":     []byte("FROM gcr.io/distroless/base\nCOPY app /app\nENTRYPOINT [\"/app\"]\n"),
	}
}

// log4j2XML is a typical log4j2 configuration.
const log4j2XML = `<?xml version="1.0" encoding="UTF-8"?>
<Configuration status="WARN">
  <Appenders>
    <Console name="Console" target="SYSTEM_OUT">
      <PatternLayout pattern="%d{HH:mm:ss.SSS} [%t] %-5level %logger{36} - %msg%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="info">
      <AppenderRef ref="Console"/>
    </Root>
  </Loggers>
</Configuration>
`

type mavenDep struct{ group, artifact, version, scope string }

func (g *generator) javaDeps(s spec) []mavenDep {
	r := g.rng
	deps := []mavenDep{
		{"org.springframework.boot", "spring-boot-starter-web", pick(r, []string{"2.6.1", "2.7.18", "3.2.5"}), ""},
	}
	pool := []mavenDep{
		{"com.fasterxml.jackson.core", "jackson-databind", pick(r, []string{"2.13.4", "2.15.4"}), ""},
		{"org.postgresql", "postgresql", pick(r, []string{"42.3.1", "42.6.0"}), ""},
		{"com.google.guava", "guava", pick(r, []string{"31.1-jre", "32.1.3-jre"}), ""},
		{"io.micrometer", "micrometer-registry-prometheus", "1.10.5", ""},
		{"org.apache.commons", "commons-lang3", "3.12.0", ""},
		{"org.apache.kafka", "kafka-clients", "3.4.0", ""},
		{"org.mockito", "mockito-core", "4.11.0", "test"},
	}
	for _, i := range r.Perm(len(pool))[:2+r.IntN(4)] {
		deps = append(deps, pool[i])
	}
	deps = append(deps, mavenDep{"org.junit.jupiter", "junit-jupiter", "5.9.2", "test"})
	switch s.log4j {
	case log4jVulnerable, log4jFixed:
		deps = append(deps,
			mavenDep{"org.apache.logging.log4j", "log4j-api", s.log4j, ""},
			mavenDep{"org.apache.logging.log4j", "log4j-core", s.log4j, ""})
	case log4jViaProperty:
		deps = append(deps,
			mavenDep{"org.apache.logging.log4j", "log4j-api", "${log4j.version}", ""},
			mavenDep{"org.apache.logging.log4j", "log4j-core", "${log4j.version}", ""})
	case log4jAPIOnly:
		deps = append(deps, mavenDep{"org.apache.logging.log4j", "log4j-api", "2.17.2", ""})
	default:
		deps = append(deps, mavenDep{"ch.qos.logback", "logback-classic", "1.2.11", ""})
	}
	return deps
}

// javaMaven writes a Maven project under dir.
func (g *generator) javaMaven(files map[string][]byte, dir string, s spec, pkg string) {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
    <modelVersion>4.0.0</modelVersion>

    <groupId>com.example.%s</groupId>
    <artifactId>%s</artifactId>
    <version>1.%d.0-SNAPSHOT</version>

    <properties>
        <java.version>17</java.version>
        <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
`, s.team.name, s.slug, g.rng.IntN(20))
	if s.log4j == log4jViaProperty {
		b.WriteString("        <log4j.version>2.11.2</log4j.version>\n")
	}
	b.WriteString("    </properties>\n\n    <dependencies>\n")
	for _, d := range g.javaDeps(s) {
		fmt.Fprintf(&b, "        <dependency>\n            <groupId>%s</groupId>\n            <artifactId>%s</artifactId>\n            <version>%s</version>\n", d.group, d.artifact, d.version)
		if d.scope != "" {
			fmt.Fprintf(&b, "            <scope>%s</scope>\n", d.scope)
		}
		b.WriteString("        </dependency>\n")
	}
	b.WriteString(`    </dependencies>

    <build>
        <plugins>
            <plugin>
                <groupId>org.springframework.boot</groupId>
                <artifactId>spring-boot-maven-plugin</artifactId>
            </plugin>
        </plugins>
    </build>
</project>
`)
	files[dir+"pom.xml"] = []byte(b.String())
	g.javaSources(files, dir, s, pkg)
}

// javaGradle writes a Gradle project (Groovy or Kotlin DSL) under dir.
func (g *generator) javaGradle(files map[string][]byte, dir string, s spec, pkg string) {
	kts := s.lang == "gradle-kts"
	q := "'"
	if kts {
		q = `"`
	}
	var b strings.Builder
	if kts {
		b.WriteString("plugins {\n    java\n    id(\"org.springframework.boot\") version \"3.2.5\"\n}\n\n")
	} else {
		b.WriteString("plugins {\n    id 'java'\n    id 'org.springframework.boot' version '2.7.18'\n}\n\n")
	}
	fmt.Fprintf(&b, "group = %scom.example.%s%s\nversion = %s1.0.0%s\n\n", q, s.team.name, q, q, q)
	if s.log4j == log4jViaProperty {
		if kts {
			b.WriteString("val log4jVersion = \"2.11.2\"\n\n")
		} else {
			b.WriteString("ext {\n    log4jVersion = '2.11.2'\n}\n\n")
		}
	}
	b.WriteString("repositories {\n    mavenCentral()\n}\n\ndependencies {\n")
	deps := g.javaDeps(s)
	for _, d := range deps {
		conf := "implementation"
		if d.scope == "test" {
			conf = "testImplementation"
		}
		version := d.version
		if version == "${log4j.version}" {
			version = "$log4jVersion"
		}
		coord := d.group + ":" + d.artifact + ":" + version
		switch {
		case kts:
			fmt.Fprintf(&b, "    %s(\"%s\")\n", conf, coord)
		case strings.Contains(version, "$"):
			fmt.Fprintf(&b, "    %s \"%s\"\n", conf, coord)
		case d.artifact == "log4j-core" && g.rng.IntN(2) == 0:
			fmt.Fprintf(&b, "    %s group: '%s', name: '%s', version: '%s'\n", conf, d.group, d.artifact, version)
		default:
			fmt.Fprintf(&b, "    %s '%s'\n", conf, coord)
		}
	}
	b.WriteString("}\n")
	name := "build.gradle"
	if kts {
		name = "build.gradle.kts"
		files[dir+"settings.gradle.kts"] = []byte("rootProject.name = \"" + s.slug + "\"\n")
	} else {
		files[dir+"settings.gradle"] = []byte("rootProject.name = '" + s.slug + "'\n")
	}
	files[dir+name] = []byte(b.String())
	files[dir+"gradlew"] = g.filler[".md"]
	files[dir+"gradle/wrapper/gradle-wrapper.properties"] = g.filler[".md"]
	if s.log4j != log4jNone && g.rng.IntN(3) == 0 {
		var lock strings.Builder
		lock.WriteString("# This is a Gradle generated file for dependency locking.\n# Manual edits can break the build and are not advised.\n# This file is expected to be part of source control.\n")
		for _, d := range deps {
			v := d.version
			if strings.Contains(v, "$") {
				v = "2.11.2"
			}
			confs := "compileClasspath,runtimeClasspath,testCompileClasspath,testRuntimeClasspath"
			if d.scope == "test" {
				confs = "testCompileClasspath,testRuntimeClasspath"
			}
			fmt.Fprintf(&lock, "%s:%s:%s=%s\n", d.group, d.artifact, v, confs)
		}
		lock.WriteString("empty=annotationProcessor,testAnnotationProcessor\n")
		files[dir+"gradle.lockfile"] = []byte(lock.String())
	}
	g.javaSources(files, dir, s, pkg)
}

func (g *generator) javaSources(files map[string][]byte, dir string, s spec, pkg string) {
	root := dir + "src/main/java/com/example/" + pkg + "/"
	files[root+"Application.java"] = g.filler[".java"]
	files[dir+"src/main/resources/application.yml"] = g.filler[".yaml"]
	files[dir+"src/test/java/com/example/"+pkg+"/ApplicationTest.java"] = g.filler[".java"]
	if s.log4jXML {
		files[dir+"src/main/resources/log4j2.xml"] = []byte(log4j2XML)
	}
}

// goModule writes a Go module under dir.
func (g *generator) goModule(files map[string][]byte, dir, repoPath string, s spec) {
	r := g.rng
	pool := [][2]string{
		{"github.com/go-chi/chi/v5", "v5.0.10"},
		{"github.com/jackc/pgx/v5", "v5.5.0"},
		{"github.com/prometheus/client_golang", "v1.17.0"},
		{"go.uber.org/zap", "v1.26.0"},
		{"google.golang.org/grpc", "v1.59.0"},
		{"github.com/spf13/cobra", "v1.8.0"},
		{"gopkg.in/yaml.v3", "v3.0.1"},
		{"github.com/google/uuid", "v1.4.0"},
	}
	var b strings.Builder
	module := strings.TrimPrefix(generatedWebHost, "https://") + "/" + repoPath
	if dir != "" {
		module += "/" + strings.TrimSuffix(dir, "/")
	}
	fmt.Fprintf(&b, "module %s\n\ngo 1.21\n\nrequire (\n", module)
	for _, i := range r.Perm(len(pool))[:2+r.IntN(4)] {
		fmt.Fprintf(&b, "\t%s %s\n", pool[i][0], pool[i][1])
	}
	b.WriteString(")\n\nrequire (\n\tgithub.com/stretchr/testify v1.8.4 // indirect\n\tgolang.org/x/sys v0.14.0 // indirect\n)\n")
	files[dir+"go.mod"] = []byte(b.String())
	files[dir+"go.sum"] = g.filler[".md"]
	files[dir+"main.go"] = g.filler[".go"]
	files[dir+"Makefile"] = g.filler[".md"]
}

type npmDep struct{ name, version string }

// node writes an npm package under dir.
func (g *generator) node(files map[string][]byte, dir string, s spec) {
	r := g.rng
	deps := []npmDep{{"express", "^4.18.2"}}
	if s.typ == "website" {
		deps = []npmDep{{"react", "^18.2.0"}, {"react-dom", "^18.2.0"}, {"next", "14.0.3"}}
	}
	pool := []npmDep{{"axios", "^1.6.0"}, {"lodash", "^4.17.21"}, {"winston", "^3.11.0"}, {"pg", "^8.11.3"}, {"zod", "^3.22.4"}}
	for _, i := range r.Perm(len(pool))[:1+r.IntN(3)] {
		deps = append(deps, pool[i])
	}
	if r.IntN(4) == 0 || strings.HasSuffix(s.slug, "frontend") {
		// npm's log4js: not Java's log4j.
		deps = append(deps, npmDep{"log4js", "^6.9.1"})
	}
	dev := []npmDep{{"jest", "^29.7.0"}, {"eslint", "^8.54.0"}, {"typescript", "^5.3.2"}}
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  \"name\": \"@example/%s\",\n  \"version\": \"1.%d.0\",\n  \"private\": true,\n  \"scripts\": {\n    \"start\": \"node dist/index.js\",\n    \"test\": \"jest\"\n  },\n", s.slug, r.IntN(30))
	writeSection := func(name string, ds []npmDep, last bool) {
		fmt.Fprintf(&b, "  \"%s\": {\n", name)
		for i, d := range ds {
			comma := ","
			if i == len(ds)-1 {
				comma = ""
			}
			fmt.Fprintf(&b, "    \"%s\": \"%s\"%s\n", d.name, d.version, comma)
		}
		if last {
			b.WriteString("  }\n")
		} else {
			b.WriteString("  },\n")
		}
	}
	writeSection("dependencies", deps, false)
	writeSection("devDependencies", dev, true)
	b.WriteString("}\n")
	files[dir+"package.json"] = []byte(b.String())
	if s.npmLock {
		var l strings.Builder
		fmt.Fprintf(&l, "{\n  \"name\": \"@example/%s\",\n  \"lockfileVersion\": 3,\n  \"requires\": true,\n  \"packages\": {\n    \"\": {\n      \"name\": \"@example/%s\"\n    }", s.slug, s.slug)
		entry := func(name, version string, isDev bool) {
			devLine := ""
			if isDev {
				devLine = ",\n      \"dev\": true"
			}
			base := name[strings.LastIndexByte(name, '/')+1:]
			fmt.Fprintf(&l, ",\n    \"node_modules/%s\": {\n      \"version\": \"%s\",\n      \"resolved\": \"https://registry.npmjs.org/%s/-/%s-%s.tgz\",\n      \"integrity\": \"sha512-%x\"%s\n    }",
				name, version, name, base, version, r.Uint64(), devLine)
		}
		for _, d := range deps {
			entry(d.name, strings.TrimLeft(d.version, "^~"), false)
		}
		entry("debug", "4.3.4", false)
		entry("ms", "2.1.2", false)
		for _, d := range dev {
			entry(d.name, strings.TrimLeft(d.version, "^~"), true)
		}
		l.WriteString("\n  }\n}\n")
		files[dir+"package-lock.json"] = []byte(l.String())
	}
	files[dir+"src/index.ts"] = g.filler[".ts"]
	files[dir+"tsconfig.json"] = g.filler[".json"]
	files[dir+".eslintrc.json"] = g.filler[".json"]
}

// python writes a Python project: requirements.txt, or poetry.lock with
// pyproject.toml.
func (g *generator) python(files map[string][]byte, dir string, s spec, pkg string) {
	r := g.rng
	pool := [][2]string{
		{"requests", "2.31.0"}, {"flask", "3.0.0"}, {"SQLAlchemy", "2.0.23"}, {"pandas", "2.1.3"},
		{"numpy", "1.26.2"}, {"celery", "5.3.6"}, {"boto3", "1.33.1"}, {"PyYAML", "6.0.1"},
	}
	chosen := r.Perm(len(pool))[:3+r.IntN(4)]
	if s.lang == "poetry" {
		var b strings.Builder
		b.WriteString("# This file is automatically @generated by Poetry 1.7.1 and should not be changed by hand.\n\n")
		for _, i := range chosen {
			fmt.Fprintf(&b, "[[package]]\nname = \"%s\"\nversion = \"%s\"\ndescription = \"%s for Python\"\noptional = false\npython-versions = \">=3.8\"\nfiles = [\n    {file = \"%s-%s-py3-none-any.whl\", hash = \"sha256:%x\"},\n]\n\n",
				strings.ToLower(pool[i][0]), pool[i][1], pool[i][0], strings.ToLower(pool[i][0]), pool[i][1], r.Uint64())
		}
		b.WriteString("[[package]]\nname = \"pytest\"\nversion = \"7.4.3\"\ndescription = \"pytest: simple powerful testing with Python\"\noptional = false\npython-versions = \">=3.7\"\n\n[package.dependencies]\ncolorama = {version = \"*\", markers = \"sys_platform == \\\"win32\\\"\"}\n\n")
		b.WriteString("[metadata]\nlock-version = \"2.0\"\npython-versions = \"^3.11\"\ncontent-hash = \"0f1e\"\n")
		files[dir+"poetry.lock"] = []byte(b.String())
		files[dir+"pyproject.toml"] = []byte("[tool.poetry]\nname = \"" + s.slug + "\"\nversion = \"0.1.0\"\n")
	} else {
		var b strings.Builder
		b.WriteString("# Pinned by pip-compile.\n")
		for _, i := range chosen {
			fmt.Fprintf(&b, "%s==%s\n", pool[i][0], pool[i][1])
		}
		b.WriteString("gunicorn>=21.2,<22  # web server\n")
		files[dir+"requirements.txt"] = []byte(b.String())
		if r.IntN(3) == 0 {
			files[dir+"requirements-dev.txt"] = []byte("-r requirements.txt\npytest==7.4.3\nblack==23.11.0\n")
		}
	}
	files[dir+pkg+"/__init__.py"] = g.filler[".py"]
	files[dir+pkg+"/main.py"] = g.filler[".py"]
}

// ruby writes a mobile app's Ruby tooling (fastlane, CocoaPods) and its
// iOS sources.
func (g *generator) ruby(files map[string][]byte, s spec) {
	files["Gemfile"] = []byte("source \"https://rubygems.org\"\n\ngem \"fastlane\"\ngem \"cocoapods\"\n")
	files["Gemfile.lock"] = []byte(`GEM
  remote: https://rubygems.org/
  specs:
    CFPropertyList (3.0.6)
      rexml
    addressable (2.8.5)
      public_suffix (>= 2.0.2, < 6.0)
    cocoapods (1.14.3)
      addressable (~> 2.8)
    fastlane (2.217.0)
      CFPropertyList (>= 2.3, < 4.0.0)
      addressable (>= 2.8, < 3.0.0)
    nokogiri (1.15.5-arm64-darwin)
      racc (~> 1.4)
    public_suffix (4.0.7)
    racc (1.7.3)
    rexml (3.2.6)

PLATFORMS
  arm64-darwin-22

DEPENDENCIES
  cocoapods
  fastlane

BUNDLED WITH
   2.4.22
`)
	files["fastlane/Fastfile"] = g.filler[".md"]
	files["ios/App/AppDelegate.swift"] = g.filler[".swift"]
	files["Podfile"] = g.filler[".md"]
}

func (g *generator) terraform(files map[string][]byte, s spec) {
	files["main.tf"] = g.filler[".tf"]
	files["variables.tf"] = g.filler[".tf"]
	files["versions.tf"] = g.filler[".tf"]
}

func (g *generator) docs(files map[string][]byte, s spec) {
	files["mkdocs.yml"] = g.filler[".yaml"]
	files["docs/index.md"] = g.filler[".md"]
}

// monorepo writes several services in one repo, described by one
// multi-document catalog-info.yaml.
func (g *generator) monorepo(files map[string][]byte, p *Project, s spec) {
	type part struct{ name, lang string }
	parts := []part{{"api-gateway", "go"}, {"config-service", "maven"}, {"job-runner", "node"}}
	if s.slug != "platform-services" {
		// Random monorepos: two to three services named after the team.
		parts = nil
		for _, i := range g.rng.Perm(len(s.team.words))[:2+g.rng.IntN(2)] {
			parts = append(parts, part{s.team.words[i] + "-" + s.slug[:strings.IndexByte(s.slug+"-", '-')], pick(g.rng, []string{"go", "maven", "node"})})
		}
	}
	var docs []string
	docs = append(docs, fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: %s
  description: Services of the %s team that ship together.
spec:
  owner: group:%s
`, s.slug, s.team.title, s.team.name))
	for _, pt := range parts {
		sub := spec{team: s.team, slug: pt.name, lang: pt.lang, log4j: log4jFixed, lifecycle: "production", typ: "service"}
		dir := "services/" + pt.name + "/"
		switch pt.lang {
		case "go":
			g.goModule(files, dir, p.Path, sub)
		case "maven":
			g.javaMaven(files, dir, sub, strings.ReplaceAll(pt.name, "-", ""))
		case "node":
			g.node(files, dir, sub)
		}
		docs = append(docs, fmt.Sprintf(`apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: %s
  description: %s, part of %s.
  annotations:
    gitlab.com/project-slug: %s
    backstage.io/source-location: url:%s/%s/-/tree/main/%s
    pagerduty.com/service-id: %s
  links:
    - url: %s/%s/%s
      title: Runbook
      type: runbook
spec:
  type: service
  lifecycle: production
  owner: group:%s
  system: %s
`, pt.name, titleCase(pt.name), s.slug, p.Path, generatedWebHost, p.Path, strings.TrimSuffix(dir, "/"), g.pagerDutyID(),
			generatedRunbookHost, s.team.name, pt.name, s.team.name, s.slug))
	}
	files["catalog-info.yaml"] = []byte(strings.Join(docs, "---\n"))
}

// Describe says how a generated project was made: its descriptor kind (one
// of the Desc* constants) and the log4j-core version its build declares
// ("" when none; "2.11.2" when through a Maven property or Gradle
// variable). It reads the files, so it works on any project.
func Describe(p Project) (descriptor, log4jCore string) {
	descriptor = DescNone
	if b, ok := p.Files["catalog-info.yaml"]; ok {
		s := string(b)
		switch {
		case strings.Contains(s, "${{"):
			descriptor = DescTemplate
		case strings.Count(s, "kind: Component") > 1:
			descriptor = DescMonorepo
		case strings.Contains(s, "\n   lifecycle:"):
			descriptor = DescBackstageSyntaxError
		case !strings.Contains(s, "owner:"):
			descriptor = DescBackstageNoOwner
		case strings.Contains(s, `name: "`):
			descriptor = DescBackstageBadName
		default:
			descriptor = DescBackstage
		}
	} else if b, ok := p.Files["opslevel.yml"]; ok {
		descriptor = DescOpsLevel
		if !strings.Contains(string(b), "owner:") {
			descriptor = DescOpsLevelNoOwner
		}
	}
	paths := make([]string, 0, len(p.Files))
	for path := range p.Files {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	for _, path := range paths {
		if !strings.HasSuffix(path, "pom.xml") && !strings.HasSuffix(path, "build.gradle") && !strings.HasSuffix(path, "build.gradle.kts") {
			continue
		}
		s := string(p.Files[path])
		i := strings.Index(s, "log4j-core")
		if i < 0 {
			continue
		}
		rest := s[i:]
		for _, v := range []string{log4jVulnerable, log4jFixed, "2.11.2", "log4j.version", "log4jVersion"} {
			if j := strings.Index(rest, v); j >= 0 && j < 120 {
				if v == "log4j.version" || v == "log4jVersion" {
					v = "2.11.2"
				}
				return descriptor, v
			}
		}
	}
	return descriptor, ""
}
