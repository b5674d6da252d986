package auth_test

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// countingDirectory is a directory of a few people that counts the lookups of each id. answer,
// when set, answers instead of the table, with the lookup's number for that id (from 1): to
// block, fail or panic.
type countingDirectory struct {
	mu     sync.Mutex
	people map[string]domain.Account
	calls  map[string]int
	answer func(ctx context.Context, id string, call int) (domain.Account, error)
}

var _ auth.Directory = (*countingDirectory)(nil)

func newCountingDirectory() *countingDirectory {
	people := map[string]domain.Account{}
	for _, id := range []string{"finance-1", "security-1", "hr-1"} {
		people[id] = domain.Account{ID: id, DisplayName: id, Roles: []domain.Role{domain.Role(id[:len(id)-2])}, Office: "HQ"}
	}
	return &countingDirectory{people: people, calls: map[string]int{}}
}

func (d *countingDirectory) Person(ctx context.Context, id string) (domain.Account, error) {
	d.mu.Lock()
	d.calls[id]++
	call, answer := d.calls[id], d.answer
	person, ok := d.people[id]
	d.mu.Unlock()
	if answer != nil {
		return answer(ctx, id, call)
	}
	if !ok {
		return domain.Account{}, &domain.Error{Code: domain.CodeNotFound, Message: id + " is not a user"}
	}
	person.Roles = slices.Clone(person.Roles)
	return person, nil
}

// lookups is how many times id was looked up.
func (d *countingDirectory) lookups(id string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[id]
}

// testClock is a clock the test moves, safe for concurrent use.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newCache(t testing.TB, directory auth.Directory, options auth.CacheOptions) (*auth.CachedDirectory, *testClock) {
	t.Helper()
	clock := &testClock{now: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	if options.Now == nil {
		options.Now = clock.Now
	}
	cache, err := auth.NewCachedDirectory(directory, options)
	if err != nil {
		t.Fatal(err)
	}
	return cache, clock
}

// waitForWaiters polls until n requests wait for the lookup of id, or fails at the deadline.
func waitForWaiters(t *testing.T, cache *auth.CachedDirectory, id string, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for cache.Waiting(id) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests wait for %s, want %d", cache.Waiting(id), id, n)
		}
		runtime.Gosched()
	}
}

// A person found is kept for the TTL (the default, a minute), "not a user" for the shorter
// not-found TTL (ten seconds); each expires exactly at its end and is looked up again.
func TestCachedDirectoryKeepsAnswersForTheirTTL(t *testing.T) {
	directory := newCountingDirectory()
	cache, clock := newCache(t, directory, auth.CacheOptions{})
	for i, step := range []struct {
		advance     time.Duration
		id          string
		wantLookups int
		wantCode    domain.ErrorCode
	}{
		{0, "finance-1", 1, ""},
		{0, "finance-1", 1, ""},
		{0, "finance-9", 1, domain.CodeNotFound},
		{0, "finance-9", 1, domain.CodeNotFound},
		{10*time.Second - time.Nanosecond, "finance-9", 1, domain.CodeNotFound},
		{time.Nanosecond, "finance-9", 2, domain.CodeNotFound}, // ten seconds after the first
		{0, "finance-9", 2, domain.CodeNotFound},
		{50*time.Second - time.Nanosecond, "finance-1", 1, ""},
		{time.Nanosecond, "finance-1", 2, ""}, // a minute after the first
		{30 * time.Second, "finance-1", 2, ""},
	} {
		clock.Advance(step.advance)
		account, err := cache.Person(context.Background(), step.id)
		if got := directory.lookups(step.id); got != step.wantLookups {
			t.Fatalf("step %d (%s): %d lookups, want %d", i, step.id, got, step.wantLookups)
		}
		if code := domain.CodeOf(err); step.wantCode != "" && code != step.wantCode || step.wantCode == "" && err != nil {
			t.Fatalf("step %d (%s): error %v, want code %q", i, step.id, err, step.wantCode)
		}
		if step.wantCode == "" && (account.ID != step.id || !slices.Equal(account.Roles, []domain.Role{domain.RoleFinance})) {
			t.Fatalf("step %d: %+v", i, account)
		}
		if step.wantCode == domain.CodeNotFound && domain.MessageOf(err) != "finance-9 is not a user" {
			t.Fatalf("step %d: message %q", i, domain.MessageOf(err))
		}
	}
}

// Configured TTLs replace the defaults; a negative not-found TTL keeps no "not a user".
func TestCachedDirectoryTakesItsTTLs(t *testing.T) {
	directory := newCountingDirectory()
	cache, clock := newCache(t, directory, auth.CacheOptions{TTL: 5 * time.Second, NotFoundTTL: -1})
	for range 3 {
		if _, err := cache.Person(context.Background(), "nobody"); domain.CodeOf(err) != domain.CodeNotFound {
			t.Fatalf("nobody: %v", err)
		}
	}
	if got := directory.lookups("nobody"); got != 3 {
		t.Fatalf("not-found answers kept with a negative TTL: %d lookups, want 3", got)
	}
	for _, advance := range []time.Duration{0, 4 * time.Second, time.Second} {
		clock.Advance(advance)
		if _, err := cache.Person(context.Background(), "hr-1"); err != nil {
			t.Fatal(err)
		}
	}
	if got := directory.lookups("hr-1"); got != 2 {
		t.Fatalf("hr-1 looked up %d times over 5 s with a 5 s TTL, want 2", got)
	}
}

// Errors other than not_found (throttling, a failure, a cancelled lookup) are never kept: the
// next request asks again, and the answer that finally comes is kept.
func TestCachedDirectoryNeverKeepsOtherErrors(t *testing.T) {
	directory := newCountingDirectory()
	failures := []error{
		&domain.Error{Code: domain.CodeUnavailable, Message: "the user directory is busy; retry later"},
		fmt.Errorf("cognito directory: read the user: %w", errors.New("connection reset")),
		context.DeadlineExceeded,
	}
	directory.answer = func(_ context.Context, id string, call int) (domain.Account, error) {
		if call <= len(failures) {
			return domain.Account{}, failures[call-1]
		}
		return domain.Account{ID: id, Roles: []domain.Role{domain.RoleSecurity}}, nil
	}
	cache, _ := newCache(t, directory, auth.CacheOptions{})
	for i, want := range failures {
		if _, err := cache.Person(context.Background(), "security-1"); !errors.Is(err, want) {
			t.Fatalf("call %d: %v, want %v", i+1, err, want)
		}
	}
	for range 3 {
		if account, err := cache.Person(context.Background(), "security-1"); err != nil || account.ID != "security-1" {
			t.Fatalf("after the failures: %+v %v", account, err)
		}
	}
	if got := directory.lookups("security-1"); got != len(failures)+1 {
		t.Fatalf("%d lookups, want %d (each failure asked again, the answer kept)", got, len(failures)+1)
	}
}

// A full cache drops its oldest entry to keep a new one.
func TestCachedDirectoryDropsTheOldestWhenFull(t *testing.T) {
	directory := newCountingDirectory()
	cache, _ := newCache(t, directory, auth.CacheOptions{MaxEntries: 2})
	ask := func(ids ...string) {
		t.Helper()
		for _, id := range ids {
			if _, err := cache.Person(context.Background(), id); err != nil {
				t.Fatal(err)
			}
		}
	}
	ask("finance-1", "security-1", "hr-1") // finance-1 goes to make room for hr-1
	ask("security-1", "hr-1")
	if got := []int{directory.lookups("finance-1"), directory.lookups("security-1"), directory.lookups("hr-1")}; !slices.Equal(got, []int{1, 1, 1}) {
		t.Fatalf("lookups %v, want each once", got)
	}
	ask("finance-1") // asked again; security-1, now the oldest, goes
	ask("hr-1", "finance-1")
	ask("security-1")
	if got := []int{directory.lookups("finance-1"), directory.lookups("security-1"), directory.lookups("hr-1")}; !slices.Equal(got, []int{2, 2, 1}) {
		t.Fatalf("lookups %v, want [2 2 1]", got)
	}
}

// A caller that changes the roles it got changes nothing kept.
func TestCachedDirectoryAnswersCopies(t *testing.T) {
	cache, _ := newCache(t, newCountingDirectory(), auth.CacheOptions{})
	first, _ := cache.Person(context.Background(), "finance-1")
	first.Roles[0] = domain.RoleAdmin
	second, _ := cache.Person(context.Background(), "finance-1")
	if !slices.Equal(second.Roles, []domain.Role{domain.RoleFinance}) {
		t.Fatalf("the kept roles changed: %v", second.Roles)
	}
}

func TestNewCachedDirectoryRefusesBadOptions(t *testing.T) {
	for _, c := range []struct {
		name      string
		directory auth.Directory
		options   auth.CacheOptions
		ok        bool
	}{
		{"defaults", newCountingDirectory(), auth.CacheOptions{}, true},
		{"no directory", nil, auth.CacheOptions{}, false},
		{"negative TTL", newCountingDirectory(), auth.CacheOptions{TTL: -time.Second}, false},
		{"negative size", newCountingDirectory(), auth.CacheOptions{MaxEntries: -1}, false},
		{"no not-found entries", newCountingDirectory(), auth.CacheOptions{NotFoundTTL: -1}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := auth.NewCachedDirectory(c.directory, c.options); (err == nil) != c.ok {
				t.Fatalf("error %v, want ok %v", err, c.ok)
			}
		})
	}
}

// In front of the Cognito directory, a person asked about twice costs the user pool one
// AdminGetUser and one AdminListGroupsForUser, not two of each.
func TestCachedDirectorySparesCognito(t *testing.T) {
	fake := newFakeCognito()
	cognito, err := auth.NewCognitoDirectory(fake, fake.pool)
	if err != nil {
		t.Fatal(err)
	}
	cache, _ := newCache(t, cognito, auth.CacheOptions{})
	for range 2 {
		account, err := cache.Person(context.Background(), "finance-2")
		if err != nil || account.ID != "finance-2" || !slices.Equal(account.Roles, []domain.Role{domain.RoleFinance, domain.RoleSecurity}) {
			t.Fatalf("finance-2: %+v %v", account, err)
		}
	}
	if len(fake.calls) != 3 { // one AdminGetUser, AdminListGroupsForUser in two pages
		t.Fatalf("Cognito calls %q, want one lookup", fake.calls)
	}
}

// Many goroutines asking about one person nobody has looked up yet make one lookup and all get
// its answer.
func TestCachedDirectoryConcurrentMissesMakeOneLookup(t *testing.T) {
	directory := newCountingDirectory()
	release := make(chan struct{})
	directory.answer = func(_ context.Context, id string, _ int) (domain.Account, error) {
		<-release
		return domain.Account{ID: id, Roles: []domain.Role{domain.RoleSecurity}, Office: "KE"}, nil
	}
	cache, _ := newCache(t, directory, auth.CacheOptions{})
	const requests = 64
	accounts := make([]domain.Account, requests)
	errs := make([]error, requests)
	var wg sync.WaitGroup
	for i := range requests {
		wg.Go(func() { accounts[i], errs[i] = cache.Person(context.Background(), "security-2") })
	}
	// One goroutine is looking up, every other one waits for its answer.
	waitForWaiters(t, cache, "security-2", requests-1)
	close(release)
	wg.Wait()
	if got := directory.lookups("security-2"); got != 1 {
		t.Fatalf("%d lookups, want 1", got)
	}
	for i := range requests {
		if errs[i] != nil || accounts[i].ID != "security-2" || accounts[i].Office != "KE" || !slices.Equal(accounts[i].Roles, []domain.Role{domain.RoleSecurity}) {
			t.Fatalf("request %d: %+v %v", i, accounts[i], errs[i])
		}
	}
	// Each got its own copy of the roles.
	accounts[0].Roles[0] = domain.RoleAdmin
	if accounts[1].Roles[0] != domain.RoleSecurity {
		t.Fatal("two requests share one roles slice")
	}
}

// A request waiting for another's lookup whose own context ends returns at once with its
// context's error; the lookup goes on and its answer is kept.
func TestCachedDirectoryWaiterLeavesWithItsContext(t *testing.T) {
	directory := newCountingDirectory()
	release := make(chan struct{})
	directory.answer = func(_ context.Context, id string, _ int) (domain.Account, error) {
		<-release
		return domain.Account{ID: id}, nil
	}
	cache, _ := newCache(t, directory, auth.CacheOptions{})
	first := make(chan error, 1)
	go func() {
		_, err := cache.Person(context.Background(), "hr-2")
		first <- err
	}()
	// Wait until the first request is looking up (its lookup is registered), then join it.
	deadline := time.Now().Add(10 * time.Second)
	for directory.lookups("hr-2") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the first lookup never started")
		}
		runtime.Gosched()
	}
	ctx, cancel := context.WithCancel(context.Background())
	second := make(chan error, 1)
	go func() {
		_, err := cache.Person(ctx, "hr-2")
		second <- err
	}()
	waitForWaiters(t, cache, "hr-2", 1)
	cancel()
	if err := <-second; !errors.Is(err, context.Canceled) {
		t.Fatalf("the waiter whose context ended: %v", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if _, err := cache.Person(context.Background(), "hr-2"); err != nil || directory.lookups("hr-2") != 1 {
		t.Fatalf("after: %v, %d lookups", err, directory.lookups("hr-2"))
	}
}

// When the request that looks up is cancelled, a request that waited for it and is still wanted
// asks again rather than failing with another request's cancellation.
func TestCachedDirectoryWaiterOutlivesACancelledLookup(t *testing.T) {
	directory := newCountingDirectory()
	started := make(chan struct{})
	directory.answer = func(ctx context.Context, id string, call int) (domain.Account, error) {
		if call == 1 {
			close(started)
			<-ctx.Done()
			return domain.Account{}, fmt.Errorf("cognito directory: read the user %q: %w", id, ctx.Err())
		}
		return domain.Account{ID: id, Roles: []domain.Role{domain.RoleFinance}}, nil
	}
	cache, _ := newCache(t, directory, auth.CacheOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := cache.Person(ctx, "finance-3")
		first <- err
	}()
	<-started
	type answer struct {
		account domain.Account
		err     error
	}
	second := make(chan answer, 1)
	go func() {
		account, err := cache.Person(context.Background(), "finance-3")
		second <- answer{account, err}
	}()
	waitForWaiters(t, cache, "finance-3", 1)
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled request: %v", err)
	}
	if got := <-second; got.err != nil || got.account.ID != "finance-3" {
		t.Fatalf("the waiting request: %+v %v", got.account, got.err)
	}
	if got := directory.lookups("finance-3"); got != 2 {
		t.Fatalf("%d lookups, want 2 (the cancelled one and the waiter's own)", got)
	}
}

// A directory that panics does not leave the requests waiting for its answer blocked: they get
// an error, nothing is kept, and the next request looks up again.
func TestCachedDirectorySurvivesAPanickingDirectory(t *testing.T) {
	directory := newCountingDirectory()
	release := make(chan struct{})
	directory.answer = func(_ context.Context, id string, call int) (domain.Account, error) {
		if call == 1 {
			<-release
			panic("directory broke")
		}
		return domain.Account{ID: id}, nil
	}
	cache, _ := newCache(t, directory, auth.CacheOptions{})
	panicked := make(chan any, 1)
	go func() {
		defer func() { panicked <- recover() }()
		_, _ = cache.Person(context.Background(), "senior-1")
	}()
	deadline := time.Now().Add(10 * time.Second)
	for directory.lookups("senior-1") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the lookup never started")
		}
		runtime.Gosched()
	}
	waiter := make(chan error, 1)
	go func() {
		_, err := cache.Person(context.Background(), "senior-1")
		waiter <- err
	}()
	waitForWaiters(t, cache, "senior-1", 1)
	close(release)
	if v := <-panicked; v != "directory broke" {
		t.Fatalf("the looking-up request's panic: %v", v)
	}
	if err := <-waiter; err == nil || domain.CodeOf(err) == domain.CodeNotFound {
		t.Fatalf("the waiter: %v", err)
	}
	if account, err := cache.Person(context.Background(), "senior-1"); err != nil || account.ID != "senior-1" || directory.lookups("senior-1") != 2 {
		t.Fatalf("after the panic: %+v %v, %d lookups", account, err, directory.lookups("senior-1"))
	}
}

// Many goroutines ask about many people through a small cache while the clock moves past the
// TTLs: every answer is the person asked about (or their not_found), whatever was evicted or
// expired meanwhile. Run with -race.
func TestCachedDirectoryUnderConcurrentLoad(t *testing.T) {
	directory := newCountingDirectory()
	directory.answer = func(_ context.Context, id string, _ int) (domain.Account, error) {
		if id[0] == 'x' {
			return domain.Account{}, &domain.Error{Code: domain.CodeNotFound, Message: id + " is not a user"}
		}
		return domain.Account{ID: id, Roles: []domain.Role{domain.RoleHR, domain.RoleFinance}, Office: id}, nil
	}
	cache, clock := newCache(t, directory, auth.CacheOptions{TTL: 3 * time.Second, NotFoundTTL: time.Second, MaxEntries: 16})
	ids := make([]string, 48)
	for i := range ids {
		ids[i] = fmt.Sprintf("person-%02d", i)
		if i%4 == 0 {
			ids[i] = fmt.Sprintf("x-%02d", i)
		}
	}
	const workers, rounds = 16, 400
	failures := make(chan string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for r := range rounds {
				if w == 0 && r%10 == 0 {
					clock.Advance(500 * time.Millisecond)
				}
				id := ids[(w*7+r*13)%len(ids)]
				account, err := cache.Person(context.Background(), id)
				if id[0] == 'x' {
					if domain.CodeOf(err) != domain.CodeNotFound || domain.MessageOf(err) != id+" is not a user" {
						failures <- fmt.Sprintf("%s: %v", id, err)
						return
					}
					continue
				}
				if err != nil || account.ID != id || account.Office != id || !slices.Equal(account.Roles, []domain.Role{domain.RoleHR, domain.RoleFinance}) {
					failures <- fmt.Sprintf("%s: %+v %v", id, account, err)
					return
				}
				account.Roles[0] = domain.RoleAdmin // a copy of its own, which the race detector checks
			}
		})
	}
	wg.Wait()
	close(failures)
	for failure := range failures {
		t.Error(failure)
	}
	total := 0
	for _, id := range ids {
		total += directory.lookups(id)
	}
	if total == 0 || total >= workers*rounds {
		t.Fatalf("%d lookups for %d requests: the cache answered none", total, workers*rounds)
	}
}

// BenchmarkCachedDirectoryHit is a request answered from memory, from every core at once.
func BenchmarkCachedDirectoryHit(b *testing.B) {
	cache, err := auth.NewCachedDirectory(newCountingDirectory(), auth.CacheOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := cache.Person(context.Background(), "finance-1"); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := cache.Person(context.Background(), "finance-1"); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
