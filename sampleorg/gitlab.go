package sampleorg

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/gitlab/fakegitlab"
	"github.com/switchboard-dev/switchboard/pagerduty/fakepd"
)

// log4j versions the sample repos declare: what /impact finds.
var log4j = map[string]string{
	"payment-gateway": "2.14.1",
	"ledger":          "2.14.1",
	"sso-bridge":      "2.11.2",
	"search-api":      "2.17.1",
	"search-indexer":  "2.17.1",
}

// springBootPOM is SpringBootService's pom.xml: one starter, and no
// log4j-core in sight.
const springBootPOM = `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>example.acme</groupId>
  <artifactId>` + SpringBootService + `</artifactId>
  <version>1.0.0</version>
  <dependencies>
    <dependency>
      <groupId>org.springframework.boot</groupId>
      <artifactId>spring-boot-starter-log4j2</artifactId>
      <version>2.6.1</version>
    </dependency>
  </dependencies>
</project>
`

// ciConfig is the .gitlab-ci.yml of the sample services that have one.
const ciConfig = `stages: [test, deploy]

test:
  stage: test
  script: [make test]

deploy:
  stage: deploy
  script: [make deploy]
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
`

// GitLabOrg is the sample organisation as a GitLab instance holds it, for
// the fake GitLab the demo syncs from: a group per team with its people,
// and a repo per service with its descriptor (Backstage catalog-info.yaml,
// or opslevel.yml for most services with aliases or without an owner, which
// OpsLevel allows), its dependency files, and a file tree. Then the repos a
// real organisation also has: uncatalogued ones (one still on a vulnerable
// log4j), a broken descriptor, a template, an archived repo.
func GitLabOrg(now time.Time) *fakegitlab.Org {
	org := &fakegitlab.Org{Groups: []fakegitlab.Group{{ID: 1, Path: "acme", Name: "Acme"}}}
	byTeam := map[string][]Person{}
	for _, p := range People() {
		byTeam[p.Team] = append(byTeam[p.Team], p)
	}
	for i, t := range teams {
		g := fakegitlab.Group{ID: int64(10 + i), Path: "acme/" + t.name, Name: t.title}
		for j, p := range byTeam[t.name] {
			g.Members = append(g.Members, fakegitlab.Member{ID: int64(100*(i+1) + j), Username: p.GitLabUsername, Name: p.Name, Email: p.Email, AccessLevel: fakegitlab.Developer})
		}
		org.Groups = append(org.Groups, g)
	}
	org.Groups = append(org.Groups, fakegitlab.Group{ID: 99, Path: "acme/legacy", Name: "Legacy"})

	// Who opens the merge requests of a team's repos: its people in turn.
	authors := map[string][]fakegitlab.Member{}
	for _, g := range org.Groups {
		team := strings.TrimPrefix(g.Path, "acme/")
		authors[team] = g.Members
	}
	id := int64(1000)
	add := func(path string, files map[string][]byte, archived bool) {
		id++
		if _, ok := files["README.md"]; !ok {
			files["README.md"] = []byte("# " + path + "\n")
		}
		p := &fakegitlab.Project{
			ID: id, Path: path, DefaultBranch: "main", Archived: archived,
			CreatedAt: now.Add(-400 * 24 * time.Hour), LastActivity: now.Add(-time.Duration(id%90) * time.Hour), Files: files,
		}
		addMerges(p, now, authors[strings.Split(path, "/")[1]])
		addHistory(p, now, authors[strings.Split(path, "/")[1]])
		org.Projects = append(org.Projects, p)
	}
	for _, s := range services {
		files := map[string][]byte{}
		// OpsLevel for the services it describes better (aliases, no owner);
		// Backstage for the rest, and for those with a channel of their own
		// (Backstage's slack.com/bot-notify; OpsLevel has no such field).
		if len(s.aliases) > 0 && s.channel == "" || s.team == "" {
			files["opslevel.yml"] = []byte(opsLevel(s))
		} else {
			files["catalog-info.yaml"] = []byte(backstage(s))
		}
		if s.fixture {
			if err := addFixture(files, repoPath(s)); err != nil {
				panic(err) // the embedded files are the binary's own: a bug
			}
			files["docs/index.md"] = []byte("# " + s.name + "\n")
		} else {
			addSources(files, s.name, s.language, log4j[s.name])
		}
		if s.ci {
			files[".gitlab-ci.yml"] = []byte(ciConfig)
		}
		if s.readme != "" {
			// A README as real ones start: a title, badges, a paragraph.
			files["README.md"] = []byte("# " + s.name + "\n\n[![pipeline](https://gitlab." + Domain + "/" + repoPath(s) +
				"/badges/main/pipeline.svg)](https://gitlab." + Domain + "/" + repoPath(s) + "/-/pipelines)\n\n" + s.readme + "\n\n## Running it\n\n    make run\n")
		}
		if s.name == SpringBootService {
			files["pom.xml"] = []byte(springBootPOM)
		}
		add(repoPath(s), files, false)
	}
	// What the catalog does not cover yet.
	add("acme/payments/payments-scripts", withSources("payments-scripts", "java", "2.14.1"), false)
	add("acme/data/notebooks", withSources("notebooks", "python", ""), false)
	add("acme/search/synonyms", withSources("synonyms", "go", ""), false)
	add("acme/mobile/design-tokens", withSources("design-tokens", "typescript", ""), false)
	broken := withSources("crawler", "go", "")
	broken["catalog-info.yaml"] = []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: crawler\nspec:\n  type: service\n  lifecycle: production\n")
	add("acme/search/crawler", broken, false)
	tmpl := map[string][]byte{"catalog-info.yaml": []byte("apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${{ values.name }}\nspec:\n  type: service\n  lifecycle: experimental\n  owner: ${{ values.owner }}\n")}
	add("acme/platform/service-template", tmpl, false)
	add("acme/legacy/old-billing", withSources("old-billing", "java", "2.11.2"), true)
	add(SBOMRepo())
	return org
}

// Repos whose last merge is old (more than 90 days: the default
// scorecard's gold check fails), or that never had one; and those whose
// default branch is not protected. The others had merges in the last
// weeks and a protected default branch, as GitLab makes it.
var (
	staleMerges = map[string]time.Duration{
		"acme/platform/deploy-bot":    200 * 24 * time.Hour,
		"acme/identity/sso-bridge":    400 * 24 * time.Hour,
		"acme/legacy/old-billing":     700 * 24 * time.Hour,
		"acme/search/synonyms":        120 * 24 * time.Hour,
		"acme/legacy/legacy-cron":     300 * 24 * time.Hour,
		"acme/platform/service-mesh":  95 * 24 * time.Hour,
		"acme/mobile/design-tokens":   150 * 24 * time.Hour,
		"acme/platform/ci-runners":    100 * 24 * time.Hour,
		"acme/payments/fraud-scoring": 91 * 24 * time.Hour,
	}
	neverMerged = map[string]bool{"acme/platform/service-template": true, "acme/data/notebooks": true}
	unprotected = map[string]bool{"acme/payments/fraud-scoring": true, "acme/data/notebooks": true, "acme/search/ranking-model": true}
)

// addMerges gives a sample repo its merged merge requests (three, the last
// a few days to a few weeks before now, or long before for staleMerges'
// repos) and its branch protection.
func addMerges(p *fakegitlab.Project, now time.Time, authors []fakegitlab.Member) {
	p.DefaultBranchUnprotected = unprotected[p.Path]
	if neverMerged[p.Path] {
		return
	}
	if len(authors) == 0 {
		authors = []fakegitlab.Member{{ID: 1, Username: "root", Name: "Administrator", Email: "admin@" + Domain}}
	}
	day := 24 * time.Hour
	last := time.Duration(2+p.ID%40) * day
	if d, ok := staleMerges[p.Path]; ok {
		last = d - 12*time.Hour // read as d: ages are rounded up to days
	}
	titles := []string{"Bump dependencies", "Fix flaky test", "Add request metrics"}
	for i, title := range titles {
		at := now.Add(-last - time.Duration(len(titles)-1-i)*14*day).Truncate(time.Second)
		p.MergedMergeRequests = append(p.MergedMergeRequests, fakegitlab.MergedMergeRequest{
			Title: title, SourceBranch: fmt.Sprintf("mr-%d", i+1), Author: authors[(int(p.ID)+i)%len(authors)], MergedAt: at,
		})
	}
}

// repoPath is where a sample service lives.
func repoPath(s service) string {
	group := s.team
	if group == "" {
		group = "legacy"
	}
	if s.namespace != "" {
		return "acme/" + group + "/" + s.namespace + "-" + s.name
	}
	return "acme/" + group + "/" + s.name
}

func ref(s service) string {
	if s.namespace != "" {
		return s.namespace + "/" + s.name
	}
	return s.name
}

func backstage(s service) string {
	var b strings.Builder
	fmt.Fprintf(&b, "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: %s\n", s.name)
	if s.namespace != "" {
		fmt.Fprintf(&b, "  namespace: %s\n", s.namespace)
	}
	fmt.Fprintf(&b, "  description: %q\n  annotations:\n    gitlab.com/project-slug: %s\n", s.description, strings.TrimPrefix(repoPath(s), ""))
	if id := fakepd.SampleServiceID(ref(s)); id != "" && !s.pdKeyOnly {
		fmt.Fprintf(&b, "    pagerduty.com/service-id: %s\n", id)
	}
	if key := fakepd.SampleIntegrationKey(ref(s)); key != "" {
		fmt.Fprintf(&b, "    pagerduty.com/integration-key: %s\n", key)
	}
	if s.channel != "" {
		fmt.Fprintf(&b, "    slack.com/bot-notify: %s\n", strings.TrimPrefix(s.channel, "#"))
	}
	if s.runbook || s.docs {
		b.WriteString("  links:\n")
		if s.runbook {
			fmt.Fprintf(&b, "    - url: https://wiki.%s/runbooks/%s\n      title: Runbook\n", Domain, s.name)
		}
		if s.docs {
			fmt.Fprintf(&b, "    - url: https://docs.%s/%s\n      title: Docs\n      type: docs\n", Domain, s.name)
		}
	}
	kind := s.kind
	if kind == "" {
		kind = "service"
	}
	fmt.Fprintf(&b, "spec:\n  type: %s\n  lifecycle: %s\n  owner: group:%s\n", kind, s.lifecycle, s.team)
	if s.tier != "" {
		fmt.Fprintf(&b, "  tier: %q\n", s.tier)
	}
	if s.language != "" {
		fmt.Fprintf(&b, "  language: %s\n", s.language)
	}
	if s.framework != "" {
		fmt.Fprintf(&b, "  framework: %s\n", s.framework)
	}
	writeBackstageRelations(&b, s)
	return b.String()
}

func opsLevel(s service) string {
	var b strings.Builder
	fmt.Fprintf(&b, "version: 1\nservice:\n  name: %s\n  description: %q\n", s.name, s.description)
	if s.team != "" {
		fmt.Fprintf(&b, "  owner: %s\n", s.team)
	}
	fmt.Fprintf(&b, "  lifecycle: %s\n", s.lifecycle)
	if s.tier != "" {
		fmt.Fprintf(&b, "  tier: %q\n", s.tier)
	}
	if s.language != "" {
		fmt.Fprintf(&b, "  language: %s\n", s.language)
	}
	if s.framework != "" {
		fmt.Fprintf(&b, "  framework: %s\n", s.framework)
	}
	if len(s.aliases) > 0 {
		b.WriteString("  aliases:\n")
		for _, a := range s.aliases {
			fmt.Fprintf(&b, "    - %s\n", a)
		}
	}
	if s.runbook || s.docs {
		b.WriteString("  tools:\n")
		if s.runbook {
			fmt.Fprintf(&b, "    - name: Runbook\n      category: runbooks\n      url: https://wiki.%s/runbooks/%s\n", Domain, s.name)
		}
		if s.docs {
			fmt.Fprintf(&b, "    - name: Docs\n      category: documentation\n      url: https://docs.%s/%s\n", Domain, s.name)
		}
	}
	writeOpsLevelRelations(&b, s)
	if id := fakepd.SampleServiceID(ref(s)); id != "" {
		fmt.Fprintf(&b, "  alert_sources:\n    - type: pagerduty\n      external_id: %s\n", id)
	}
	return b.String()
}

func withSources(name, language, log4jVersion string) map[string][]byte {
	files := map[string][]byte{}
	addSources(files, name, language, log4jVersion)
	return files
}

// addSources writes a plausible tree and dependency file for language.
func addSources(files map[string][]byte, name, language, log4jVersion string) {
	switch language {
	case "java", "kotlin", "scala":
		if log4jVersion == "2.17.1" {
			files["build.gradle"] = []byte(fmt.Sprintf("plugins { id 'java' }\n\ndependencies {\n    implementation 'org.apache.logging.log4j:log4j-core:%s'\n    implementation 'org.apache.logging.log4j:log4j-api:%s'\n    implementation 'com.fasterxml.jackson.core:jackson-databind:2.15.2'\n}\n", log4jVersion, log4jVersion))
		} else {
			deps := "    <dependency>\n      <groupId>com.fasterxml.jackson.core</groupId>\n      <artifactId>jackson-databind</artifactId>\n      <version>2.15.2</version>\n    </dependency>\n"
			props := ""
			if log4jVersion != "" {
				props = fmt.Sprintf("  <properties>\n    <log4j.version>%s</log4j.version>\n  </properties>\n", log4jVersion)
				deps += "    <dependency>\n      <groupId>org.apache.logging.log4j</groupId>\n      <artifactId>log4j-core</artifactId>\n      <version>${log4j.version}</version>\n    </dependency>\n"
				files["src/main/resources/log4j2.xml"] = []byte("<Configuration status=\"WARN\"><Appenders/><Loggers/></Configuration>\n")
			}
			files["pom.xml"] = []byte(fmt.Sprintf("<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>example.acme</groupId>\n  <artifactId>%s</artifactId>\n  <version>1.0.0</version>\n%s  <dependencies>\n%s  </dependencies>\n</project>\n", name, props, deps))
		}
		files["src/main/java/example/acme/App.java"] = []byte("package example.acme;\n\nclass App {}\n")
	case "go":
		// Every Go service but the library's own repo ships its logs
		// with goLibrary.
		lib := ""
		if "example.acme/"+name != goLibrary {
			lib = "\t" + goLibrary + " v1.8.0\n"
		}
		files["go.mod"] = []byte(fmt.Sprintf("module example.acme/%s\n\ngo 1.22\n\nrequire (\n\tgithub.com/jackc/pgx/v5 v5.5.0\n\tgithub.com/prometheus/client_golang v1.19.0\n%s)\n", name, lib))
		files["main.go"] = []byte("package main\n\nfunc main() {}\n")
	case "typescript":
		files["package.json"] = []byte(fmt.Sprintf("{\n  \"name\": %q,\n  \"version\": \"1.0.0\",\n  \"dependencies\": {\n    \"react\": \"^18.2.0\",\n    \"log4js\": \"^6.9.1\"\n  }\n}\n", name))
		files["src/index.ts"] = []byte("export {}\n")
	case "python":
		files["requirements.txt"] = []byte("requests==2.31.0\nfastapi==0.110.0\n")
		files["app/main.py"] = []byte("print('hello')\n")
	case "ruby":
		files["Gemfile.lock"] = []byte("GEM\n  remote: https://rubygems.org/\n  specs:\n    rails (7.1.3)\n\nPLATFORMS\n  ruby\n\nDEPENDENCIES\n  rails\n")
	}
	files["docs/index.md"] = []byte("# " + name + "\n")
}

// LoadDirectory writes what the organisation's directories know of the
// sample teams and people into store: each team's title, channel, GitLab
// group and PagerDuty escalation policy, and each person's Slack id. The
// services come from the sync of GitLabOrg, and who is in which team from
// the rosters (the GitLab groups and PagerDuty policies).
func LoadDirectory(ctx context.Context, store *catalog.Store) error {
	for _, t := range teams {
		if _, err := store.PutTeam(ctx, catalog.Team{
			Name: t.name, Title: t.title, SlackChannel: t.channel,
			GitLabGroup: "acme/" + t.name, PagerDutyEscalationPolicy: fakepd.SampleEscalationPolicyID(t.name),
		}); err != nil {
			return fmt.Errorf("load sample directory: %w", err)
		}
	}
	for _, p := range People() {
		if _, err := store.PutPerson(ctx, catalog.Person{Name: p.Name, Email: p.Email, GitLabUsername: p.GitLabUsername,
			SlackUserID: p.SlackUserID, PagerDutyUserID: fakepd.SampleUserID(p.Email)}); err != nil {
			return fmt.Errorf("load sample directory: %w", err)
		}
	}
	return nil
}
