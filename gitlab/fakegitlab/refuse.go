package fakegitlab

import (
	"fmt"
	"net/http"
	"slices"
)

// refusal rule: requests it matches get status.
type refuseRule struct {
	status int
	match  func(*http.Request) bool
}

// Refuse answers every request for which match is true with status (403,
// 404, ...) and GitLab's JSON message for it ({"message":"403 Forbidden"}),
// after authentication and rate limiting, until undo is called: a token
// without access to one endpoint, as a test needs it. Refused requests are
// not counted as injected failures.
func (s *Server) Refuse(status int, match func(*http.Request) bool) (undo func()) {
	rule := &refuseRule{status: status, match: match}
	s.holdMu.Lock()
	s.refusals = append(s.refusals, rule)
	s.holdMu.Unlock()
	return func() {
		s.holdMu.Lock()
		defer s.holdMu.Unlock()
		s.refusals = slices.DeleteFunc(s.refusals, func(x *refuseRule) bool { return x == rule })
	}
}

// refused answers r if a Refuse rule matches it.
func (s *Server) refused(w http.ResponseWriter, r *http.Request) bool {
	s.holdMu.Lock()
	status := 0
	for _, rule := range s.refusals {
		if rule.match(r) {
			status = rule.status
			break
		}
	}
	s.holdMu.Unlock()
	if status == 0 {
		return false
	}
	writeJSON(w, status, map[string]string{"message": fmt.Sprintf("%d %s", status, http.StatusText(status))})
	return true
}
