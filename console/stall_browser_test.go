package console_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/chromedp/chromedp"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/internal/localstack"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/workflows/engine/clock"
)

// workflowRetries is how often every Task of the workflow retries a TransientError: a step
// stops the execution after 1 + workflowRetries failed attempts.
const workflowRetries = 4

// TransientError is what a table that keeps throttling looks like to the workflow: the Lambda
// runtime names an error after its type, and every Task retries "TransientError".
type TransientError struct {
	Message string `json:"message"`
}

func (e *TransientError) Error() string { return e.Message }

// failing stands between the local Lambda dispatcher and one workflow function
// (localstack.Options.WrapFunction): its first planned invocations fail with a TransientError
// before they reach the function, as a throttled table would make them fail.
type failing struct {
	mu      sync.Mutex
	handler lambda.Handler
	planned int
	calls   int
}

var _ lambda.Handler = (*failing)(nil)

// Invoke counts the call, fails it while failures are planned, and otherwise calls the
// function (one call at a time: a handler from lambda.NewHandler reuses its output buffer).
func (f *failing) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.planned > 0 {
		f.planned--
		return nil, &TransientError{Message: "insurance: the table throttled the request (injected fault)"}
	}
	out, err := f.handler.Invoke(ctx, payload)
	return append([]byte(nil), out...), err
}

func (f *failing) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// followShortTimers fires the fake clock's short timers (the workflow's retry intervals, at
// most ten minutes away) as they are armed, so that retries run at once; deadlines, hours away,
// stay untouched. It stops with the test.
func followShortTimers(t *testing.T, fake *clock.Fake) {
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
			}
			if pending := fake.Pending(); len(pending) > 0 && pending[0].Sub(fake.Now()) <= 10*time.Minute {
				fake.Set(pending[0])
			}
		}
	}()
	t.Cleanup(func() {
		close(done)
		<-finished
	})
}

// awaitStalled polls the API as an administrator until the activation's workflow has stopped.
func (s *stack) awaitStalled(id string) api.ActivationView {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var view api.ActivationView
		if status := s.call("admin-1", http.MethodGet, "/activations/"+id, nil, &view); status == http.StatusOK && view.Workflow != nil && view.Workflow.Stalled {
			return view
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("the workflow of %s did not stop", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestConsoleResumesAStalledActivation: the insurance check keeps failing on a throttled table
// beyond its retries, and the workflow stops. The office's page says that it stopped, when, at
// which step and why, in words, and still offers to cancel; only the administrator's page offers
// to resume it, with the technical detail. The administrator resumes it and the page follows
// the activation to ACTIVE.
func TestConsoleResumesAStalledActivation(t *testing.T) {
	fake := clock.NewFake(time.Now().UTC().Truncate(time.Millisecond))
	insurance := &failing{planned: 1 + workflowRetries}
	s := newStackWith(t, func(o *localstack.Options) {
		o.Clock = fake
		o.WrapFunction = func(name string, handler any) any {
			if name != "insurance" {
				return handler
			}
			insurance.handler = lambda.NewHandler(handler)
			return insurance
		}
	})
	followShortTimers(t, fake)
	var created domain.Activation
	if code := s.call("office-ke", http.MethodPost, "/activations", request("KE", "Nairobi", 1_000_000), &created); code != http.StatusCreated {
		t.Fatalf("POST /activations: %d", code)
	}
	stalled := s.awaitStalled(created.ID)
	if stalled.Status != domain.StatusInProgress || stalled.Workflow.Error != "TransientError" || len(stalled.Deployments) != 1 {
		t.Fatalf("stalled activation %s, workflow %+v, deployments %d", stalled.Status, stalled.Workflow, len(stalled.Deployments))
	}
	page := s.url + "/console/#/activations/" + created.ID
	browser := newBrowser(t)

	t.Run("the office sees that it stopped and why, and may cancel but not resume", func(t *testing.T) {
		tab := newTab(t, browser)
		signIn(t, s, tab, "office-ke")
		run(t, tab,
			chromedp.Navigate(page),
			chromedp.WaitVisible("#workflow-state", chromedp.ByQuery),
			until(`document.querySelector('#workflow-state').textContent.includes('Check cover')`),
		)
		shown := text(t, tab, `document.querySelector('#workflow-state').textContent`)
		for _, want := range []string{"The workflow has stopped", "kept failing", "retries ran out", "Stopped at", "Check cover",
			"Nothing is lost", "An administrator can resume it", "The office can still cancel it"} {
			if !strings.Contains(shown, want) {
				t.Errorf("the office's stopped panel lacks %q: %q", want, shown)
			}
		}
		if n := number(t, tab, `document.querySelectorAll('#workflow-state time').length`); n != 1 {
			t.Errorf("the stop time is shown %d times", n)
		}
		if n := number(t, tab, `document.querySelectorAll('#redrive-activation, #workflow-cause').length`); n != 0 {
			t.Errorf("the office sees %d resume buttons or technical details", n)
		}
		if n := number(t, tab, `document.querySelectorAll('#cancel-activation').length`); n != 1 {
			t.Errorf("the office sees %d cancel buttons on a stopped activation, want 1", n)
		}
		if got := text(t, tab, `document.querySelector('#workflow-summary').textContent`); got != "Stopped" {
			t.Errorf("the summary says the workflow is %q", got)
		}
		screenshotView(t, tab, "18-stopped-office")
	})

	t.Run("the administrator resumes it and the page follows it to ACTIVE", func(t *testing.T) {
		tab := newTab(t, browser)
		signIn(t, s, tab, "admin-1")
		run(t, tab,
			chromedp.Navigate(page),
			chromedp.WaitVisible("#redrive-activation", chromedp.ByQuery),
		)
		if got := text(t, tab, `document.querySelector('#workflow-cause pre').textContent`); !strings.Contains(got, "injected fault") {
			t.Errorf("the technical detail is %q", got)
		}
		if shown := text(t, tab, `document.querySelector('#workflow-state').textContent`); !strings.Contains(shown, "Resume it to run the step that stopped again") ||
			!strings.Contains(shown, "TransientError") {
			t.Errorf("the administrator's stopped panel: %q", shown)
		}
		if n := number(t, tab, `document.querySelectorAll('#cancel-activation').length`); n != 0 {
			t.Errorf("the administrator sees %d cancel buttons", n)
		}
		checkLabels(t, tab, "stopped activation")
		screenshotView(t, tab, "19-stopped-admin")
		run(t, tab,
			chromedp.Click("#redrive-activation", chromedp.ByQuery),
			until(`document.querySelector('#activation-status').textContent === 'Active'`),
			until(`document.querySelector('#workflow-state').hidden`),
		)
		if got := text(t, tab, `document.querySelector('#workflow-summary').textContent`); !strings.Contains(got, "resumed 1 time") {
			t.Errorf("the summary after the resume says %q", got)
		}
		if n := number(t, tab, `document.querySelectorAll('#redrive-activation').length`); n != 0 {
			t.Errorf("%d resume buttons on an active activation", n)
		}
		screenshotView(t, tab, "20-resumed")
	})

	active := s.awaitStatus(created.ID, domain.StatusActive)
	if len(active.Deployments) != 1 {
		t.Fatalf("deployments after the resume: %+v", active.Deployments)
	}
	if got := insurance.count(); got != 1+workflowRetries+1 {
		t.Fatalf("the insurance check ran %d times, want %d (the failed attempts and one after the resume)", got, 1+workflowRetries+1)
	}
}
