package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
)

// uncataloguedPage is how many repos a page of /service uncatalogued lists;
// uncataloguedChunk how many share a section and its actions block (two
// buttons each, within Slack's 25 elements).
const (
	uncataloguedPage  = 20
	uncataloguedChunk = 10
)

// ignoreReasons are the reasons the Ignore button offers; any other can be
// typed.
func ignoreReasons() []string {
	return []string{
		"not a service (library, docs or configuration)",
		"experiment or sandbox",
		"deprecated, to be archived",
		"someone else's code (fork or mirror)",
	}
}

// Uncatalogued is the /service subcommand "uncatalogued [GROUP] [--page N]":
// every active repo without a descriptor, the largest groups first, page by
// page, each with Register and Ignore buttons. args are the words after
// "uncatalogued".
func Uncatalogued(idx DigestIndex) func(ctx context.Context, req Request, args []string) (Response, error) {
	return func(ctx context.Context, req Request, args []string) (Response, error) {
		group, page, bad := parseUncatalogued(args)
		if bad != "" {
			return usageResponse(bad+" Usage: ", cmdUncatalogued+" [GROUP] [--page N]", ", e.g. ", cmdUncatalogued+" payments --page 2"), nil
		}
		d, err := idx.Digest(ctx, catalog.DigestOptions{Group: group})
		if err != nil {
			return Response{}, err
		}
		return uncataloguedResponse(d, group, page), nil
	}
}

// parseUncatalogued reads "[GROUP] [--page N]"; bad says what is wrong.
func parseUncatalogued(args []string) (group string, page int, bad string) {
	page = 1
	for i := 0; i < len(args); i++ {
		a := args[i]
		v, isPage := strings.CutPrefix(a, "--page=")
		if a == "--page" || a == "-page" {
			if i+1 == len(args) {
				return "", 0, "--page needs a number."
			}
			i++
			v, isPage = args[i], true
		}
		switch {
		case isPage:
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return "", 0, fmt.Sprintf("%q is not a page number.", v)
			}
			page = n
		case strings.HasPrefix(a, "-"):
			return "", 0, fmt.Sprintf("Unknown option %s.", a)
		case group != "":
			return "", 0, "Give one GitLab group at most."
		default:
			group = strings.Trim(a, "/")
		}
	}
	return group, page, ""
}

func uncataloguedResponse(d *catalog.Digest, group string, page int) Response {
	var all []catalog.UncataloguedRepo
	for _, g := range d.Uncatalogued {
		all = append(all, g.Repos...)
	}
	where := ""
	if group != "" {
		where = " in " + group
	}
	if len(all) == 0 {
		msg := "Every active repo" + where + " is catalogued or ignored."
		return Response{Text: msg, Blocks: []Block{&Section{Text: T(Plain(msg))}}}
	}
	pages := (len(all) + uncataloguedPage - 1) / uncataloguedPage
	cmd := cmdUncatalogued
	if group != "" {
		cmd += " " + group
	}
	if page > pages {
		msg := fmt.Sprintf("There %s only %s of repos without a descriptor%s.", map[bool]string{true: "is", false: "are"}[pages == 1], countNoun(pages, "page", "pages"), where)
		return Response{Text: msg, Blocks: []Block{&Section{Text: T(Plain(msg+" "), Code(cmd))}}}
	}
	from := (page - 1) * uncataloguedPage
	shown := all[from:min(from+uncataloguedPage, len(all))]
	summary := fmt.Sprintf("%s without a descriptor%s, in %s; page %d of %d", countNoun(len(all), "active repo", "active repos"), where,
		countNoun(len(d.Uncatalogued), "group", "groups"), page, pages)
	blocks := []Block{
		&Header{Text: "Repos without a descriptor" + where},
		&Section{Text: T(Plain(summary + ". Register each one, or Ignore it if it is not a service."))},
	}
	for i := 0; i < len(shown); i += uncataloguedChunk {
		chunk := shown[i:min(i+uncataloguedChunk, len(shown))]
		var text Text
		for j, r := range chunk {
			if j > 0 {
				text = append(text, Plain("\n"))
			}
			text = append(text, repoLine(r)...)
			if group == "" || !strings.EqualFold(r.Group, group) {
				text = append(text, Plain(" · group "+digestGroupLabel(r.Group)))
			}
		}
		blocks = append(blocks, &Section{Text: text}, repoButtons(chunk))
	}
	var nav []Button
	if page > 1 {
		nav = append(nav, Button{Label: "Previous page", Command: cmd + " --page " + strconv.Itoa(page-1)})
	}
	if page < pages {
		nav = append(nav, Button{Label: "Next page", Command: cmd + " --page " + strconv.Itoa(page+1)})
	}
	if len(nav) > 0 {
		blocks = append(blocks, &Actions{Buttons: nav})
	}
	blocks = append(blocks, &Context{Text: T(Plain("Active: not archived, not ignored, with activity in the last "+strconv.Itoa(d.ActiveDays)+" days. Ignored repos: "), Code(cmdIgnored))})
	return Response{Text: summary, Blocks: blocks}
}

// IgnoreRepo is the /service subcommand "ignore GROUP/REPO REASON": the repo
// leaves the digest and coverage, with the reason and who decided (in the
// audit log too). Without a reason it asks for one, offering common ones as
// buttons. args are the words after "ignore".
func IgnoreRepo(idx DigestIndex) func(ctx context.Context, req Request, args []string) (Response, error) {
	return func(ctx context.Context, req Request, args []string) (Response, error) {
		if len(args) == 0 {
			return usageResponse("Which repo, and why? Usage: ", cmdIgnore+" GROUP/REPO REASON", ", e.g. ", cmdIgnore+" data/scratch experiment or sandbox"), nil
		}
		path := strings.Trim(args[0], "/")
		reason := strings.TrimSpace(strings.Join(args[1:], " "))
		if reason == "" {
			return ignoreAskReason(path), nil
		}
		r, err := idx.IgnoreRepo(ctx, path, reason, digestActor(req.User))
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			return ignoreNoSuchRepo(path), nil
		case err != nil:
			return Response{}, err
		}
		msg := fmt.Sprintf("Ignored %s: %s.", r.Path, r.Reason)
		return Response{Text: msg, Blocks: []Block{
			&Section{Text: T(Plain("Ignored "), Link(r.Path, r.WebURL), Plain(": "+r.Reason+". It leaves the digest and the coverage."))},
			&Context{Text: T(Plain("Changed your mind? "), Code(cmdUnignore+" "+r.Path), Plain(" brings it back; "), Code(cmdIgnored), Plain(" lists the ignored repos."))},
		}}, nil
	}
}

// ignoreAskReason asks why a repo should be ignored.
func ignoreAskReason(path string) Response {
	msg := fmt.Sprintf("Why ignore %s? The reason is kept, so that others can tell later.", path)
	a := &Actions{}
	for _, r := range ignoreReasons() {
		a.Buttons = append(a.Buttons, Button{Label: r, Command: cmdIgnore + " " + path + " " + r})
	}
	return Response{Text: msg, Blocks: []Block{
		&Section{Text: T(Plain("Why ignore "), Bold(path), Plain("? Ignored repos leave the digest and the coverage; the reason is kept so that others can tell why."))},
		a,
		&Context{Text: T(Plain("Or give your own: "), Code(cmdIgnore+" "+path+" REASON"))},
	}}
}

func ignoreNoSuchRepo(path string) Response {
	msg := fmt.Sprintf("There is no repo %s in the catalog.", path)
	return Response{Text: msg, Blocks: []Block{&Section{Text: T(Plain("There is no repo "), Code(path),
		Plain(" in the catalog. Give its full path as in GitLab, e.g. "), Code("payments/checkout-api"), Plain("."))}}}
}

// UnignoreRepo is the /service subcommand "unignore GROUP/REPO": the repo
// counts again in the digest and coverage. args are the words after
// "unignore".
func UnignoreRepo(idx DigestIndex) func(ctx context.Context, req Request, args []string) (Response, error) {
	return func(ctx context.Context, req Request, args []string) (Response, error) {
		if len(args) != 1 {
			return usageResponse("Which repo? Usage: ", cmdUnignore+" GROUP/REPO", "", ""), nil
		}
		path := strings.Trim(args[0], "/")
		r, err := idx.UnignoreRepo(ctx, path, digestActor(req.User))
		switch {
		case errors.Is(err, catalog.ErrNotFound):
			return ignoreNoSuchRepo(path), nil
		case errors.Is(err, catalog.ErrInvalid):
			msg := fmt.Sprintf("%s is not ignored.", path)
			return Response{Text: msg, Blocks: []Block{&Section{Text: T(Code(path), Plain(" is not ignored."))}}}, nil
		case err != nil:
			return Response{}, err
		}
		msg := fmt.Sprintf("%s counts again: it shows in the digest until it is catalogued.", r.Path)
		return Response{Text: msg, Blocks: []Block{&Section{Text: T(Link(r.Path, r.WebURL),
			Plain(" counts again: it shows in the digest until it is catalogued. It was ignored because: "+r.Reason+"."))}}}, nil
	}
}

// Ignored is the /service subcommand "ignored": the ignored repos, with why,
// who and when, each with a button to bring it back.
func Ignored(idx DigestIndex) func(ctx context.Context, req Request, args []string) (Response, error) {
	return func(ctx context.Context, req Request, args []string) (Response, error) {
		repos, err := idx.IgnoredRepos(ctx)
		if err != nil {
			return Response{}, err
		}
		if len(repos) == 0 {
			msg := "No repo is ignored."
			return Response{Text: msg, Blocks: []Block{&Section{Text: T(Plain(msg+" The Ignore button of the digest, or "), Code(cmdIgnore+" GROUP/REPO REASON"), Plain(", ignores one."))}}}, nil
		}
		summary := fmt.Sprintf("%s ignored", countNoun(len(repos), "repo", "repos"))
		blocks := []Block{&Header{Text: "Ignored repos"}}
		const maxLines = 30
		var lines []Text
		for i, r := range repos {
			if i == maxLines {
				break
			}
			line := T(Plain("• "), Link(r.Path, r.WebURL), Plain(": "+r.Reason))
			if r.By != "" {
				line = append(line, Plain(" — "), Mention(r.By, r.By))
			}
			if !r.At.IsZero() {
				line = append(line, Plain(", "+r.At.Format("2 Jan 2006")))
			}
			lines = append(lines, line)
		}
		// Sections of ten lines keep each well within Slack's limit.
		for i := 0; i < len(lines); i += 10 {
			blocks = append(blocks, &Section{Text: Join(lines[i:min(i+10, len(lines))], "\n")})
		}
		if left := len(repos) - len(lines); left > 0 {
			blocks = append(blocks, &Context{Text: T(Plain(fmt.Sprintf("…and %d more.", left)))})
		}
		blocks = append(blocks, &Context{Text: T(Code(cmdUnignore+" GROUP/REPO"), Plain(" brings one back."))})
		return Response{Text: summary, Blocks: blocks}, nil
	}
}

// digestActor names who ran a command in the audit log: their Slack id, else
// their name.
func digestActor(u User) string {
	if u.ID != "" {
		return u.ID
	}
	if u.Name != "" {
		return u.Name
	}
	return "unknown"
}
