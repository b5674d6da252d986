// Package clock is the one source of time for the engine. Every timer the engine arms (Wait
// states, task and heartbeat timeouts, retry intervals, execution timeouts) goes through a Clock,
// so that production code runs on the wall clock and tests move a Fake clock forward instead of
// sleeping.
package clock

import (
	"sort"
	"sync"
	"time"
)

// Clock tells the time and arms timers.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine once d has elapsed (at once when d <= 0), unless
	// the returned Timer is stopped first.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending call armed with AfterFunc.
type Timer interface {
	// Stop prevents the call from happening. It reports whether it did so: false when the
	// call has already fired or the timer was already stopped.
	Stop() bool
}

// Real is the wall clock.
type Real struct{}

var _ Clock = Real{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Fake is a clock that only moves when told to. Advance and Set fire every timer that falls
// due, in order of due time (ties in order of creation), synchronously in the caller's
// goroutine, so that a test knows every due callback has run when Advance returns.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	timers  map[*fakeTimer]struct{}
	changed chan struct{} // closed and replaced whenever the set of pending timers changes
}

var _ Clock = (*Fake)(nil)

// NewFake returns a Fake clock that reads start.
func NewFake(start time.Time) *Fake {
	return &Fake{now: start, timers: map[*fakeTimer]struct{}{}, changed: make(chan struct{})}
}

type fakeTimer struct {
	clock *Fake
	due   time.Time
	seq   uint64
	f     func()
}

// Now returns the clock's current reading.
func (c *Fake) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc arms a timer that fires when the clock has been advanced by d. A timer with
// d <= 0 fires on the next Advance (even Advance(0)), never from inside AfterFunc, so that
// callers holding locks cannot deadlock on their own callback.
func (c *Fake) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &fakeTimer{clock: c, due: c.now.Add(d), seq: c.seq, f: f}
	c.timers[t] = struct{}{}
	c.notifyLocked()
	return t
}

func (t *fakeTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.timers[t]; !ok {
		return false
	}
	delete(c.timers, t)
	c.notifyLocked()
	return true
}

func (c *Fake) notifyLocked() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance moves the clock forward by d, firing every timer that falls due on the way. Each
// timer fires with the clock reading its due time. Timers armed by a firing callback fire too
// if they fall due within the advance.
func (c *Fake) Advance(d time.Duration) {
	c.mu.Lock()
	target := c.now.Add(d)
	c.mu.Unlock()
	c.Set(target)
}

// Set moves the clock to t (never backwards), firing due timers as Advance does.
func (c *Fake) Set(t time.Time) {
	for {
		c.mu.Lock()
		next := c.nextDueLocked(t)
		if next == nil {
			if t.After(c.now) {
				c.now = t
			}
			c.mu.Unlock()
			return
		}
		delete(c.timers, next)
		if next.due.After(c.now) {
			c.now = next.due
		}
		c.notifyLocked()
		c.mu.Unlock()
		next.f()
	}
}

func (c *Fake) nextDueLocked(limit time.Time) *fakeTimer {
	var best *fakeTimer
	for t := range c.timers {
		if t.due.After(limit) {
			continue
		}
		if best == nil || t.due.Before(best.due) || (t.due.Equal(best.due) && t.seq < best.seq) {
			best = t
		}
	}
	return best
}

// Pending returns the due times of the timers not yet fired or stopped, earliest first.
func (c *Fake) Pending() []time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]time.Time, 0, len(c.timers))
	for t := range c.timers {
		out = append(out, t.due)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Before(out[j]) })
	return out
}

// WaitForTimers blocks until at least n timers are pending or the deadline passes (measured on
// the wall clock, since the fake one does not move by itself); it reports whether n were
// reached. Tests use it to know that the code under test has armed its timers before they
// advance the clock.
func (c *Fake) WaitForTimers(n int, deadline time.Duration) bool {
	limit := time.After(deadline)
	for {
		c.mu.Lock()
		count := len(c.timers)
		changed := c.changed
		c.mu.Unlock()
		if count >= n {
			return true
		}
		select {
		case <-changed:
		case <-limit:
			return false
		}
	}
}
