package auth

// Waiting is how many requests wait for the lookup of id under way (0 when there is none), so
// that a test can release a lookup once every goroutine it started has joined it.
func (c *CachedDirectory) Waiting(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if pending, ok := c.lookups[id]; ok {
		return pending.waiters
	}
	return 0
}
