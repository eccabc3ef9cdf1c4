package commands

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/switchboard-dev/switchboard/catalog"
)

// ChangeHistory is what /changes and the /page confirmation read of the
// change history (*catalog.Store).
type ChangeHistory interface {
	// RecentChanges returns the services' changes at or after since,
	// newest first, at most limit, each for the first of serviceIDs it
	// belongs to.
	RecentChanges(ctx context.Context, serviceIDs []int64, since time.Time, limit int) ([]catalog.Change, error)
	// ChangesBefore returns the services' changes before until, newest
	// first, at most limit.
	ChangesBefore(ctx context.Context, serviceIDs []int64, until time.Time, limit int) ([]catalog.Change, error)
	// ChangeGaps says which of the services' repos have a partial
	// history (why) or one never read from GitLab (""), by repo path.
	ChangeGaps(ctx context.Context, serviceIDs []int64) (map[string]string, error)
}

// DependencyLister lists what a service depends on directly
// (*catalog.Store, *catalog.Cache).
type DependencyLister interface {
	Dependencies(ctx context.Context, serviceID int64) ([]catalog.ServiceDependency, error)
}

// ChangesConfig is what /changes is built from.
type ChangesConfig struct {
	// Catalog resolves the SERVICE argument.
	Catalog ServiceCatalog
	// History is the change history; nil: /changes says it is not kept.
	History ChangeHistory
	// Graph gives the service's direct dependencies, whose changes are
	// shown too; nil: the service's own only.
	Graph DependencyLister
	// Now is the clock (default time.Now).
	Now func() time.Time
}

const (
	// defaultChangesWindow is /changes' window without --since.
	defaultChangesWindow = 24 * time.Hour
	// maxChangesWindow bounds --since.
	maxChangesWindow = 90 * 24 * time.Hour
	// maxChangeLines is how many changes one answer lists: a Slack message
	// holds 50 blocks, a section 3,000 characters.
	maxChangeLines = 30
	// changeLinesPerSection groups the lines so that a section stays under
	// Slack's 3,000 characters whatever the titles.
	changeLinesPerSection = 6
	// maxChangeTitle shortens a title in a line.
	maxChangeTitle = 120
)

// Changes is /changes SERVICE [--since 24h]: what changed recently in a
// service and the services it depends on directly — merged merge
// requests, direct pushes to the default branch, deployments per
// environment, owner and tier changes — newest first, each with when, who
// and a link. --since takes minutes, hours, days or weeks (30m, 24h, 7d,
// 2w; at most 90 days). With nothing in the window it says so and shows
// the last change before it. A misspelt or shared name gets "did you mean"
// or a picker, as every command.
func Changes(cfg ChangesConfig) Command {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return Command{
		Name:    "/changes",
		Usage:   "SERVICE [--since 24h]",
		Summary: "What changed recently in a service and its dependencies: merges, pushes, deployments, owner and tier",
		Handler: func(ctx context.Context, req Request) (Response, error) {
			return changes(ctx, cfg, req)
		},
	}
}

func changes(ctx context.Context, cfg ChangesConfig, req Request) (Response, error) {
	query, window, err := parseChangesArgs(req.Text)
	if err != nil {
		return Response{Text: err.Error() + " Usage: /changes SERVICE [--since 24h]", Blocks: []Block{
			&Section{Text: T(Plain(err.Error()+" Usage: "), Code("/changes SERVICE [--since 24h]"))},
			&Context{Text: T(Plain("--since takes minutes, hours, days or weeks: 30m, 24h, 7d, 2w (at most 90 days)."))},
		}}, nil
	}
	if query == "" {
		return usage("/changes", "SERVICE [--since 24h]", "lists what changed in the service and its direct dependencies: merges, pushes, deployments, owner and tier."), nil
	}
	if cfg.History == nil {
		return textResponse(T(Plain("Switchboard keeps no change history here, so it cannot tell what changed."))), nil
	}
	sinceArg := ""
	if window != defaultChangesWindow {
		sinceArg = " --since " + formatWindow(window)
	}
	r, err := resolveService(ctx, cfg.Catalog, query, func(ref string) string { return "/changes " + ref + sinceArg })
	if err != nil || r.Profile == nil {
		return r.Reply, err
	}
	svc := r.Profile.Service
	now := cfg.Now()
	data, err := ChangesOf(ctx, cfg.History, cfg.Graph, svc, window, now, maxChangeLines)
	if err != nil {
		return Response{}, err
	}
	ids, names, list, depNote := data.IDs, data.Names, data.Changes, data.DepNote
	scope := svc.Ref()
	if n := len(ids) - 1; n > 0 {
		scope += fmt.Sprintf(" and its %d %s", n, plural(n, "dependency", "dependencies"))
	}
	head := &Header{Text: "Changes: " + scope + ", last " + formatWindow(window)}
	if len(list) == 0 {
		text := fmt.Sprintf("No recorded changes to %s in the last %s.", scope, formatWindow(window))
		blocks := []Block{head, &Section{Text: T(Plain("No recorded changes to "), Bold(scope), Plain(" in the last "+formatWindow(window)+"."))}}
		if data.LastBefore != nil {
			line := changeLine(*data.LastBefore, svc.ID, names, now)
			blocks = append(blocks, &Section{Text: append(T(Plain("The last one before: ")), line...)})
			text += " The last one before: " + line.String()
		} else {
			blocks = append(blocks, &Context{Text: T(Plain("Nothing is recorded at all: changes come from GitLab's webhooks (merge request, deployment and push events) and the sync's backfill of the last 30 days."))})
		}
		blocks = appendNote(blocks, depNote)
		blocks = appendNote(blocks, data.GapNote)
		return Response{Text: text, Blocks: blocks}, nil
	}
	more := data.More
	blocks := []Block{head}
	var lines []Text
	flush := func() {
		if len(lines) > 0 {
			blocks = append(blocks, &Section{Text: Join(lines, "\n")})
			lines = nil
		}
	}
	for _, c := range list {
		lines = append(lines, append(T(Plain("• ")), changeLine(c, svc.ID, names, now)...))
		if len(lines) == changeLinesPerSection {
			flush()
		}
	}
	flush()
	if more {
		blocks = append(blocks, &Context{Text: T(Plain(fmt.Sprintf("Only the newest %d are shown; narrow the window with ", maxChangeLines)),
			Code("/changes "+svc.Ref()+" --since "+formatWindow(narrower(window))), Plain("."))})
	}
	blocks = appendNote(blocks, depNote)
	blocks = appendNote(blocks, data.GapNote)
	count := strconv.Itoa(len(list))
	if more {
		count = "More than " + count
	}
	text := fmt.Sprintf("%s %s to %s in the last %s; newest: %s", count, plural(len(list), "change", "changes"), scope, formatWindow(window),
		changeLine(list[0], svc.ID, names, now).String())
	return Response{Text: text, Blocks: blocks}, nil
}

func appendNote(blocks []Block, note Text) []Block {
	if len(note) > 0 {
		blocks = append(blocks, &Context{Text: note})
	}
	return blocks
}

// maxGapRepos is how many repos a gap note names of each kind.
const maxGapRepos = 3

// gapNote says which repos' history is partial (and why) or not read
// yet, so that "no recorded changes" is not taken for "nothing changed";
// nil when the history is complete, or the gaps cannot be read.
func gapNote(ctx context.Context, h ChangeHistory, ids []int64) Text {
	gaps, err := h.ChangeGaps(ctx, ids)
	if err != nil || len(gaps) == 0 {
		return nil
	}
	var partial, unread []string
	for _, path := range slices.Sorted(maps.Keys(gaps)) {
		if why := gaps[path]; why != "" {
			partial = append(partial, path+" ("+why+")")
		} else {
			unread = append(unread, path)
		}
	}
	names := func(l []string) string {
		if len(l) > maxGapRepos {
			return strings.Join(l[:maxGapRepos], ", ") + fmt.Sprintf(" and %d more", len(l)-maxGapRepos)
		}
		return strings.Join(l, ", ")
	}
	var parts []string
	if len(partial) > 0 {
		parts = append(parts, "The history is partial for "+names(partial)+": the next sync asks GitLab again.")
	}
	if len(unread) > 0 {
		parts = append(parts, "The history of "+names(unread)+" has not been read from GitLab yet: its next sync reads it.")
	}
	return T(Plain(strings.Join(parts, " ")))
}

// changeScope is the service and its direct, catalogued dependencies: their
// ids (the service first), their references by id, and a note when the
// dependencies could not be read (the service's own changes are shown
// all the same).
func changeScope(ctx context.Context, g DependencyLister, svc catalog.Service) ([]int64, map[int64]string, Text) {
	ids := []int64{svc.ID}
	names := map[int64]string{svc.ID: svc.Ref()}
	if g == nil {
		return ids, names, nil
	}
	deps, err := g.Dependencies(ctx, svc.ID)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return ids, names, T(Plain("Its dependencies could not be read in time: only its own changes are shown."))
		}
		return ids, names, T(Plain("Its dependencies could not be read: only its own changes are shown."))
	}
	for _, d := range deps {
		if !d.Resolved() || names[d.Service.ID] != "" {
			continue
		}
		ids = append(ids, d.Service.ID)
		names[d.Service.ID] = d.Service.Ref()
	}
	return ids, names, nil
}

// changeLine is one change: when, what, title (linked), who, where, and
// which dependency when it is not the service asked about.
func changeLine(c catalog.Change, self int64, names map[int64]string, now time.Time) Text {
	line := T(Plain(agoText(c.At, now) + " · " + changeKindText(c) + " · "))
	title := truncateRunes(strings.TrimSpace(c.Title), maxChangeTitle)
	if title == "" {
		title = c.Ref
	}
	if c.WebURL != "" {
		line = append(line, Link(title, c.WebURL))
	} else {
		line = append(line, Plain(title))
	}
	if a := c.Author(); a != "" {
		line = append(line, Plain(" · "+a))
	}
	if c.ServiceID != self && names[c.ServiceID] != "" {
		line = append(line, Plain(" · "), Bold(names[c.ServiceID]))
	}
	return line
}

// changeKindText says what kind of change it is.
func changeKindText(c catalog.Change) string {
	switch c.Kind {
	case catalog.ChangeMerge:
		return "merged"
	case catalog.ChangePush:
		return "pushed"
	case catalog.ChangeDeployment:
		env := c.Environment
		if env == "" {
			env = "an environment"
		}
		if c.Status == "failed" {
			return "deploy to " + env + " FAILED"
		}
		return "deployed to " + env
	case catalog.ChangeCatalog:
		return "catalog"
	}
	return c.Kind
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// plural is one when n is 1, else many: the word only, the caller writes
// the number (manifest's plural, for lint findings, writes "3 many"; the
// two are not merged since commands does not import manifest for text).
func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// parseChangesArgs splits "SERVICE [--since D]" (or --since=D, before or
// after the name).
func parseChangesArgs(text string) (query string, window time.Duration, err error) {
	window = defaultChangesWindow
	fields := strings.Fields(text)
	var rest []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		var v string
		switch {
		case f == "--since":
			if i+1 >= len(fields) {
				return "", 0, errors.New("--since needs a duration, such as 24h.")
			}
			v = fields[i+1]
			i++
		case strings.HasPrefix(f, "--since="):
			v = strings.TrimPrefix(f, "--since=")
		case strings.HasPrefix(f, "--"):
			return "", 0, fmt.Errorf("Unknown option %s.", f)
		default:
			rest = append(rest, f)
			continue
		}
		if window, err = parseWindow(v); err != nil {
			return "", 0, err
		}
	}
	if len(rest) > 1 {
		return "", 0, fmt.Errorf("One service at a time (got %q).", strings.Join(rest, " "))
	}
	return strings.Join(rest, " "), window, nil
}

// parseWindow reads 30m, 24h, 7d, 2w (either case) with parseAmount.
func parseWindow(v string) (time.Duration, error) {
	d, err := parseAmount(v, "mhdw", maxChangesWindow)
	switch {
	case errors.Is(err, errTooLong):
		return 0, fmt.Errorf("--since %s is further back than Switchboard looks (90 days).", v)
	case err != nil:
		return 0, fmt.Errorf("--since %q is not a duration such as 30m, 24h, 7d or 2w.", v)
	}
	return d, nil
}

// formatWindow writes a window the way --since takes it.
func formatWindow(d time.Duration) string {
	switch {
	case d%(7*24*time.Hour) == 0 && d >= 14*24*time.Hour:
		return fmt.Sprintf("%dw", d/(7*24*time.Hour))
	case d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}

// narrower is a quarter of the window, at least 30 minutes.
func narrower(d time.Duration) time.Duration {
	return max((d / 4).Truncate(time.Hour), 30*time.Minute)
}

// ParseSince reads a --since window as /changes does (30m, 24h, 7d, 2w; at
// most 90 days); "" is /changes' default, 24 hours. For the API and the
// MCP server, which take the same window.
func ParseSince(v string) (time.Duration, error) {
	if strings.TrimSpace(v) == "" {
		return defaultChangesWindow, nil
	}
	return parseWindow(strings.TrimSpace(v))
}

// FormatSince writes a window the way --since takes it ("24h", "7d").
func FormatSince(d time.Duration) string { return formatWindow(d) }

// ChangesData is /changes' answer as data, for the Slack answer and the
// JSON API and MCP server alike.
type ChangesData struct {
	// Since is the window's start.
	Since time.Time
	// IDs are the scope: the service, then its direct, catalogued
	// dependencies; Names their references by id.
	IDs   []int64
	Names map[int64]string
	// Changes are the newest in the window, at most the limit asked;
	// More: the window holds more.
	Changes []catalog.Change
	More    bool
	// LastBefore is the last change before the window when there is none
	// in it (nil when there is none at all or some in the window).
	LastBefore *catalog.Change
	// DepNote says the dependencies could not be read, GapNote which
	// repos' history is partial or not read yet; nil when nothing is
	// missing.
	DepNote, GapNote Text
}

// ChangesOf computes /changes' answer for svc over the window before now:
// its scope (the service and its direct dependencies; graph may be nil),
// the newest limit changes in it, the last one before when there is none,
// and the notes on what the history may lack.
func ChangesOf(ctx context.Context, h ChangeHistory, graph DependencyLister, svc catalog.Service, window time.Duration, now time.Time, limit int) (ChangesData, error) {
	ids, names, depNote := changeScope(ctx, graph, svc)
	out := ChangesData{Since: now.Add(-window), IDs: ids, Names: names, DepNote: depNote}
	list, err := h.RecentChanges(ctx, ids, out.Since, limit+1)
	if err != nil {
		return ChangesData{}, fmt.Errorf("changes of %s: %w", svc.Ref(), err)
	}
	if len(list) > limit {
		list, out.More = list[:limit], true
	}
	out.Changes = list
	if len(list) == 0 {
		before, err := h.ChangesBefore(ctx, ids, out.Since, 1)
		if err != nil {
			return ChangesData{}, fmt.Errorf("changes of %s: %w", svc.Ref(), err)
		}
		if len(before) > 0 {
			out.LastBefore = &before[0]
		}
	}
	out.GapNote = gapNote(ctx, h, ids)
	return out, nil
}
