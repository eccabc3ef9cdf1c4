package catalog

// GraphState returns the cache's generation (bumped by every change
// notification) and whether it holds the service graph read at that
// generation.
func (c *Cache) GraphState() (gen uint64, current bool) {
	c.mu.RLock()
	gen = c.gen
	c.mu.RUnlock()
	c.graph.mu.Lock()
	defer c.graph.mu.Unlock()
	return gen, c.graph.g != nil && c.graph.gen == gen
}

// GraphLoads returns how many times the cache has started reading the
// service graph.
func (c *Cache) GraphLoads() int64 { return c.graph.loaded.Load() }
