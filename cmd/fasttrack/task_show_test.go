package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// `tasks show` reads the one task it shows (GET /tasks/{id}), whatever the size of the inbox:
// one request, with the id escaped as a path segment, and the JSON as the API gave it.
func TestTaskShowReadsOneTask(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.EscapedPath())
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer token-1" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(api.TaskView{ApprovalTask: domain.ApprovalTask{ID: "act 1.security_clearance.0",
			Role: domain.RoleSecurity, Kind: domain.KindSecurityClearance, Status: domain.TaskOpen}, TimeLeftSeconds: 3600})
	}))
	defer server.Close()
	c := &client{base: server.URL, token: "token-1", http: server.Client(), timeout: 5 * time.Second}
	task, data, err := findTask(t.Context(), c, "act 1.security_clearance.0")
	if err != nil {
		t.Fatal(err)
	}
	if task.ID != "act 1.security_clearance.0" || task.TimeLeftSeconds != 3600 || !json.Valid(data) {
		t.Fatalf("task %+v from %s", task, data)
	}
	if want := []string{"GET /tasks/act%201.security_clearance.0"}; !slices.Equal(paths, want) {
		t.Fatalf("requests %q, want %q", paths, want)
	}
}
