package reposync

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/switchboard-dev/switchboard/catalog"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// maxHookBody bounds a webhook's body: GitLab caps a push payload's
// commits at 20, far below this.
const maxHookBody = 5 << 20

// Inserter inserts River jobs; *jobs.Client is one.
type Inserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// Webhook receives GitLab's project webhooks (push) and system hooks
// (project_create, project_rename, project_transfer, project_update,
// project_destroy) at POST /gitlab/webhook, and answers 202 once the job
// that re-syncs (or marks destroyed) the project concerned is in the
// database: any replica runs it, and a replica that dies right after
// answering loses nothing. Requests without the right X-Gitlab-Token get
// 401; malformed ones 400 (a body that is not UTF-8 or holds a NUL
// character too: no repo path or name can hold one); bodies over 5 MiB 413;
// none of them changes anything. A job that cannot be inserted is 503, for
// GitLab to send the hook again.
//
// With RecordChangesTo, merge request events (a merge into the default
// branch), deployment events (a finished deployment) and pushes to the
// default branch are also recorded in the change history before the answer,
// so that /changes shows them at once; other merge request and deployment
// events are acknowledged and ignored, as is every unknown event (GitLab
// disables a hook that keeps failing). A change that cannot be recorded is
// 503, for GitLab to send the hook again (recording is idempotent).
type Webhook struct {
	secret  []byte
	jobs    Inserter
	gens    Gens
	log     *slog.Logger
	changes ChangeRecorder
	now     func() time.Time
}

// RecordChangesTo makes the handler record merge, deployment and push
// events in r (see Webhook). Call it before the handler serves.
func (h *Webhook) RecordChangesTo(r ChangeRecorder) { h.changes = r }

// NewWebhook returns the handler. secret is the token GitLab sends in
// X-Gitlab-Token; it must not be empty. jobs inserts the jobs; gens reads
// the projects' sync generations (RepoArgs.Gen).
func NewWebhook(secret string, jobs Inserter, gens Gens, log *slog.Logger) (*Webhook, error) {
	if secret == "" {
		return nil, errors.New("gitlab webhook: no secret token (GITLAB_WEBHOOK_SECRET)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Webhook{secret: []byte(secret), jobs: jobs, gens: gens, log: log, now: time.Now}, nil
}

// hookEvent holds the fields of push and system hooks the handler reads.
type hookEvent struct {
	ObjectKind string      `json:"object_kind"`
	EventName  string      `json:"event_name"`
	Ref        string      `json:"ref"`
	ProjectID  int64       `json:"project_id"`
	Project    hookProject `json:"project"`
}

// ServeHTTP implements POST /gitlab/webhook.
func (h *Webhook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	if subtle.ConstantTimeCompare([]byte(r.Header.Get("X-Gitlab-Token")), h.secret) != 1 {
		h.log.Warn("gitlab webhook refused: wrong or missing X-Gitlab-Token", "remote", r.RemoteAddr)
		http.Error(w, "wrong or missing X-Gitlab-Token", http.StatusUnauthorized)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxHookBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body over 5 MiB", http.StatusRequestEntityTooLarge)
			return
		}
		http.Error(w, "cannot read body", http.StatusBadRequest)
		return
	}
	if msg := unreadableBody(body); msg != "" {
		h.log.Warn("gitlab webhook refused: "+msg, "remote", r.RemoteAddr)
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	var ev hookEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		http.Error(w, "malformed JSON: "+err.Error(), http.StatusBadRequest)
		return
	}
	id := ev.ProjectID
	if id == 0 {
		id = ev.Project.ID
	}
	kind := ev.ObjectKind
	if kind == "" {
		kind = ev.EventName
	}
	switch kind {
	case "merge_request":
		if !h.record(w, r, kind, body, mergeFromHook) {
			return
		}
	case "deployment":
		if !h.record(w, r, kind, body, deploymentFromHook) {
			return
		}
	case "push":
		if id == 0 {
			http.Error(w, "push event without project_id", http.StatusBadRequest)
			return
		}
		if !h.record(w, r, kind, body, pushFromHook) {
			return
		}
		if ev.Project.DefaultBranch != "" && ev.Ref != "refs/heads/"+ev.Project.DefaultBranch {
			w.WriteHeader(http.StatusAccepted) // not the default branch: nothing the catalog reads changed
			return
		}
		if !h.enqueue(w, r, id) {
			return
		}
	case "project_create", "project_rename", "project_transfer", "project_update":
		if id == 0 {
			http.Error(w, kind+" event without project_id", http.StatusBadRequest)
			return
		}
		if !h.enqueue(w, r, id) {
			return
		}
	case "project_destroy":
		if id == 0 {
			http.Error(w, "project_destroy event without project_id", http.StatusBadRequest)
			return
		}
		if _, err := h.jobs.Insert(r.Context(), DestroyArgs{ProjectID: id}, nil); err != nil {
			h.log.Error("gitlab webhook: queue the project's deletion", "project", id, "err", err)
			http.Error(w, "could not queue the deletion; GitLab will retry", http.StatusServiceUnavailable)
			return
		}
	default:
		h.log.Debug("gitlab webhook ignored", "kind", kind)
	}
	w.WriteHeader(http.StatusAccepted)
}

// record reads a change out of a hook's body and records it, when the
// handler records changes. A body the reader refuses is 400; a failure to
// record, 503.
func (h *Webhook) record(w http.ResponseWriter, r *http.Request, kind string, body []byte,
	read func([]byte, time.Time) (catalog.Change, bool, error)) bool {
	if h.changes == nil {
		return true
	}
	c, ok, err := read(body, h.now())
	if err != nil {
		http.Error(w, "malformed "+kind+" event: "+err.Error(), http.StatusBadRequest)
		return false
	}
	if !ok {
		return true
	}
	if err := h.changes.RecordChanges(r.Context(), []catalog.Change{c}); err != nil {
		h.log.Error("gitlab webhook: record the change", "kind", kind, "project", c.ProjectID, "ref", c.Ref, "err", err)
		http.Error(w, "could not record the change; GitLab will retry", http.StatusServiceUnavailable)
		return false
	}
	return true
}

// enqueue inserts the project's sync job (nothing when one is waiting
// already, or running since before this request: see RepoArgs), and
// answers 503 when it cannot.
func (h *Webhook) enqueue(w http.ResponseWriter, r *http.Request, id int64) bool {
	gens, err := h.gens.SyncGens(r.Context(), id)
	if err == nil {
		_, err = h.jobs.Insert(r.Context(), RepoArgs{ProjectID: id, Gen: gens[id]}, nil)
	}
	if err != nil {
		h.log.Error("gitlab webhook: queue the project's sync", "project", id, "err", err)
		http.Error(w, "could not queue the sync; GitLab will retry", http.StatusServiceUnavailable)
		return false
	}
	return true
}

// unreadableBody says why a hook's body cannot be taken, "" when it can:
// bytes that are not UTF-8 (JSON decoding would silently replace them), or
// a NUL character, raw or escaped as \u0000 (Postgres refuses it in text).
func unreadableBody(body []byte) string {
	if !utf8.Valid(body) {
		return "body is not valid UTF-8; GitLab sends UTF-8 JSON"
	}
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case 0:
			return fmt.Sprintf("body contains a NUL byte at offset %d", i)
		case '\\':
			// Backslashes occur only in JSON strings, each starting an
			// escape: look at it whole.
			if i+5 < len(body) && body[i+1] == 'u' && string(body[i+2:i+6]) == "0000" {
				return fmt.Sprintf("body contains a NUL character (\\u0000) at offset %d", i)
			}
			i++
		}
	}
	return ""
}
