package commands

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
)

// DigestIndex is what /digest and the /service subcommands about
// uncatalogued and ignored repos need of the catalog. *catalog.Store is
// one; digest.Source is one that also honours the standards file.
type DigestIndex interface {
	Digest(ctx context.Context, opts catalog.DigestOptions) (*catalog.Digest, error)
	IgnoreRepo(ctx context.Context, path, reason, actor string) (catalog.IgnoredRepo, error)
	UnignoreRepo(ctx context.Context, path, actor string) (catalog.IgnoredRepo, error)
	IgnoredRepos(ctx context.Context) ([]catalog.IgnoredRepo, error)
}

// Limits of a digest message. Slack allows 50 blocks a message, 3,000
// characters a section and 25 elements an actions block; the bot may add a
// block of its own (Share), so a digest keeps a margin.
const (
	digestMaxBlocks = 46
	// sectionBudget is the most characters of mrkdwn a section is given,
	// links and escapes counted.
	sectionBudget = 2800
	// digestGroups is how many groups of uncatalogued repos a digest shows;
	// digestGroupRepos how many repos of each (with their two buttons), and
	// digestOneGroupRepos when there are only one or two groups.
	digestGroups        = 10
	digestGroupRepos    = 5
	digestOneGroupRepos = 10
	// digestListLines is how many lines a list section of the digest shows
	// (broken descriptors, conflicts, orphans, gaps).
	digestListLines = 15
)

// Commands that the digest's buttons and pointers run.
const (
	cmdRegister     = "/service add"
	cmdIgnore       = "/service ignore"
	cmdUnignore     = "/service unignore"
	cmdIgnored      = "/service ignored"
	cmdUncatalogued = "/service uncatalogued"
)

// Digest is /digest [GROUP]: the catalog's digest now — coverage and its
// change since the last posted digest, repos without a descriptor (each
// with Register and Ignore buttons), broken descriptors, name conflicts,
// orphaned services and services missing an owner, on-call or runbook —
// for the whole organisation or one GitLab group.
func Digest(idx DigestIndex) Command {
	return Command{
		Name:    "/digest",
		Usage:   "[GROUP]",
		Summary: "What the catalog lacks: uncatalogued repos, broken descriptors, conflicts, services without owner, on-call or runbook",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			fields := strings.Fields(req.Text)
			if len(fields) > 1 {
				return usageResponse("Give one GitLab group at most, e.g. ", "/digest payments", " or ", "/digest"), nil
			}
			group := ""
			if len(fields) == 1 {
				group = strings.Trim(fields[0], "/")
			}
			d, err := idx.Digest(ctx, catalog.DigestOptions{Group: group})
			if err != nil {
				return Response{}, err
			}
			if group != "" && d.Coverage.Active == 0 && d.Coverage.Ignored == 0 {
				msg := fmt.Sprintf("No active repo in the GitLab group %s (active: pushed to in the last %d days, not archived).", group, d.ActiveDays)
				return textResponse(T(Plain(msg))), nil
			}
			resp := DigestResponse(d)
			resp.Shareable = true
			return resp, nil
		},
	}
}

// DigestResponse renders a digest (the whole organisation's, a group's or a
// team's part) within Slack's limits: long lists are cut, saying how many
// are left out and which command lists them all.
func DigestResponse(d *catalog.Digest) Response {
	var b digestBuilder
	b.header(d)
	if d.Empty() && d.Coverage.Active == 0 {
		b.add(&Section{Text: T(Plain("No active repo in the catalog yet: "), Code("switchboard sync"), Plain(" brings them in from GitLab."))})
		return Response{Text: digestSummary(d), Blocks: b.blocks}
	}
	if d.Empty() {
		b.add(&Section{Text: T(Plain("Nothing to fix: every active repo is catalogued, and every service has an owner, a way to page on call and a runbook."))})
		b.add(dividedSections(d, levelsSection, overdueCampaignsSection, noisySection)...)
		return Response{Text: digestSummary(d), Blocks: b.blocks}
	}
	// The short lists come after the repos but are built first, so that
	// whatever the repos leave of the block budget they always fit.
	tail := dividedSections(d, brokenSection, unreadSection, conflictsSection, orphansSection, gapsSection,
		levelsSection, overdueCampaignsSection, noisySection)
	footer := &Context{Text: T(Plain("Register opens "), Code(cmdRegister), Plain(" for the repo; Ignore asks why and leaves it out ("),
		Code(cmdIgnored), Plain(" lists those). Active repos: not archived, not ignored, with activity in the last "+strconv.Itoa(d.ActiveDays)+" days."))}
	b.uncatalogued(d, digestMaxBlocks-len(b.blocks)-len(tail)-1)
	b.add(tail...)
	b.add(footer)
	return Response{Text: digestSummary(d), Blocks: b.blocks}
}

// dividedSections is the sections sections make of d, each after a
// divider; a nil section is left out.
func dividedSections(d *catalog.Digest, sections ...func(*catalog.Digest) *Section) []Block {
	var blocks []Block
	for _, section := range sections {
		if s := section(d); s != nil {
			blocks = append(blocks, &Divider{}, s)
		}
	}
	return blocks
}

type digestBuilder struct{ blocks []Block }

func (b *digestBuilder) add(blocks ...Block) { b.blocks = append(b.blocks, blocks...) }

// header adds the title, coverage, its change and trend.
func (b *digestBuilder) header(d *catalog.Digest) {
	day := d.Day
	if day.IsZero() {
		day = d.Now
	}
	title := "Catalog digest"
	switch {
	case d.Team != "":
		title += " for team " + d.Team
	case d.Group != "":
		title += " of " + d.Group
	}
	b.add(&Header{Text: title + " — " + day.Format("Mon 2 Jan 2006")})

	c := d.Coverage
	line := T(Bold(fmt.Sprintf("Coverage %s", digestPercent(c.Percent()))),
		Plain(fmt.Sprintf(": %d of %d active repos catalogued", c.Catalogued, c.Active)))
	if change := coverageChange(d); change != "" {
		line = append(line, Plain(" "+change))
	}
	var counts []string
	if c.NoDescriptor > 0 {
		counts = append(counts, countNoun(c.NoDescriptor, "repo", "repos")+" without a descriptor")
	}
	if c.Broken > 0 {
		counts = append(counts, countNoun(c.Broken, "broken descriptor", "broken descriptors"))
	}
	if n := len(d.Unread); n > 0 {
		counts = append(counts, countNoun(n, "repo", "repos")+" with dependency files not read")
	}
	if c.Ignored > 0 {
		counts = append(counts, countNoun(c.Ignored, "repo", "repos")+" ignored")
	}
	if len(counts) > 0 {
		line = append(line, Plain("\n"+strings.Join(counts, " · ")))
	}
	b.add(&Section{Text: line})
	if len(d.Trend) > 0 {
		var parts []string
		for _, t := range d.Trend {
			parts = append(parts, digestPercent(t.Coverage.Percent())+" ("+t.Day.Format("2 Jan")+")")
		}
		parts = append(parts, digestPercent(c.Percent())+" now")
		b.add(&Context{Text: T(Plain("Trend: " + strings.Join(parts, " → ")))})
	}
}

// coverageChange says how coverage moved since the previous digest.
func coverageChange(d *catalog.Digest) string {
	if d.Previous == nil {
		return "(no earlier digest to compare with yet)"
	}
	delta := d.Coverage.Percent() - d.Previous.Coverage.Percent()
	since := "since the digest of " + d.Previous.Day.Format("Mon 2 Jan")
	switch {
	case delta >= 0.05:
		return fmt.Sprintf("(▲ %.1f points %s)", delta, since)
	case delta <= -0.05:
		return fmt.Sprintf("(▼ %.1f points %s)", -delta, since)
	}
	return "(unchanged " + since + ")"
}

func digestPercent(p float64) string { return strconv.FormatFloat(p, 'f', 1, 64) + "%" }

// countNoun is n with its noun: "1 service", "3 services".
func countNoun(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// digestSummary is the digest's one-line text: a notification's.
func digestSummary(d *catalog.Digest) string {
	s := fmt.Sprintf("Catalog coverage %s (%d of %d active repos)", digestPercent(d.Coverage.Percent()), d.Coverage.Catalogued, d.Coverage.Active)
	if d.Team != "" {
		s = "Team " + d.Team + ": c" + s[1:]
	} else if d.Group != "" {
		s = d.Group + ": c" + s[1:]
	}
	var parts []string
	if n := d.UncataloguedCount(); n > 0 {
		parts = append(parts, countNoun(n, "repo", "repos")+" without a descriptor")
	}
	if n := len(d.Broken); n > 0 {
		parts = append(parts, countNoun(n, "broken descriptor", "broken descriptors"))
	}
	if n := len(d.Unread); n > 0 {
		parts = append(parts, countNoun(n, "repo", "repos")+" with dependency files not read")
	}
	if n := len(d.Conflicts); n > 0 {
		parts = append(parts, countNoun(n, "name conflict", "name conflicts"))
	}
	if n := len(d.Orphaned); n > 0 {
		parts = append(parts, countNoun(n, "orphaned service", "orphaned services"))
	}
	if n := len(d.Gaps); n > 0 {
		parts = append(parts, countNoun(n, "service with gaps", "services with gaps"))
	}
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

// uncatalogued adds the repos without a descriptor, by group, in at most
// budget blocks.
func (b *digestBuilder) uncatalogued(d *catalog.Digest, budget int) {
	total := d.UncataloguedCount()
	if total == 0 {
		return
	}
	listAll := cmdUncatalogued
	if d.Group != "" {
		listAll += " " + d.Group
	}
	b.add(&Divider{}, &Section{Text: T(Bold(fmt.Sprintf("Repos without a descriptor: %d in %s", total, countNoun(len(d.Uncatalogued), "group", "groups"))),
		Plain("\nRegister each one, or Ignore it if it is not a service."))})
	budget -= 3 // the divider, the title, and a note of groups left out
	perGroup := digestGroupRepos
	if len(d.Uncatalogued) <= 2 {
		perGroup = digestOneGroupRepos
	}
	shownGroups, shownRepos := 0, 0
	for _, g := range d.Uncatalogued {
		if shownGroups == digestGroups || budget < 2 {
			break
		}
		title := T(Bold(digestGroupLabel(g.Group)))
		if g.Team != "" && d.Team == "" {
			title = append(title, Plain(" (team "+g.Team+")"))
		}
		title = append(title, Plain(" — "+countNoun(len(g.Repos), "repo", "repos")))
		sec, n := repoLines(title, g.Repos, perGroup)
		if left := len(g.Repos) - n; left > 0 {
			sec.Text = append(sec.Text, Plain(fmt.Sprintf("\n…and %d more: ", left)), Code(cmdUncatalogued+" "+g.Group))
		}
		b.add(sec, repoButtons(g.Repos[:n]))
		budget -= 2
		shownGroups++
		shownRepos += n
	}
	if left := len(d.Uncatalogued) - shownGroups; left > 0 {
		b.add(&Context{Text: T(Plain(fmt.Sprintf("…and %s with %s more: ", countNoun(left, "more group", "more groups"), countNoun(total-shownReposInGroups(d, shownGroups), "repo", "repos"))), Code(listAll))})
	} else if shownRepos < total {
		b.add(&Context{Text: T(Plain("The full list, page by page: "), Code(listAll))})
	}
}

// shownReposInGroups counts the repos of the first n groups.
func shownReposInGroups(d *catalog.Digest, n int) int {
	c := 0
	for _, g := range d.Uncatalogued[:n] {
		c += len(g.Repos)
	}
	return c
}

func digestGroupLabel(group string) string {
	if group == "" {
		return "(no group)"
	}
	return group
}

// repoLines lists up to max repos under title in one section within
// Slack's limit, and says how many it listed.
func repoLines(title Text, repos []catalog.UncataloguedRepo, max int) (*Section, int) {
	text := append(Text{}, title...)
	size := digestTextLen(text) + 60 // room for "…and N more: /service uncatalogued GROUP"
	n := 0
	for _, r := range repos {
		if n == max {
			break
		}
		line := repoLine(r)
		if l := digestTextLen(line) + 1; size+l+len(r.Group) > sectionBudget {
			break
		} else {
			size += l
		}
		text = append(text, Plain("\n"))
		text = append(text, line...)
		n++
	}
	return &Section{Text: text}, n
}

// repoLine is one uncatalogued repo: its path, linked, what is there and
// when it last changed.
func repoLine(r catalog.UncataloguedRepo) Text {
	line := T(Plain("• "), Link(r.Path, r.WebURL))
	switch r.Status {
	case catalog.DescriptorTemplate:
		line = append(line, Plain(" — a template (ignore it if it scaffolds services)"))
	case catalog.DescriptorMissing:
	default:
		if r.SyncError != "" {
			line = append(line, Plain(" — not read: "+digestClip(r.SyncError, 80)))
		} else {
			line = append(line, Plain(" — not read yet"))
		}
	}
	if !r.LastActivityAt.IsZero() {
		line = append(line, Plain(" · active "+r.LastActivityAt.Format("2 Jan 2006")))
	}
	return line
}

// repoButtons are the Register and Ignore buttons of each repo: two
// elements a repo, so at most twelve repos fit one actions block.
func repoButtons(repos []catalog.UncataloguedRepo) *Actions {
	a := &Actions{}
	for _, r := range repos {
		name := r.Path[strings.LastIndexByte(r.Path, '/')+1:]
		a.Buttons = append(a.Buttons,
			Button{Label: "Register " + name, Command: cmdRegister + " " + r.Path, Style: "primary"},
			Button{Label: "Ignore " + name, Command: cmdIgnore + " " + r.Path})
	}
	return a
}

// digestList is a titled list, cut to digestListLines lines and to
// Slack's section limit, ending with how many were left out.
func digestList(title string, lines []Text, more Text) *Section {
	if len(lines) == 0 {
		return nil
	}
	text := T(Bold(fmt.Sprintf("%s (%d)", title, len(lines))))
	size := digestTextLen(text) + digestTextLen(more) + 40
	shown := 0
	for _, l := range lines {
		if shown == digestListLines || size+digestTextLen(l)+1 > sectionBudget {
			break
		}
		size += digestTextLen(l) + 1
		text = append(text, Plain("\n"))
		text = append(text, l...)
		shown++
	}
	if left := len(lines) - shown; left > 0 {
		text = append(text, Plain(fmt.Sprintf("\n…and %d more", left)))
		if len(more) > 0 {
			text = append(text, Plain("; "))
			text = append(text, more...)
		}
	}
	return &Section{Text: text}
}

// digestNarrow is the pointer a cut list gives: a digest of one group.
func digestNarrow(d *catalog.Digest) Text {
	if d.Group != "" || d.Team != "" {
		return nil
	}
	return T(Code("/digest GROUP"), Plain(" shows one group's"))
}

func brokenSection(d *catalog.Digest) *Section {
	var lines []Text
	for _, r := range d.Broken {
		f := r.First
		path := f.Path
		if path == "" {
			path = r.DescriptorPath
		}
		loc := fmt.Sprintf("%s/%s:%d:%d", r.Path, path, f.Line, f.Col)
		line := T(Plain("• "), Link(loc, r.FileURL()), Plain(": "+digestClip(f.Message, 200)))
		if r.Findings > 1 {
			line = append(line, Plain(fmt.Sprintf(" (+%d more)", r.Findings-1)))
		}
		lines = append(lines, line)
	}
	if s := digestList("Broken descriptors", lines, digestNarrow(d)); s != nil {
		s.Text = append(s.Text, Plain("\n"), Code("switchboard lint"), Plain(" in the repo shows every finding with its fix."))
		return s
	}
	return nil
}

// unreadFilesPerRepo is how many of a repo's unread files its line of the
// digest names.
const unreadFilesPerRepo = 3

// unreadSection lists the repos whose dependency files could not be read
// or parsed: each file linked in GitLab (at the line of a parse error),
// with why.
func unreadSection(d *catalog.Digest) *Section {
	var lines []Text
	for _, r := range d.Unread {
		line := T(Plain("• "), Link(r.Path, r.WebURL), Plain(": "))
		for i, f := range r.Files {
			if i == unreadFilesPerRepo {
				line = append(line, Plain(fmt.Sprintf("; and %d more files", len(r.Files)-i)))
				break
			}
			if i > 0 {
				line = append(line, Plain("; "))
			}
			line = append(line, unreadFile(r, f)...)
		}
		lines = append(lines, line)
	}
	title := fmt.Sprintf("Could not read (%s; their dependency graphs are incomplete)", countNoun(d.UnreadFiles(), "dependency file", "dependency files"))
	if s := digestList(title, lines, digestNarrow(d)); s != nil {
		s.Text = append(s.Text, Plain("\nFix the file, or push it again; files not fetched are tried again at the next sync."))
		return s
	}
	return nil
}

// unreadFile is one file that could not be read: for a parse error its
// position ("package-lock.json:12:5: …"), linked to the line; else the
// file and why it was not read.
func unreadFile(r catalog.UnreadRepo, f catalog.DependencyFile) Text {
	if line, col, msg := f.Position(); line > 0 {
		loc := f.Path + ":" + strconv.Itoa(line)
		if col > 0 {
			loc += ":" + strconv.Itoa(col)
		}
		return T(Link(loc, r.FileURL(f)), Plain(": "+digestClip(msg, 160)))
	}
	why := map[string]string{
		catalog.FileNotFound: "not found at the commit read", catalog.FileTooLarge: "over the size limit",
		catalog.FileTimeout: "timed out", catalog.FileUnparsable: "cannot be parsed",
	}[f.Problem]
	switch {
	case why == "":
		why = digestClip(cmp.Or(f.Error, f.Problem), 160)
	case f.Problem == catalog.FileUnparsable && f.Error != "":
		why += ": " + digestClip(f.Error, 160)
	}
	return T(Link(f.Path, r.FileURL(f)), Plain(" — "+why))
}

func conflictsSection(d *catalog.Digest) *Section {
	var lines []Text
	for _, c := range d.Conflicts {
		line := T(Plain("• "), Code(c.Service), Plain(": "))
		var others []Text
		for _, r := range c.Repos {
			if r.Holds {
				line = append(line, Plain("held by "), Link(r.Path, r.WebURL), Plain("; also claimed by "))
				continue
			}
			others = append(others, T(Link(r.Path, r.WebURL)))
		}
		if !c.Repos[0].Holds {
			line = append(line, Plain("claimed by "))
		}
		line = append(line, Join(others, ", ")...)
		lines = append(lines, line)
	}
	if s := digestList("Name conflicts", lines, digestNarrow(d)); s != nil {
		s.Text = append(s.Text, Plain("\nRename one, or give it a namespace: the first repo keeps the name."))
		return s
	}
	return nil
}

func orphansSection(d *catalog.Digest) *Section {
	var lines []Text
	for _, s := range d.Orphaned {
		line := T(Plain("• "), Code(s.Ref))
		if s.Owner != "" {
			line = append(line, Plain(" (team "+s.Owner+")"))
		}
		if s.Repo != "" {
			line = append(line, Plain(": no longer declared by "), Link(s.Repo, s.RepoURL))
		}
		line = append(line, Plain(", since "+s.Since.Format("2 Jan 2006")))
		lines = append(lines, line)
	}
	if s := digestList("Orphaned services", lines, digestNarrow(d)); s != nil {
		s.Text = append(s.Text, Plain("\nRestore the descriptor, or retire the service."))
		return s
	}
	return nil
}

func gapsSection(d *catalog.Digest) *Section {
	var lines []Text
	for _, s := range d.Gaps {
		var missing []string
		if s.NoOwner {
			missing = append(missing, "no owner")
		}
		if s.NoOnCall {
			missing = append(missing, "no on-call")
		}
		if s.NoRunbook {
			missing = append(missing, "no runbook")
		}
		line := T(Plain("• "), Code(s.Ref))
		if s.Owner != "" {
			line = append(line, Plain(" (team "+s.Owner+")"))
		}
		line = append(line, Plain(": "+strings.Join(missing, ", ")))
		lines = append(lines, line)
	}
	return digestList("Services missing an owner, on-call or runbook", lines, digestNarrow(d))
}

// digestTextLen is at least the length of t once rendered as Slack mrkdwn:
// links carry their URL, styles their marks, and &, < and > their escapes.
func digestTextLen(t Text) int {
	n := 0
	for _, s := range t {
		n += len(s.Text) + 4*strings.Count(s.Text, "&") + 3*strings.Count(s.Text, "<") + 3*strings.Count(s.Text, ">")
		if s.URL != "" {
			n += len(s.URL) + 4*strings.Count(s.URL, "&") + 3
		}
		if s.Style != "" || s.UserID != "" {
			n += 4
		}
		n += len(s.UserID)
	}
	return n
}

// digestClip cuts s to n bytes at most, on a rune boundary, with an ellipsis.
func digestClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	r := []rune(s)
	for len(string(r)) > n-3 && len(r) > 0 {
		r = r[:len(r)-1]
	}
	return string(r) + "…"
}

// levelsSection lists the services whose scorecard level dropped (with the
// checks that failed) or rose since the last digest, drops first.
func levelsSection(d *catalog.Digest) *Section {
	var lines []Text
	drops := 0
	for _, c := range d.LevelChanges {
		mark := "▲"
		if c.Drop() {
			mark = "▼"
			drops++
		}
		line := T(Plain("• "+mark+" "), Code(c.Service.Ref()))
		if c.Service.Team != "" && d.Team == "" {
			line = append(line, Plain(" (team "+c.Service.Team+")"))
		}
		line = append(line, Plain(": "+d.LevelName(c.From)+" → "+d.LevelName(c.To)))
		if len(c.Failed) > 0 {
			line = append(line, Plain(" — failed: "+digestClip(strings.Join(c.Failed, ", "), 200)))
		}
		lines = append(lines, line)
	}
	title := fmt.Sprintf("Scorecard levels since the last digest: %d dropped, %d rose", drops, len(d.LevelChanges)-drops)
	if s := digestList(title, lines, T(Code("/scorecard SERVICE"), Plain(" says what each misses"))); s != nil {
		s.Text = append(s.Text, Plain("\n"), Code("/scorecard SERVICE"), Plain(" shows what a service misses and how to pass."))
		return s
	}
	return nil
}

// overdueCampaignsSection lists the open campaigns past their deadline
// with how many services each has left (by team in the whole digest).
func overdueCampaignsSection(d *catalog.Digest) *Section {
	var lines []Text
	for _, o := range d.OverdueCampaigns {
		line := T(Plain("• "), Code(o.Name), Plain(fmt.Sprintf(" %s, due %s: %s left", digestClip(o.Title, 100),
			o.Deadline.UTC().Format("Mon 2 Jan 2006"), countNoun(o.Total(), "service", "services"))))
		if d.Team == "" {
			teams := make([]string, 0, len(o.Left))
			for t := range o.Left {
				teams = append(teams, t)
			}
			slices.Sort(teams)
			var parts []string
			for _, t := range teams {
				name := t
				if name == "" {
					name = "no team"
				}
				parts = append(parts, fmt.Sprintf("%s %d", name, o.Left[t]))
			}
			line = append(line, Plain(" ("+digestClip(strings.Join(parts, ", "), 200)+")"))
		}
		lines = append(lines, line)
	}
	return digestList("Overdue campaigns", lines, T(Code("/campaign list"), Plain(" shows them all")))
}

// noisySection names the services with the most PagerDuty incidents in
// the last 7 days (catalog.NoisyTop), with their counts and owners; or
// says why the counts are unknown.
func noisySection(d *catalog.Digest) *Section {
	if d.NoisyUnknown != "" {
		return &Section{Text: T(Bold("Noisiest services this week:"), Plain(" unknown — "+d.NoisyUnknown))}
	}
	var lines []Text
	for _, n := range d.NoisyServices[:min(len(d.NoisyServices), catalog.NoisyTop)] {
		line := T(Plain("• "), Code(n.Ref), Plain(": "+countNoun(n.Incidents, "incident", "incidents")))
		if d.Team == "" {
			owner := "no owner"
			if n.Team != "" {
				owner = "team " + n.Team
			}
			line = append(line, Plain(" ("+owner+")"))
		}
		lines = append(lines, line)
	}
	if len(lines) == 0 {
		return nil
	}
	return &Section{Text: append(T(Bold("Noisiest services this week (PagerDuty incidents, last 7 days)"), Plain("\n")), Join(lines, "\n")...)}
}
