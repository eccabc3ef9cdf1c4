package maven

import (
	"container/list"
	"sync"
)

// DefaultMemoryBytes is the size of a Cached repository's in-process layer
// when Cached.MemoryBytes is 0.
const DefaultMemoryBytes = 32 << 20

// memory is an in-process LRU of values of released POMs (their bytes, or
// their parse), bounded in bytes: a replica that resolved a POM recently
// reads it without asking Postgres, or parsing it again.
type memory[V any] struct {
	mu   sync.Mutex
	max  int
	size int
	ll   *list.List
	m    map[string]*list.Element
}

type memEntry[V any] struct {
	key  string
	v    V
	size int
}

func newMemory[V any](max int) *memory[V] {
	return &memory[V]{max: max, ll: list.New(), m: map[string]*list.Element{}}
}

// get returns the value of key, if held.
func (c *memory[V]) get(key string) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok {
		var zero V
		return zero, false
	}
	c.ll.MoveToFront(e)
	return e.Value.(*memEntry[V]).v, true
}

// put holds v, of size bytes, as key's value, dropping the least recently
// used past max.
func (c *memory[V]) put(key string, v V, size int) {
	if size > c.max {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; ok {
		return
	}
	c.m[key] = c.ll.PushFront(&memEntry[V]{key: key, v: v, size: size})
	c.size += size
	for c.size > c.max {
		last := c.ll.Back()
		ent := last.Value.(*memEntry[V])
		c.ll.Remove(last)
		delete(c.m, ent.key)
		c.size -= ent.size
	}
}
