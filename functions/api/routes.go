package api

import (
	"net/http"
	"strings"
)

// register declares every route. The OpenAPI document lists the same set; a test holds them
// together.
func (s *Server) register() {
	s.handle(http.MethodPost, "/activations", s.createActivation)
	s.handle(http.MethodGet, "/activations", s.listActivations)
	s.handle(http.MethodGet, "/activations/{id}", s.getActivation)
	s.handle(http.MethodPost, "/activations/{id}/cancel", s.cancelActivation)
	s.handle(http.MethodGet, "/activations/{id}/history", s.activationHistory)
	s.handle(http.MethodPost, "/activations/{id}/redrive", s.redriveActivation)
	s.handle(http.MethodGet, "/tasks", s.listTasks)
	s.handle(http.MethodGet, "/tasks/{id}", s.getTask)
	s.handle(http.MethodPost, "/tasks/{id}/decision", s.decideTask)
	s.handle(http.MethodPost, "/tasks/{id}/reassign", s.reassignTask)
	s.handle(http.MethodPost, "/delegations", s.createDelegation)
	s.handle(http.MethodGet, "/delegations", s.listDelegations)
	s.handle(http.MethodPost, "/delegations/{id}/revoke", s.revokeDelegation)
	s.handle(http.MethodGet, "/audit", s.searchAudit)
	s.handle(http.MethodGet, "/audit/export", s.exportAudit)
	s.handle(http.MethodGet, "/audit/verify", s.verifyAudit)
	s.handle(http.MethodGet, "/metrics/activations", s.activationMetrics)
	s.handle(http.MethodGet, "/fund", s.getFund)
	s.handle(http.MethodPost, "/fund/contributions", s.addContribution)
	s.handle(http.MethodGet, "/experts", s.listExperts)
	s.handle(http.MethodGet, "/experts/{id}", s.getExpert)
	s.handle(http.MethodPut, "/experts/{id}", s.putExpert)
	s.handle(http.MethodGet, "/experts/{id}/policies", s.listPolicies)
	s.handle(http.MethodPut, "/experts/{id}/policies/{policyId}", s.putPolicy)
	s.handle(http.MethodGet, "/me", s.me)
	s.handlePublic(http.MethodGet, "/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(openAPIDocument)
	})
	s.handlePublic(http.MethodGet, "/healthz", func(w http.ResponseWriter, _ *http.Request) {
		_ = writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	// Anything else is answered with a problem document too: 405 with Allow for a known path
	// and another method, 404 otherwise.
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		var allowed []string
		for _, method := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch} {
			probe := r.Clone(r.Context())
			probe.Method = method
			if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
				allowed = append(allowed, method)
			}
		}
		if len(allowed) > 0 {
			w.Header().Set("Allow", strings.Join(allowed, ", "))
			writeProblem(w, r, NewProblem(ProblemMethodNotAllowed, "allowed: "+strings.Join(allowed, ", ")))
			return
		}
		writeProblem(w, r, NewProblem(ProblemNotFound, "no such resource"))
	})
}
