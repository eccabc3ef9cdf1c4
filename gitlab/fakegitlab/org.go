// Package fakegitlab is a fake GitLab REST API v4 server, good enough for
// the real client library (gitlab.com/gitlab-org/api/client-go) to list
// projects with keyset and offset pagination, read trees, files and
// commits, open merge requests and list group members. It serves an Org —
// generated with Generate or written by hand — that can change while it
// runs (pushes, renames, transfers, deletions), produces the matching
// webhook payloads, and can be made slow, rate limited or failing to test
// and benchmark a client's manners.
//
// Payloads follow what GitLab sends (field names, pagination headers,
// RateLimit-* headers, 429 with Retry-After); see
// shared/corpus/api/gitlab for the real ones they were checked against.
package fakegitlab

import (
	"crypto/sha1"
	"encoding/hex"
	"slices"
	"strings"
	"time"
)

// Access levels of members, as GitLab numbers them.
const (
	Guest      = 10
	Reporter   = 20
	Developer  = 30
	Maintainer = 40
	Owner      = 50
)

// Org is the content of a GitLab instance: groups and their members, and
// projects. Once given to New, it belongs to the Server: read it back
// through the Server's methods, which hold its lock.
type Org struct {
	Groups   []Group
	Projects []*Project
}

// Group is a GitLab group; a subgroup's Path has its parent's in front.
type Group struct {
	ID int64
	// Path is the full path, "platform" or "platform/tooling".
	Path        string
	Name        string
	Description string
	Members     []Member
}

// Member is a user and their access to a group or project.
type Member struct {
	// ID is the user's id.
	ID       int64
	Username string
	Name     string
	Email    string
	// AccessLevel is one of Guest ... Owner; Developer when zero.
	AccessLevel int
}

// Project is a GitLab project (a repository) at the head of its default
// branch.
type Project struct {
	ID int64
	// Path is the full path with namespace, "payments/checkout-api".
	Path string
	// Name is the display name; the last segment of Path when empty.
	Name        string
	Description string
	// DefaultBranch is "main" when empty.
	DefaultBranch string
	Archived      bool
	// ForkedFrom is the full path of the project this one is a fork of.
	ForkedFrom string
	// Visibility is "private" when empty.
	Visibility   string
	Topics       []string
	CreatedAt    time.Time
	LastActivity time.Time
	// Files maps repository paths ("src/main/resources/log4j2.xml") to
	// content at the head of the default branch.
	Files map[string][]byte
	// Commit is the head commit of the default branch; computed from the
	// files when empty.
	Commit string
	// Members are the project's direct members; members of its group come
	// on top.
	Members []Member
	// JobArtifacts are files of the artifacts of the project's latest
	// successful CI jobs (see JobArtifact).
	JobArtifacts []JobArtifact
	// MergedMergeRequests are merge requests merged before the fake
	// started, in this order: their iids are 1, 2, ..., before those
	// opened on the fake.
	MergedMergeRequests []MergedMergeRequest
	// DefaultBranchUnprotected leaves the default branch unprotected;
	// GitLab protects it when it creates a project, and so does the fake.
	DefaultBranchUnprotected bool
	// ProtectedBranches are more protected-branch rules: branch names or
	// wildcards ("release/*", "*"), which protect the branches they cover.
	ProtectedBranches []string
	// MergeRequestsDisabled turns the project's merge requests off: GitLab
	// then answers 403 to their listing.
	MergeRequestsDisabled bool
	// Deployments are deployments made before the fake started, oldest
	// first (see Deployment).
	Deployments []Deployment
	// DirectPushes are pushes to the default branch made without a merge
	// request before the fake started; each has its push event.
	DirectPushes []DirectPush
}

// MergedMergeRequest is a merge request merged before the fake started.
type MergedMergeRequest struct {
	Title string
	// SourceBranch is "feature-IID" when empty (deleted at the merge, as
	// usual); TargetBranch the default branch when empty.
	SourceBranch, TargetBranch string
	// Author opened it (and merged it).
	Author   Member
	MergedAt time.Time
	// CreatedAt is a day before MergedAt when zero.
	CreatedAt time.Time
}

// Namespace returns the full path of the project's group ("platform/tooling"
// for "platform/tooling/deploy-cli").
func (p *Project) Namespace() string {
	if i := strings.LastIndexByte(p.Path, '/'); i >= 0 {
		return p.Path[:i]
	}
	return ""
}

// Slug returns the last segment of the project's path.
func (p *Project) Slug() string {
	return p.Path[strings.LastIndexByte(p.Path, '/')+1:]
}

func (p *Project) displayName() string {
	if p.Name != "" {
		return p.Name
	}
	return p.Slug()
}

// commitID is a stable SHA-1 for a commit with these files and parent.
func commitID(projectID int64, parent, message string, files map[string][]byte) string {
	h := sha1.New()
	h.Write([]byte(parent))
	h.Write([]byte{0})
	h.Write([]byte(message))
	h.Write([]byte{0})
	var idb [8]byte
	for i := range idb {
		idb[i] = byte(projectID >> (8 * i))
	}
	h.Write(idb[:])
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		h.Write([]byte(p))
		h.Write([]byte{0})
		h.Write(files[p])
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// blobID is the id the tree and file endpoints give a file. Git's own blob
// ids depend on the content only; these depend on the path too, so that
// keyset pagination of trees (page_token is the id of the last entry)
// never meets two entries with one id.
func blobID(path string, content []byte) string {
	h := sha1.New()
	h.Write([]byte("blob "))
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(content)
	return hex.EncodeToString(h.Sum(nil))
}

// treeID is the id of a folder in a tree listing.
func treeID(commit, path string) string {
	h := sha1.Sum([]byte("tree " + commit + "/" + path))
	return hex.EncodeToString(h[:])
}
