package fakeslack

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Slack reads "<...>" in a message's text as a control sequence: "<!channel>"
// notifies a whole channel, "<@U123>" mentions a user, "<#C123>" links a
// channel, "<https://...|label>" is a link. The fake checks every payload it
// receives for such sequences and accepts only those Switchboard makes on
// purpose: a mention of a well-formed user id, and a labelled http(s) or
// mailto link whose address holds no "<", ">", "|" or space. Anything else
// means text that was not Switchboard's own reached Slack unescaped.

// notShown are the keys whose strings Slack does not show as text: ids,
// values carried back to the app, addresses.
var notShown = map[string]bool{
	"value": true, "url": true, "initial_value": true, "private_metadata": true,
	"action_id": true, "block_id": true, "callback_id": true, "trigger_id": true,
	"response_url": true, "external_id": true, "view_id": true, "hash": true,
	"token": true, "channel": true, "user": true, "users": true, "ts": true,
	"thread_ts": true, "initial_conversation": true, "initial_channel": true,
	"initial_user": true, "envelope_id": true, "email": true, "image_url": true,
	"channel_id": true, "file_id": true, "id": true, "filename": true, "length": true,
}

// jsonFields are form parameters that carry JSON (chat.postMessage's blocks).
var jsonFields = map[string]bool{"blocks": true, "attachments": true, "view": true, "metadata": true, "files": true}

var (
	mentionRe = regexp.MustCompile(`^@[UW][A-Z0-9]{2,}$`)
	linkRe    = regexp.MustCompile(`^(?i:https?://|mailto:)[^\s<>|]+\|[^<>|]+$`)
)

// Unintended returns where payload (a decoded JSON value: maps, slices,
// strings...) holds a Slack control sequence that Switchboard does not make
// on purpose, one line each ("blocks[0].text.text: \"<!channel>\""). Strings
// under keys Slack does not show (value, url, action_id...) are skipped.
func Unintended(payload any) []string {
	var out []string
	walk("", payload, &out)
	return out
}

// UnintendedForm is Unintended over form-encoded parameters, as slack-go
// sends chat.postMessage: JSON-valued ones (blocks, view) are decoded and
// walked.
func UnintendedForm(form url.Values) []string {
	return Unintended(formPayload(form))
}

// formPayload is form as a JSON-like value, JSON-valued parameters decoded.
func formPayload(form url.Values) map[string]any {
	out := make(map[string]any, len(form))
	for k, vs := range form {
		list := make([]any, 0, len(vs))
		for _, v := range vs {
			var decoded any
			if jsonFields[k] && json.Unmarshal([]byte(v), &decoded) == nil {
				list = append(list, decoded)
				continue
			}
			list = append(list, v)
		}
		if len(list) == 1 {
			out[k] = list[0]
		} else {
			out[k] = list
		}
	}
	return out
}

func walk(path string, v any, out *[]string) {
	shown(path, v, func(path, s string) {
		if bad := ControlSequences(s); len(bad) > 0 {
			*out = append(*out, fmt.Sprintf("%s: %s in %q", path, strings.Join(bad, ", "), clip(s)))
		}
	})
}

// shown calls fn with each string of v that Slack shows, and its path.
func shown(path string, v any, fn func(path, s string)) {
	switch v := v.(type) {
	case string:
		fn(path, v)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if notShown[k] {
				continue
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			shown(p, v[k], fn)
		}
	case []any:
		for i, e := range v {
			shown(fmt.Sprintf("%s[%d]", path, i), e, fn)
		}
	}
}

// ControlSequences returns the control sequences of s that Switchboard
// does not make on purpose: every "<!", "<#", "<@" or "<http"/"<mailto"
// (any case) except "<@U123>" with a well-formed user id and
// "<https://address|label>" or "<mailto:address|label>" whose address has
// no "<", ">", "|" or white space and whose label no "<", "|".
func ControlSequences(s string) []string {
	var bad []string
	for i := 0; i < len(s); i++ {
		if s[i] != '<' {
			continue
		}
		rest := s[i+1:]
		lower := strings.ToLower(rest)
		if !strings.HasPrefix(rest, "!") && !strings.HasPrefix(rest, "@") && !strings.HasPrefix(rest, "#") &&
			!strings.HasPrefix(lower, "http") && !strings.HasPrefix(lower, "mailto") {
			continue
		}
		end := strings.IndexByte(rest, '>')
		if end < 0 {
			bad = append(bad, fmt.Sprintf("unterminated %q", clip("<"+rest)))
			continue
		}
		token := rest[:end]
		if mentionRe.MatchString(token) || linkRe.MatchString(token) {
			i += end
			continue
		}
		bad = append(bad, fmt.Sprintf("%q", clip("<"+token+">")))
	}
	return bad
}

func clip(s string) string {
	if r := []rune(s); len(r) > 120 {
		return string(r[:120]) + "…"
	}
	return s
}

// checkCall records the unintended control sequences of a call.
func (s *Server) checkCall(c Call) {
	switch {
	case c.JSON != nil:
		s.check(c.Method, c.JSON)
	case c.Form != nil:
		s.check(c.Method, formPayload(c.Form))
	}
}

// check records what is wrong in payload, received as where: unintended
// control sequences, and forbidden text (Forbid).
func (s *Server) check(where string, payload any) {
	found := Unintended(payload)
	s.mu.Lock()
	forbidden := s.forbidden
	s.mu.Unlock()
	if len(forbidden) > 0 {
		shown("", payload, func(path, str string) {
			for _, f := range forbidden {
				if strings.Contains(str, f) {
					found = append(found, fmt.Sprintf("%s: forbidden %q shown as is in %q", path, f, clip(str)))
				}
			}
		})
	}
	s.addViolations(where, found)
}

// Forbid makes every later payload that shows one of values, as is, a
// violation: a test sends hostile text and forbids it to come back
// unescaped (which the control-sequence check alone would accept of
// "<@U123>").
func (s *Server) Forbid(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.forbidden = append(s.forbidden, values...)
}

func (s *Server) addViolations(where string, found []string) {
	if len(found) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range found {
		s.violations = append(s.violations, where+": "+f)
	}
}

// ReceiveAck checks the body of the bot's answer to a request Slack sent it
// (the acknowledgement of a slash command, an interaction or a form), as
// Slack would show it, like every call the fake receives. path says which
// request it answered ("/slack/commands").
func (s *Server) ReceiveAck(path string, body []byte) {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return // not JSON: an empty ack or an error text for Slack
	}
	s.check("ack "+path, v)
}

// Violations returns the unintended control sequences found so far in what
// the fake received: Web API calls, response_url posts, Socket Mode acks and
// acks given to ReceiveAck.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// NewForTest starts a fake Slack for a test: it is closed when the test
// ends, and the test fails if any payload the fake received (see
// Violations) holds a control sequence Switchboard did not intend.
func NewForTest(t testing.TB, users []User, channels []Channel) *Server {
	t.Helper()
	s := New(users, channels)
	t.Cleanup(func() {
		s.Close()
		for _, v := range s.Violations() {
			t.Errorf("fake Slack received text Switchboard did not mean: %s", v)
		}
	})
	return s
}

// Hostile is text a user or a descriptor could hold to make Slack notify,
// mention, link or format where Switchboard did not mean it to; tests send
// each through every command and synced field.
var Hostile = []struct{ Name, Value string }{
	{"channel", "<!channel>"},
	{"here", "<!here>"},
	{"everyone", "<!everyone>"},
	{"subteam", "<!subteam^S1|x>"},
	{"user", "<@U123>"},
	{"channel link", "<#C1|x>"},
	{"link", "<https://evil.example|click>"},
	{"mailto", "<mailto:a@evil.example|mail>"},
	{"entity", "&amp; &lt;!channel&gt;"},
	{"bold", "*bold* _it_ ~s~"},
	{"backticks", "``` `x` ```"},
	{"rtl", "\u202e<!here>\u202c"},
	{"zero width", "<\u200b!channel> <!\u200bhere>"},
	{"pipe", "a|b>c<d"},
}
