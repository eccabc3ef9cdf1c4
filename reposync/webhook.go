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
	"strings"
	"sync"
	"unicode/utf8"
)

// maxHookBody bounds a webhook's body: GitLab caps a push payload's
// commits at 20, far below this.
const maxHookBody = 5 << 20

// Deleter is what the webhook needs beyond the sync: marking a destroyed
// project; *catalog.Store is one.
type Deleter interface {
	MarkRepoDeleted(ctx context.Context, gitlabID int64) ([]string, error)
}

// Webhook receives GitLab's project webhooks (push) and system hooks
// (project_create, project_rename, project_transfer, project_destroy) at
// POST /gitlab/webhook, and re-syncs the project concerned in the
// background. Requests without the right X-Gitlab-Token get 401;
// malformed ones 400 (a body that is not UTF-8 or holds a NUL character
// too: no repo path or name can hold one); bodies over 5 MiB 413; none of
// them changes anything.
type Webhook struct {
	secret  []byte
	syncer  *Syncer
	deleter Deleter
	log     *slog.Logger

	mu      sync.Mutex
	pending map[int64]bool // projects queued or being synced: one sync each
	queue   chan int64
	wg      sync.WaitGroup
}

// NewWebhook returns the handler. secret is the token GitLab sends in
// X-Gitlab-Token; it must not be empty. Call Run to process the queue.
func NewWebhook(secret string, syncer *Syncer, deleter Deleter, log *slog.Logger) (*Webhook, error) {
	if secret == "" {
		return nil, errors.New("gitlab webhook: no secret token (GITLAB_WEBHOOK_SECRET)")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Webhook{secret: []byte(secret), syncer: syncer, deleter: deleter, log: log,
		pending: map[int64]bool{}, queue: make(chan int64, 1024)}, nil
}

// hookEvent holds the fields of push and system hooks the handler reads.
type hookEvent struct {
	ObjectKind string `json:"object_kind"`
	EventName  string `json:"event_name"`
	Ref        string `json:"ref"`
	ProjectID  int64  `json:"project_id"`
	Project    struct {
		ID            int64  `json:"id"`
		DefaultBranch string `json:"default_branch"`
	} `json:"project"`
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
	case "push":
		if id == 0 {
			http.Error(w, "push event without project_id", http.StatusBadRequest)
			return
		}
		if ev.Project.DefaultBranch != "" && ev.Ref != "refs/heads/"+ev.Project.DefaultBranch {
			w.WriteHeader(http.StatusAccepted) // not the default branch: nothing the catalog reads changed
			return
		}
		h.enqueue(id)
	case "project_create", "project_rename", "project_transfer", "project_update":
		if id == 0 {
			http.Error(w, kind+" event without project_id", http.StatusBadRequest)
			return
		}
		h.enqueue(id)
	case "project_destroy":
		if id == 0 {
			http.Error(w, "project_destroy event without project_id", http.StatusBadRequest)
			return
		}
		orphaned, err := h.deleter.MarkRepoDeleted(r.Context(), id)
		if err != nil && !strings.Contains(err.Error(), "not found") {
			h.log.Error("gitlab webhook: mark project deleted", "project", id, "err", err)
			http.Error(w, "could not record the deletion; GitLab will retry", http.StatusServiceUnavailable)
			return
		}
		h.log.Info("gitlab project destroyed", "project", id, "orphaned", orphaned)
	default:
		h.log.Debug("gitlab webhook ignored", "kind", kind)
	}
	w.WriteHeader(http.StatusAccepted)
}

// enqueue schedules a sync of project id unless one is already queued.
func (h *Webhook) enqueue(id int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.pending[id] {
		return
	}
	select {
	case h.queue <- id:
		h.pending[id] = true
	default:
		// The queue is full: the periodic sync will pick the change up.
		h.log.Warn("gitlab webhook queue full; change left to the periodic sync", "project", id)
	}
}

// Run syncs queued projects, workers at a time, until ctx ends.
func (h *Webhook) Run(ctx context.Context, workers int) {
	if workers <= 0 {
		workers = 4
	}
	for range workers {
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case id := <-h.queue:
					h.mu.Lock()
					delete(h.pending, id) // a push arriving now queues a fresh sync
					h.mu.Unlock()
					out, _, err := h.syncer.SyncProject(ctx, id)
					if err != nil {
						h.log.Warn("gitlab webhook: sync failed", "project", id, "err", err)
						continue
					}
					h.log.Info("gitlab webhook: project synced", "project", id, "outcome", out)
				}
			}
		}()
	}
	h.wg.Wait()
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
