package auth

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/fasttrack/fasttrack/shared/domain"
)

// Directory tells who a person is by the id others know them by. AccountDirectory,
// CognitoDirectory and CachedDirectory are directories.
type Directory interface {
	// Person returns the person with that id; a not_found error (domain.CodeNotFound) if there
	// is none.
	Person(ctx context.Context, id string) (domain.Account, error)
}

var (
	_ Directory = AccountDirectory{}
	_ Directory = (*CognitoDirectory)(nil)
	_ Directory = (*CachedDirectory)(nil)
)

// The cache's defaults.
const (
	// DefaultCacheTTL is how long a person found is answered from memory: a role taken away in
	// the user pool counts within a minute.
	DefaultCacheTTL = 60 * time.Second
	// DefaultNotFoundTTL is how long "not a user" is answered from memory: shorter, so that a
	// person an administrator has just added (or re-enabled) is found soon.
	DefaultNotFoundTTL = 10 * time.Second
	// DefaultCacheEntries is how many ids the cache keeps.
	DefaultCacheEntries = 1000
)

// CacheOptions are a CachedDirectory's settings; the zero value takes every default.
type CacheOptions struct {
	// TTL is how long a person found is kept; DefaultCacheTTL when zero.
	TTL time.Duration
	// NotFoundTTL is how long a not_found answer is kept; DefaultNotFoundTTL when zero, and
	// never kept when negative.
	NotFoundTTL time.Duration
	// MaxEntries bounds the ids kept; when it is reached the oldest entry goes.
	// DefaultCacheEntries when zero.
	MaxEntries int
	// Now is the clock; time.Now when nil. Tests move it past the TTLs.
	Now func() time.Time
}

// CachedDirectory answers from memory what another directory said a short while ago. Checking
// a delegation or a reassignment asks about one or two people, and the Cognito directory makes
// two calls per person, which count against the user pool's request quota shared with every
// sign-in. People found are kept for TTL, "not a user" for the shorter NotFoundTTL; any other
// error (throttling, a network failure, a cancelled request) is never kept, so the next
// request asks again. Concurrent requests about one id that is not kept make one lookup and
// share its answer. It is safe for concurrent use.
type CachedDirectory struct {
	directory   Directory
	ttl         time.Duration
	notFoundTTL time.Duration
	maxEntries  int
	now         func() time.Time

	mu sync.Mutex
	// entries index order's elements (each a *cacheEntry) by id; order holds them oldest
	// first, so the oldest is the first to go when the cache is full.
	entries map[string]*list.Element
	order   *list.List
	// lookups are the lookups under way, by id.
	lookups map[string]*lookup
}

// cacheEntry is one answer kept: a person, or a not_found error.
type cacheEntry struct {
	id      string
	account domain.Account
	err     error
	expires time.Time
}

// lookup is a call to the directory under way, whose answer every request for the id shares.
type lookup struct {
	// done is closed once account and err are set.
	done    chan struct{}
	account domain.Account
	err     error
	// waiters counts the requests that joined the lookup instead of making their own.
	waiters int
}

// errLookupPanicked is the answer of the requests that shared a lookup whose directory
// panicked; the request that made the call gets the panic itself.
var errLookupPanicked = errors.New("auth: the directory failed while looking the person up")

// NewCachedDirectory returns directory behind a cache with the options.
func NewCachedDirectory(directory Directory, options CacheOptions) (*CachedDirectory, error) {
	if directory == nil {
		return nil, errors.New("auth: the cached directory needs a directory")
	}
	if options.TTL < 0 {
		return nil, fmt.Errorf("auth: the cache's TTL must not be negative (got %s)", options.TTL)
	}
	if options.MaxEntries < 0 {
		return nil, fmt.Errorf("auth: the cache's MaxEntries must not be negative (got %d)", options.MaxEntries)
	}
	c := &CachedDirectory{directory: directory, ttl: options.TTL, notFoundTTL: options.NotFoundTTL, maxEntries: options.MaxEntries,
		now: options.Now, entries: map[string]*list.Element{}, order: list.New(), lookups: map[string]*lookup{}}
	if c.ttl == 0 {
		c.ttl = DefaultCacheTTL
	}
	if c.notFoundTTL == 0 {
		c.notFoundTTL = DefaultNotFoundTTL
	}
	if c.maxEntries == 0 {
		c.maxEntries = DefaultCacheEntries
	}
	if c.now == nil {
		c.now = time.Now
	}
	return c, nil
}

// Person returns the person with that id as the directory answered within the TTLs, or asks
// it: once for all the requests about that id at that moment. A request whose context ends
// while it waits for another's lookup returns the context's error; one whose lookup was
// cancelled by the other request's context asks again.
func (c *CachedDirectory) Person(ctx context.Context, id string) (domain.Account, error) {
	for {
		c.mu.Lock()
		if entry := c.kept(id); entry != nil {
			c.mu.Unlock()
			return cloneAccount(entry.account), entry.err
		}
		if pending, ok := c.lookups[id]; ok {
			pending.waiters++
			c.mu.Unlock()
			select {
			case <-pending.done:
			case <-ctx.Done():
				return domain.Account{}, ctx.Err()
			}
			if ctx.Err() == nil && (errors.Is(pending.err, context.Canceled) || errors.Is(pending.err, context.DeadlineExceeded)) {
				// The request that asked has gone; this one has not, so it asks itself.
				continue
			}
			return cloneAccount(pending.account), pending.err
		}
		pending := &lookup{done: make(chan struct{})}
		c.lookups[id] = pending
		c.mu.Unlock()
		return c.lookUp(ctx, id, pending)
	}
}

// lookUp asks the directory and hands the answer to the requests waiting for it. A panicking
// directory still releases them (with errLookupPanicked) before the panic goes on up.
func (c *CachedDirectory) lookUp(ctx context.Context, id string, pending *lookup) (domain.Account, error) {
	answered := false
	defer func() {
		if !answered {
			c.finish(id, pending, domain.Account{}, errLookupPanicked)
		}
	}()
	account, err := c.directory.Person(ctx, id)
	answered = true
	c.finish(id, pending, account, err)
	return cloneAccount(account), err
}

// finish keeps the answer if it may be kept, ends the lookup and wakes its waiters.
func (c *CachedDirectory) finish(id string, pending *lookup, account domain.Account, err error) {
	c.mu.Lock()
	delete(c.lookups, id)
	var ttl time.Duration
	switch {
	case err == nil:
		ttl = c.ttl
	case domain.CodeOf(err) == domain.CodeNotFound:
		ttl = c.notFoundTTL
	}
	if ttl > 0 {
		c.keep(&cacheEntry{id: id, account: cloneAccount(account), err: err, expires: c.now().Add(ttl)})
	}
	c.mu.Unlock()
	pending.account, pending.err = account, err
	close(pending.done)
}

// kept returns the entry kept for id if it has not expired (nil otherwise), and drops an
// expired one. The caller holds mu.
func (c *CachedDirectory) kept(id string) *cacheEntry {
	element, ok := c.entries[id]
	if !ok {
		return nil
	}
	entry := element.Value.(*cacheEntry)
	if !c.now().Before(entry.expires) {
		c.order.Remove(element)
		delete(c.entries, id)
		return nil
	}
	return entry
}

// keep stores the entry as the newest, making room by dropping the oldest. The caller holds
// mu.
func (c *CachedDirectory) keep(entry *cacheEntry) {
	if old, ok := c.entries[entry.id]; ok {
		c.order.Remove(old)
		delete(c.entries, entry.id)
	}
	for c.order.Len() >= c.maxEntries {
		oldest := c.order.Front()
		c.order.Remove(oldest)
		delete(c.entries, oldest.Value.(*cacheEntry).id)
	}
	c.entries[entry.id] = c.order.PushBack(entry)
}

// cloneAccount copies the account's roles, so that no caller changes what the cache keeps or
// what another caller got.
func cloneAccount(account domain.Account) domain.Account {
	account.Roles = slices.Clone(account.Roles)
	return account
}
