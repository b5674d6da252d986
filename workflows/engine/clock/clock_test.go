package clock

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func TestFakeFiresDueTimersInOrder(t *testing.T) {
	c := NewFake(epoch)
	var fired []string
	var at []time.Time
	record := func(name string) func() {
		return func() { fired = append(fired, name); at = append(at, c.Now()) }
	}
	c.AfterFunc(3*time.Second, record("c"))
	c.AfterFunc(1*time.Second, record("a"))
	c.AfterFunc(2*time.Second, record("b1"))
	c.AfterFunc(2*time.Second, record("b2"))
	c.AfterFunc(10*time.Second, record("late"))

	c.Advance(3 * time.Second)
	want := []string{"a", "b1", "b2", "c"}
	if len(fired) != len(want) {
		t.Fatalf("fired %v, want %v", fired, want)
	}
	for i := range want {
		if fired[i] != want[i] {
			t.Fatalf("fired %v, want %v", fired, want)
		}
	}
	if !at[0].Equal(epoch.Add(time.Second)) || !at[3].Equal(epoch.Add(3*time.Second)) {
		t.Fatalf("timers saw times %v", at)
	}
	if got := c.Now(); !got.Equal(epoch.Add(3 * time.Second)) {
		t.Fatalf("Now() = %v after Advance", got)
	}
	if p := c.Pending(); len(p) != 1 || !p[0].Equal(epoch.Add(10*time.Second)) {
		t.Fatalf("Pending() = %v", p)
	}
}

func TestFakeStop(t *testing.T) {
	c := NewFake(epoch)
	var n int
	timer := c.AfterFunc(time.Second, func() { n++ })
	if !timer.Stop() {
		t.Fatal("Stop of a pending timer returned false")
	}
	if timer.Stop() {
		t.Fatal("second Stop returned true")
	}
	c.Advance(time.Hour)
	if n != 0 {
		t.Fatal("stopped timer fired")
	}
	fired := c.AfterFunc(time.Second, func() { n++ })
	c.Advance(time.Second)
	if fired.Stop() {
		t.Fatal("Stop after firing returned true")
	}
	if n != 1 {
		t.Fatalf("fired %d times", n)
	}
}

func TestFakeTimerArmedByCallbackFiresWithinSameAdvance(t *testing.T) {
	c := NewFake(epoch)
	var chain []time.Time
	c.AfterFunc(time.Second, func() {
		chain = append(chain, c.Now())
		c.AfterFunc(time.Second, func() { chain = append(chain, c.Now()) })
	})
	c.Advance(5 * time.Second)
	if len(chain) != 2 || !chain[1].Equal(epoch.Add(2*time.Second)) {
		t.Fatalf("chain = %v", chain)
	}
}

func TestFakeZeroDelayWaitsForAdvance(t *testing.T) {
	c := NewFake(epoch)
	var n atomic.Int32
	c.AfterFunc(0, func() { n.Add(1) })
	if n.Load() != 0 {
		t.Fatal("zero-delay timer fired inside AfterFunc")
	}
	c.Advance(0)
	if n.Load() != 1 {
		t.Fatal("zero-delay timer did not fire on Advance(0)")
	}
}

func TestFakeWaitForTimers(t *testing.T) {
	c := NewFake(epoch)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c.AfterFunc(time.Minute, func() {})
		c.AfterFunc(time.Minute, func() {})
	}()
	if !c.WaitForTimers(2, 5*time.Second) {
		t.Fatal("WaitForTimers did not see two timers")
	}
	wg.Wait()
	if c.WaitForTimers(3, 10*time.Millisecond) {
		t.Fatal("WaitForTimers reported three timers")
	}
}

func TestRealClockFires(t *testing.T) {
	done := make(chan struct{})
	Real{}.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("real timer did not fire")
	}
	var real Clock = Real{}
	if !real.AfterFunc(time.Hour, func() {}).Stop() {
		t.Fatal("Stop of a pending real timer returned false")
	}
}
