package maven

import (
	"container/list"
	"sync"
)

// DefaultMemoryBytes is the size of a Cached repository's in-process layer
// when Cached.MemoryBytes is 0.
const DefaultMemoryBytes = 32 << 20

// memory is an in-process LRU of released POMs, bounded in bytes: a
// replica that resolved a POM recently reads it without asking Postgres.
type memory struct {
	mu   sync.Mutex
	max  int
	size int
	ll   *list.List
	m    map[string]*list.Element
}

type memEntry struct {
	key  string
	data []byte
}

func newMemory(max int) *memory {
	return &memory{max: max, ll: list.New(), m: map[string]*list.Element{}}
}

// get returns the POM of key, if held.
func (c *memory) get(key string) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(e)
	return e.Value.(*memEntry).data, true
}

// put holds the POM of key, dropping the least recently used past max.
func (c *memory) put(key string, data []byte) {
	if len(data) > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	c.m[key] = c.ll.PushFront(&memEntry{key: key, data: data})
	c.size += len(data)
	for c.size > c.max {
		last := c.ll.Back()
		ent := last.Value.(*memEntry)
		c.ll.Remove(last)
		delete(c.m, ent.key)
		c.size -= len(ent.data)
	}
}
