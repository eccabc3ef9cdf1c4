package fakeslack

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// AppToken is the app-level token the fake's Socket Mode accepts.
const AppToken = "xapp-fake-app-token"

// socket is the fake's Socket Mode side: apps.connections.open hands out a
// WebSocket URL; envelopes are sent to the connected client and its acks
// recorded.
type socket struct {
	mu       sync.Mutex
	conn     *websocket.Conn
	opened   int
	acks     []map[string]any
	envelope int
	changed  chan struct{}
}

func (s *Server) sock() *socket {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.socket == nil {
		s.socket = &socket{changed: make(chan struct{})}
	}
	return s.socket
}

// openConnection answers apps.connections.open.
func (s *Server) openConnection(w http.ResponseWriter, r *http.Request) {
	if strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ") != AppToken {
		writeJSON(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	sk := s.sock()
	sk.mu.Lock()
	sk.opened++
	n := sk.opened
	sk.mu.Unlock()
	s.mu.Lock()
	if s.failNext > 0 {
		s.failNext--
		code := s.failError
		s.mu.Unlock()
		writeJSON(w, map[string]any{"ok": false, "error": code})
		return
	}
	s.mu.Unlock()
	url := "ws" + strings.TrimPrefix(s.srv.URL, "http") + fmt.Sprintf("/socket?n=%d", n)
	writeJSON(w, map[string]any{"ok": true, "url": url})
}

// upgrader accepts slack-go's dial, which says it comes from
// https://api.slack.com.
var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// serveSocket is the WebSocket: hello, then envelopes out and acks in.
func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	sk := s.sock()
	sk.mu.Lock()
	if sk.conn != nil {
		sk.conn.Close()
	}
	// Writes to the connection happen under sk.mu (one writer at a time).
	_ = conn.WriteJSON(map[string]any{"type": "hello", "num_connections": 1,
		"connection_info": map[string]any{"app_id": "AFAKE"}, "debug_info": map[string]any{"host": "fake"}})
	sk.conn = conn
	sk.notify()
	sk.mu.Unlock()
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return
		}
		var ack map[string]any
		if json.Unmarshal(data, &ack) == nil {
			s.check("socket ack", ack["payload"])
			sk.mu.Lock()
			sk.acks = append(sk.acks, ack)
			sk.notify()
			sk.mu.Unlock()
		}
	}
}

// notify wakes the waiters; sk.mu is held.
func (sk *socket) notify() {
	close(sk.changed)
	sk.changed = make(chan struct{})
}

// SocketConnections is how many times a Socket Mode client asked for a
// connection (apps.connections.open), refused ones included.
func (s *Server) SocketConnections() int {
	sk := s.sock()
	sk.mu.Lock()
	defer sk.mu.Unlock()
	return sk.opened
}

// SocketSend sends an envelope of type ("slash_commands", "interactive",
// "events_api") with payload to the connected client and returns its id.
func (s *Server) SocketSend(typ string, payload any) (string, error) {
	sk := s.sock()
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if sk.conn == nil {
		return "", fmt.Errorf("no Socket Mode client connected")
	}
	sk.envelope++
	id := fmt.Sprintf("env-%d", sk.envelope)
	return id, sk.conn.WriteJSON(map[string]any{"envelope_id": id, "type": typ, "payload": payload, "accepts_response_payload": typ != "events_api", "retry_attempt": 0})
}

// SocketDrop closes the client's connection, as a network failure would.
func (s *Server) SocketDrop() {
	sk := s.sock()
	sk.mu.Lock()
	defer sk.mu.Unlock()
	if sk.conn != nil {
		sk.conn.Close()
		sk.conn = nil
	}
}

// WaitSocket waits until cond holds of the acks received and the number of
// connections opened, or timeout; it reports whether it held.
func (s *Server) WaitSocket(timeout time.Duration, cond func(acks []map[string]any, connected bool) bool) bool {
	sk := s.sock()
	deadline := time.After(timeout)
	for {
		sk.mu.Lock()
		ok := cond(sk.acks, sk.conn != nil)
		ch := sk.changed
		sk.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}
