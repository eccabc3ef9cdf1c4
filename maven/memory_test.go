package maven

import "testing"

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	m := newMemory[[]byte](10)
	m.put("a", []byte("1234"), 4)
	m.put("b", []byte("1234"), 4)
	m.get("a") // b is now the least recently used
	m.put("c", []byte("1234"), 4)
	m.put("huge", []byte("12345678901"), 11)
	tests := []struct {
		key  string
		held bool
	}{{"a", true}, {"b", false}, {"c", true}, {"huge", false}}
	for _, tt := range tests {
		if _, ok := m.get(tt.key); ok != tt.held {
			t.Errorf("%s: got held %v, want %v", tt.key, ok, tt.held)
		}
	}
	if m.size != 8 {
		t.Errorf("got size %d, want 8", m.size)
	}
}
