package api

import (
	"cmp"
	"net/http"
	"slices"
	"time"

	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
)

// StepTiming is the time from request to one step, for one country and crisis type.
type StepTiming struct {
	Step           string            `json:"step"`
	Country        string            `json:"country"`
	CrisisType     domain.CrisisType `json:"crisisType"`
	Count          int               `json:"count"`
	AverageSeconds float64           `json:"averageSeconds"`
	MaxSeconds     float64           `json:"maxSeconds"`
}

// ActivationCounts counts activations by status.
type ActivationCounts struct {
	Total    int                   `json:"total"`
	ByStatus map[domain.Status]int `json:"byStatus"`
}

// ApprovalCounts says how many decisions came within their deadline.
type ApprovalCounts struct {
	Decided        int `json:"decided"`
	WithinDeadline int `json:"withinDeadline"`
	// Share is WithinDeadline / Decided; null when nothing was decided.
	Share *float64 `json:"share"`
}

// Metrics is the answer of GET /metrics/activations.
type Metrics struct {
	Activations ActivationCounts `json:"activations"`
	// TimeToStep is the time from request to each step (and to ACTIVE, step "ACTIVE").
	TimeToStep            []StepTiming   `json:"timeToStep"`
	Approvals             ApprovalCounts `json:"approvals"`
	OpenTasksPastDeadline int            `json:"openTasksPastDeadline"`
	GeneratedAt           time.Time      `json:"generatedAt"`
}

// metricsPageLimit bounds the pages one metrics request reads (100 items a page).
const metricsPageLimit = 100

// activationMetrics handles GET /metrics/activations: computed from the activations created in
// [from, to) and their tasks. On AWS the same numbers are published as CloudWatch metrics by
// the functions; this is the view for people.
func (s *Server) activationMetrics(w http.ResponseWriter, r *http.Request, caller auth.Principal) error {
	if caller.ScopeOf(auth.ReadMetrics) == auth.None {
		return forbidden(auth.ReadMetrics)
	}
	q := newQuery(r, "from", "to")
	from, to := q.time("from"), q.time("to")
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		q.fail("to", "must not be before from")
	}
	if p := q.problem(); p != nil {
		return p
	}
	now := s.options.Now().UTC()
	metrics := Metrics{Activations: ActivationCounts{ByStatus: map[domain.Status]int{}}, TimeToStep: []StepTiming{}, GeneratedAt: now}
	type key struct {
		step, country string
		crisis        domain.CrisisType
	}
	timings := map[key]*StepTiming{}
	var order []key
	observe := func(k key, seconds float64) {
		t, ok := timings[k]
		if !ok {
			t = &StepTiming{Step: k.step, Country: k.country, CrisisType: k.crisis}
			timings[k] = t
			order = append(order, k)
		}
		t.AverageSeconds = (t.AverageSeconds*float64(t.Count) + seconds) / float64(t.Count+1)
		t.Count++
		t.MaxSeconds = max(t.MaxSeconds, seconds)
	}
	query := store.ActivationQuery{Limit: MaxPageSize}
	for range metricsPageLimit {
		page, err := s.deps.Activations.ListActivations(r.Context(), query)
		if err != nil {
			return err
		}
		for _, a := range page.Items {
			if !from.IsZero() && a.CreatedAt.Before(from) || !to.IsZero() && !a.CreatedAt.Before(to) {
				continue
			}
			metrics.Activations.Total++
			metrics.Activations.ByStatus[a.Status]++
			seen := map[string]bool{}
			for _, step := range a.Steps {
				if step.Status != "succeeded" || seen[step.Name] || step.At.Before(a.CreatedAt) {
					continue
				}
				seen[step.Name] = true
				observe(key{step.Name, a.Country, a.CrisisType}, step.At.Sub(a.CreatedAt).Seconds())
			}
			if a.Status == domain.StatusActive {
				observe(key{"ACTIVE", a.Country, a.CrisisType}, a.UpdatedAt.Sub(a.CreatedAt).Seconds())
			}
		}
		if page.Next == "" {
			break
		}
		query.Cursor = page.Next
	}
	taskQuery := store.TaskQuery{Limit: MaxPageSize}
	for index := 0; index < len(domain.ApproverRoles)*metricsPageLimit && taskQuery.Role != "-"; index++ {
		if taskQuery.Role == "" {
			taskQuery.Role = domain.ApproverRoles[0]
		}
		page, err := s.deps.Tasks.ListTasks(r.Context(), taskQuery)
		if err != nil {
			return err
		}
		for _, t := range page.Items {
			if !from.IsZero() && t.CreatedAt.Before(from) || !to.IsZero() && !t.CreatedAt.Before(to) {
				continue
			}
			if t.Decision != nil {
				metrics.Approvals.Decided++
				if !t.Decision.At.After(t.Deadline) {
					metrics.Approvals.WithinDeadline++
				}
			}
			if t.Status == domain.TaskOpen && now.After(t.Deadline) {
				metrics.OpenTasksPastDeadline++
			}
		}
		taskQuery.Cursor = page.Next
		if page.Next == "" {
			taskQuery.Role = nextRole(taskQuery.Role)
		}
	}
	if metrics.Approvals.Decided > 0 {
		share := float64(metrics.Approvals.WithinDeadline) / float64(metrics.Approvals.Decided)
		metrics.Approvals.Share = &share
	}
	for _, k := range order {
		metrics.TimeToStep = append(metrics.TimeToStep, *timings[k])
	}
	slices.SortStableFunc(metrics.TimeToStep, func(a, b StepTiming) int {
		if a.Country != b.Country {
			return cmp.Compare(a.Country, b.Country)
		}
		if a.CrisisType != b.CrisisType {
			return cmp.Compare(a.CrisisType, b.CrisisType)
		}
		return 0
	})
	return writeJSON(w, http.StatusOK, metrics)
}

// nextRole returns the approver role after role, or "-" after the last.
func nextRole(role domain.Role) domain.Role {
	i := slices.Index(domain.ApproverRoles, role)
	if i < 0 || i+1 >= len(domain.ApproverRoles) {
		return "-"
	}
	return domain.ApproverRoles[i+1]
}
