// Package fakeslack is a fake Slack: the Web API methods Switchboard calls,
// a receiver for response_url posts, and a signer that makes requests as
// Slack signs them. It speaks Slack's wire format, so the real slack-go
// client is exercised end to end (slack.OptionAPIURL(server.APIURL())), and
// it records every call for assertions.
package fakeslack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Token is the bot token the fake accepts unless told otherwise.
const Token = "xoxb-fake-token"

// User is a workspace member.
type User struct {
	ID       string
	Name     string
	RealName string
	Email    string
}

// Channel is a conversation.
type Channel struct {
	ID   string
	Name string
}

// Call is one request the fake received.
type Call struct {
	// Method is the Web API method ("chat.postMessage"), or "response_url"
	// for a post to a response URL.
	Method string
	// Form holds form-encoded parameters; JSON holds a JSON body.
	Form url.Values
	JSON map[string]any
	At   time.Time
}

// Server is the fake Slack.
type Server struct {
	mu       sync.Mutex
	token    string
	users    map[string]User
	channels map[string]Channel
	calls    []Call
	ts       int
	// posted are the messages chat.postMessage posted, by channel/ts:
	// those chat.update may update.
	posted map[string]bool
	views  int
	// FailNext makes the next n Web API calls fail with the given error
	// code ("ratelimited", "internal_error").
	failNext  int
	failError string
	srv       *httptest.Server
	waiters   []chan struct{}
	onCall    func(Call)
	socket    *socket
	groups    map[string][]string
	// violations are the unintended control sequences received (check.go).
	violations []string
	forbidden  []string
	closeOnce  sync.Once
	// files are uploads by id (files.go).
	files     map[string]*File
	fileOrder []string
	fileSeq   int
	oidc      *oidcState // Sign in with Slack (oidc.go); nil until EnableOIDC
}

// SetUserGroup makes the user group id (S0123...) have members.
func (s *Server) SetUserGroup(id string, members ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.groups == nil {
		s.groups = map[string][]string{}
	}
	s.groups[id] = members
}

// OnCall makes the fake tell fn of every call it receives (the demo logs
// them).
func (s *Server) OnCall(fn func(Call)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onCall = fn
}

// New starts a fake Slack with the given members and channels. Close it
// when done. Tests use NewForTest, which also fails the test on any
// unintended control sequence in what the fake received.
func New(users []User, channels []Channel) *Server {
	s := &Server{token: Token, users: map[string]User{}, channels: map[string]Channel{}}
	for _, u := range users {
		s.users[u.ID] = u
	}
	for _, c := range channels {
		s.channels[c.ID] = c
	}
	s.srv = httptest.NewServer(s)
	return s
}

// Close stops the server. Closing twice is harmless.
func (s *Server) Close() { s.closeOnce.Do(s.srv.Close) }

// APIURL is the base URL for slack.OptionAPIURL.
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// ResponseURL returns a response_url that records what is posted to it.
func (s *Server) ResponseURL(id string) string { return s.srv.URL + "/response/" + url.PathEscape(id) }

// FailNext makes the next n Web API calls answer {"ok": false, "error": code}.
func (s *Server) FailNext(n int, code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failNext, s.failError = n, code
}

// Calls returns the calls received so far, optionally only those of one
// method.
func (s *Server) Calls(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if method == "" || c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitFor waits until at least n calls of method have arrived, or timeout.
// It returns those calls.
func (s *Server) WaitFor(method string, n int, timeout time.Duration) []Call {
	deadline := time.Now().Add(timeout)
	for {
		calls := s.Calls(method)
		if len(calls) >= n || time.Now().After(deadline) {
			return calls
		}
		s.mu.Lock()
		ch := make(chan struct{})
		s.waiters = append(s.waiters, ch)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-time.After(time.Until(deadline)):
		}
	}
}

func (s *Server) record(c Call) {
	s.checkCall(c)
	s.mu.Lock()
	s.calls = append(s.calls, c)
	for _, ch := range s.waiters {
		close(ch)
	}
	s.waiters = nil
	hook := s.onCall
	s.mu.Unlock()
	if hook != nil {
		hook(c)
	}
}

// ServeHTTP implements the fake's endpoints.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.serveOIDC(w, r) {
		return
	}
	switch r.URL.Path {
	case "/api/apps.connections.open":
		s.openConnection(w, r)
		return
	case "/socket":
		s.serveSocket(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, "/upload/v1/") {
		s.upload(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	call := Call{At: time.Now()}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(body, &call.JSON); err != nil {
			writeJSON(w, map[string]any{"ok": false, "error": "invalid_json"})
			return
		}
	} else {
		call.Form, _ = url.ParseQuery(string(body))
		for k, v := range r.URL.Query() {
			if call.Form.Get(k) == "" {
				call.Form[k] = v
			}
		}
	}
	if strings.HasPrefix(r.URL.Path, "/response/") {
		call.Method = "response_url"
		s.record(call)
		io.WriteString(w, "ok")
		return
	}
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	call.Method = method
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" && call.Form != nil {
		token = call.Form.Get("token")
	}
	s.record(call)
	if token != s.token {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	s.mu.Lock()
	if s.failNext > 0 {
		s.failNext--
		code := s.failError
		s.mu.Unlock()
		if code == "ratelimited" {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
		}
		writeJSON(w, map[string]any{"ok": false, "error": code})
		return
	}
	s.mu.Unlock()
	writeJSON(w, s.answer(method, call))
}

func (s *Server) answer(method string, c Call) map[string]any {
	get := func(k string) string {
		if c.JSON != nil {
			v, _ := c.JSON[k].(string)
			return v
		}
		return c.Form.Get(k)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch method {
	case "auth.test":
		return map[string]any{"ok": true, "user_id": "UBOT", "team_id": "TFAKE", "team": "Fake", "bot_id": "BFAKE"}
	case "chat.postMessage":
		ch := get("channel")
		if ch == "" {
			return map[string]any{"ok": false, "error": "channel_not_found"}
		}
		if name, ok := strings.CutPrefix(ch, "#"); ok {
			// As Slack: a channel known by name answers with its id.
			for _, c := range s.channels {
				if c.Name == name {
					ch = c.ID
				}
			}
		}
		s.ts++
		ts := fmt.Sprintf("1700000000.%06d", s.ts)
		if s.posted == nil {
			s.posted = map[string]bool{}
		}
		s.posted[ch+"/"+ts] = true
		return map[string]any{"ok": true, "channel": ch, "ts": ts}
	case "chat.update":
		// As Slack: the message must exist, found by its channel and ts.
		ch, ts := get("channel"), get("ts")
		if ch == "" {
			return map[string]any{"ok": false, "error": "channel_not_found"}
		}
		if !s.posted[ch+"/"+ts] {
			return map[string]any{"ok": false, "error": "message_not_found"}
		}
		return map[string]any{"ok": true, "channel": ch, "ts": ts}
	case "chat.postEphemeral":
		if get("channel") == "" || get("user") == "" {
			return map[string]any{"ok": false, "error": "channel_not_found"}
		}
		s.ts++
		return map[string]any{"ok": true, "message_ts": fmt.Sprintf("1700000000.%06d", s.ts)}
	case "views.open", "views.push", "views.update", "views.publish":
		if method == "views.open" || method == "views.push" {
			if get("trigger_id") == "" {
				return map[string]any{"ok": false, "error": "invalid_trigger_id"}
			}
		}
		s.views++
		view := map[string]any{"id": "V" + strconv.Itoa(s.views), "hash": "h" + strconv.Itoa(s.views)}
		if c.JSON != nil {
			if v, ok := c.JSON["view"].(map[string]any); ok {
				for k, val := range v {
					view[k] = val
				}
			}
			if id, ok := c.JSON["view_id"].(string); ok && id != "" {
				view["id"] = id
			}
		}
		return map[string]any{"ok": true, "view": view}
	case "users.info":
		u, ok := s.users[get("user")]
		if !ok {
			return map[string]any{"ok": false, "error": "user_not_found"}
		}
		return map[string]any{"ok": true, "user": userJSON(u)}
	case "users.lookupByEmail":
		for _, u := range s.users {
			if strings.EqualFold(u.Email, get("email")) {
				return map[string]any{"ok": true, "user": userJSON(u)}
			}
		}
		return map[string]any{"ok": false, "error": "users_not_found"}
	case "usergroups.users.list":
		members, ok := s.groups[get("usergroup")]
		if !ok {
			return map[string]any{"ok": false, "error": "no_such_subteam"}
		}
		return map[string]any{"ok": true, "users": members}
	case "files.getUploadURLExternal":
		return s.getUploadURL(get)
	case "files.completeUploadExternal":
		return s.completeUpload(get)
	case "conversations.open":
		return s.openConversation(get)
	case "conversations.info":
		ch, ok := s.channels[get("channel")]
		if !ok {
			return map[string]any{"ok": false, "error": "channel_not_found"}
		}
		return map[string]any{"ok": true, "channel": map[string]any{"id": ch.ID, "name": ch.Name, "is_channel": true}}
	}
	return map[string]any{"ok": false, "error": "unknown_method"}
}

func userJSON(u User) map[string]any {
	return map[string]any{
		"id": u.ID, "name": u.Name, "real_name": u.RealName,
		"profile": map[string]any{"email": u.Email, "real_name": u.RealName, "display_name": u.Name},
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// Sign returns the headers Slack sends with body: X-Slack-Request-Timestamp
// (at) and X-Slack-Signature (v0 HMAC-SHA256 with secret).
func Sign(secret string, body []byte, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:%s", ts, body)
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", ts)
	h.Set("X-Slack-Signature", "v0="+hex.EncodeToString(mac.Sum(nil)))
	return h
}

// SlashCommand returns the form body Slack posts for a slash command.
func SlashCommand(command, text, userID, channelID, responseURL, triggerID string) []byte {
	v := url.Values{}
	v.Set("token", "deprecated-verification-token")
	v.Set("team_id", "TFAKE")
	v.Set("team_domain", "fake")
	v.Set("channel_id", channelID)
	v.Set("channel_name", "general")
	v.Set("user_id", userID)
	v.Set("user_name", "user")
	v.Set("command", command)
	v.Set("text", text)
	v.Set("api_app_id", "AFAKE")
	v.Set("response_url", responseURL)
	v.Set("trigger_id", triggerID)
	return []byte(v.Encode())
}

// Interaction returns the form body Slack posts for an interaction
// payload (block_actions, view_submission...).
func Interaction(payload any) ([]byte, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return nil, err
	}
	return []byte(url.Values{"payload": {string(b)}}.Encode()), nil
}
