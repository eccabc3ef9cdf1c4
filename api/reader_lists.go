package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/switchboard-dev/switchboard/catalog"
	"github.com/switchboard-dev/switchboard/commands"
)

// A cursor is opaque to clients: base64url of {"l": list, "v": position},
// the list named so that one list's cursor is refused by another.
type cursor struct {
	List string          `json:"l"`
	V    json.RawMessage `json:"v"`
}

func encodeCursor(list string, v any) string {
	b, _ := json.Marshal(v) // positions are plain structs and ints
	c, _ := json.Marshal(cursor{List: list, V: b})
	return base64.RawURLEncoding.EncodeToString(c)
}

func decodeCursor(s, list string, v any) error {
	bad := invalid("cursor %q is not one this list gave (pass next_cursor back as it came)", s)
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.List != list {
		return bad
	}
	if err := json.Unmarshal(c.V, v); err != nil {
		return bad
	}
	return nil
}

// offsetPage pages a list computed whole (an impact answer, the digest's
// repos): the cursor is the offset of the next item.
func offsetPage(cur, list string, limit, n int) (first, end int, next *string, err error) {
	if cur != "" {
		if err := decodeCursor(cur, list, &first); err != nil {
			return 0, 0, nil, err
		}
		if first < 0 {
			return 0, 0, nil, invalid("cursor %q is not one this list gave", cur)
		}
	}
	if limit, err = pageLimit(limit); err != nil {
		return 0, 0, nil, err
	}
	first = min(first, n)
	end = min(n, first+limit)
	if end < n {
		c := encodeCursor(list, end)
		next = &c
	}
	return first, end, next, nil
}

// ImpactQuery is an impact question: a package (with an optional version
// constraint), an advisory id, or a file pattern; exactly one.
type ImpactQuery struct {
	Package    string
	Constraint string
	Advisory   string
	File       string
	Cursor     string
	Limit      int
}

// question is the /impact question q asks.
func (q ImpactQuery) question() (string, error) {
	set := 0
	for _, s := range []string{q.Package, q.Advisory, q.File} {
		if strings.TrimSpace(s) != "" {
			set++
		}
	}
	if set != 1 {
		return "", invalid("ask about exactly one of package (with an optional constraint), advisory or file")
	}
	switch {
	case q.Advisory != "":
		if !commands.IsAdvisoryID(q.Advisory) {
			return "", invalid("%q is not an advisory id (CVE-…, GHSA-…, GO-…, PYSEC-…)", q.Advisory)
		}
		return q.Advisory, nil
	case q.File != "":
		return "file:" + q.File, nil
	}
	if strings.ContainsAny(q.Package, " \t") {
		return "", invalid("a package name has no spaces; give the version constraint as its own parameter")
	}
	if q.Constraint != "" {
		return q.Package + " " + q.Constraint, nil
	}
	return q.Package, nil
}

// maxGapsShown is how many repos with incomplete graphs an answer names.
const maxGapsShown = 15

// Impact answers an impact question as /impact does: which repos and
// services depend on a package (at versions matching the constraint), are
// affected by an advisory, or hold a file, a page of hits at a time.
func (r *Reader) Impact(ctx context.Context, q ImpactQuery) (Impact, error) {
	question, err := q.question()
	if err != nil {
		return Impact{}, err
	}
	if r.ImpactConfig.Index == nil {
		return Impact{}, &Error{Status: http.StatusServiceUnavailable, Code: CodeNotConfigured, Message: "the dependency index is not available here"}
	}
	res, err := r.ImpactConfig.Answer(ctx, question)
	var ref *commands.ImpactRefusal
	if errors.As(err, &ref) {
		e := &Error{Status: http.StatusBadRequest, Code: CodeInvalid, Message: ref.Message}
		switch ref.Kind {
		case commands.ImpactNotFound:
			e.Status, e.Code = http.StatusNotFound, CodeNotFound
		case commands.ImpactUnavailable:
			e.Status, e.Code = http.StatusServiceUnavailable, CodeUnavailable
		}
		return Impact{}, e
	}
	if err != nil {
		return Impact{}, err
	}
	first, end, next, err := offsetPage(q.Cursor, "impact:"+question, q.Limit, len(res.Hits))
	if err != nil {
		return Impact{}, err
	}
	out := Impact{Question: res.What, Kind: res.Kind, Hits: []ImpactHit{}, Unknown: []ImpactHit{}, NextCursor: next}
	repos, services, teams := map[int64]bool{}, map[string]bool{}, map[string]bool{}
	for _, f := range res.Hits {
		repos[f.Hit.Repo.ID] = true
		for _, s := range f.Hit.Services {
			services[s.Ref()] = true
			if s.Team != "" {
				teams[s.Team] = true
			}
		}
	}
	out.Repos, out.Services, out.Teams = len(repos), len(services), len(teams)
	for _, f := range res.Hits[first:end] {
		out.Hits = append(out.Hits, hitOf(f))
	}
	if first == 0 {
		for _, f := range res.Unknown {
			out.Unknown = append(out.Unknown, hitOf(f))
		}
	}
	for _, a := range res.Advisories {
		out.Advisories = append(out.Advisories, Advisory{ID: a.ID, Aliases: append([]string{}, a.Aliases...), Summary: a.Summary})
	}
	out.Gaps = ImpactGaps{Repos: res.Gaps.Repos, Some: []string{}}
	for i, g := range res.Gaps.List {
		if i == maxGapsShown {
			break
		}
		out.Gaps.Some = append(out.Gaps.Some, g.Repo.Path)
	}
	return out, nil
}

func hitOf(f commands.ImpactFinding) ImpactHit {
	h := f.Hit
	out := ImpactHit{Repo: h.Repo.Path, RepoURL: h.Repo.WebURL, File: h.File, Services: make([]ServiceRef, 0, len(h.Services)),
		Transitive: f.Transitive, FixedIn: f.FixedIn, Why: f.Why}
	for _, s := range h.Services {
		out.Services = append(out.Services, ServiceRef{Ref: s.Ref(), Team: strPtr(s.Team)})
		if out.Team == nil && s.Team != "" {
			out.Team = strPtr(s.Team)
		}
	}
	d := h.Dependency
	if d.Name != "" {
		out.Ecosystem, out.Package, out.Version, out.Direct = d.Ecosystem, d.Name, d.Version, d.Direct
		out.Via, out.Scope, out.VersionSetBy = d.Via, d.Scope, d.VersionFrom
		out.Declared = fileLine(d.File, d.Line)
		if f.Entry.File != "" {
			out.ChangeAt = fileLine(f.Entry.File, f.Entry.Line)
		} else if !f.Transitive {
			out.ChangeAt = out.Declared
		}
	}
	return out
}

func fileLine(file string, line int) string {
	if file == "" || line <= 0 {
		return file
	}
	return file + ":" + strconv.Itoa(line)
}

// DigestQuery scopes the digest's data: a GitLab group, a team (its part),
// and a page of a list.
type DigestQuery struct {
	Group  string
	Team   string
	Cursor string
	Limit  int
}

func (r *Reader) digest(ctx context.Context, q DigestQuery) (*catalog.Digest, error) {
	if r.Digest == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: CodeNotConfigured, Message: "the digest is not available here"}
	}
	d, err := r.Digest.Digest(ctx, catalog.DigestOptions{Group: strings.Trim(q.Group, "/")})
	if err != nil {
		return nil, fmt.Errorf("read digest: %w", err)
	}
	if q.Team != "" {
		t, err := r.findTeam(ctx, q.Team)
		if err != nil {
			return nil, err
		}
		d = d.ForTeam(t.Name)
	}
	return d, nil
}

// DigestSummary is the digest's coverage and counts.
func (r *Reader) DigestSummary(ctx context.Context, q DigestQuery) (Digest, error) {
	d, err := r.digest(ctx, q)
	if err != nil {
		return Digest{}, err
	}
	return Digest{Group: d.Group, Team: d.Team, ActiveDays: d.ActiveDays, Coverage: d.Coverage, Uncatalogued: d.UncataloguedCount(),
		Broken: len(d.Broken), Orphaned: len(d.Orphaned), Conflicts: len(d.Conflicts)}, nil
}

// Uncatalogued pages through the active repos without a descriptor, the
// largest groups first, as /service uncatalogued lists them.
func (r *Reader) Uncatalogued(ctx context.Context, q DigestQuery) (Page[UncataloguedRepo], error) {
	d, err := r.digest(ctx, q)
	if err != nil {
		return Page[UncataloguedRepo]{}, err
	}
	var all []catalog.UncataloguedRepo
	for _, g := range d.Uncatalogued {
		all = append(all, g.Repos...)
	}
	first, end, next, err := offsetPage(q.Cursor, "uncatalogued:"+q.Group+":"+q.Team, q.Limit, len(all))
	if err != nil {
		return Page[UncataloguedRepo]{}, err
	}
	out := Page[UncataloguedRepo]{Items: make([]UncataloguedRepo, 0, end-first), NextCursor: next}
	for _, u := range all[first:end] {
		out.Items = append(out.Items, UncataloguedRepo{Path: u.Path, WebURL: u.WebURL, Group: u.Group, Team: strPtr(u.Team),
			Status: u.Status, SyncError: u.SyncError, LastActivityAt: timePtr(u.LastActivityAt)})
	}
	return out, nil
}

// Broken pages through the active repos whose descriptor is invalid, by
// path, each with its first error's position.
func (r *Reader) Broken(ctx context.Context, q DigestQuery) (Page[BrokenRepo], error) {
	d, err := r.digest(ctx, q)
	if err != nil {
		return Page[BrokenRepo]{}, err
	}
	first, end, next, err := offsetPage(q.Cursor, "broken:"+q.Group+":"+q.Team, q.Limit, len(d.Broken))
	if err != nil {
		return Page[BrokenRepo]{}, err
	}
	out := Page[BrokenRepo]{Items: make([]BrokenRepo, 0, end-first), NextCursor: next}
	for _, b := range d.Broken[first:end] {
		out.Items = append(out.Items, BrokenRepo{Path: b.Path, WebURL: b.WebURL, Group: b.Group, Team: strPtr(b.Team),
			DescriptorPath: b.DescriptorPath, ErrorURL: b.FileURL(), Findings: b.Findings, Catalogued: b.Catalogued,
			Error: Finding{Line: b.First.Line, Column: b.First.Col, Rule: b.First.Rule, Message: b.First.Message}})
	}
	return out, nil
}
