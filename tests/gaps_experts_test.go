package tests

import (
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/domain"
)

// getExpert reads GET /experts/{id} as the user with If-None-Match (none when ""), returning the
// status, the ETag, the Cache-Control header and the body.
func (h *harness) getExpert(user, id, ifNoneMatch string) (int, string, string, []byte) {
	h.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, h.sys.APIURL+"/experts/"+id, nil)
	if err != nil {
		h.tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+h.token(user))
	if ifNoneMatch != "" {
		req.Header.Set("If-None-Match", ifNoneMatch)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.tb.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		h.tb.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("ETag"), resp.Header.Get("Cache-Control"), body
}

// TestExpertsAnswerConditionalGets, through HTTP on the whole local system: an hr officer
// reads an expert an admin added and revalidates the copy with If-None-Match. The same tag,
// its weak form, a list holding it and "*" get 304 with the ETag and no body; other tags get
// 200. A policy added (which leaves the expert's version as it was) and the next day (which
// changes whether a policy covers today) each give a new answer with a new ETag, and a profile
// change made with If-Match on a GET's ETag too. 403 and 404 come before any 304.
func TestExpertsAnswerConditionalGets(t *testing.T) {
	h := start(t)
	expert := map[string]any{"name": "Amina Odhiambo", "employment": "consultant", "areas": []string{"gender"},
		"languages": []string{"en", "sw"}, "homeOffice": "KE"}
	status, body := h.call(http.MethodPut, "/experts/exp-revalidate", h.token("admin-1"), expert, map[string]string{"If-None-Match": "*"})
	if status != http.StatusCreated {
		t.Fatalf("add the expert: %d %s", status, body)
	}

	status, etag, _, first := h.getExpert("hr-1", "exp-revalidate", "")
	if status != http.StatusOK || !regexp.MustCompile(`^"0-[0-9a-f]{16}"$`).MatchString(etag) {
		t.Fatalf("read: %d %q %s", status, etag, first)
	}
	for _, header := range []string{etag, "W/" + etag, `"0-0000000000000000", ` + etag, "*"} {
		status, got, cache, body := h.getExpert("hr-1", "exp-revalidate", header)
		if status != http.StatusNotModified || got != etag || cache != "no-store" || len(body) != 0 {
			t.Fatalf("If-None-Match %s: %d %q %q %q", header, status, got, cache, body)
		}
	}
	for _, header := range []string{`"0"`, `"0-0000000000000000"`, `W/"0"`, etag[1 : len(etag)-1]} {
		if status, got, _, body := h.getExpert("hr-1", "exp-revalidate", header); status != http.StatusOK || got != etag || string(body) != string(first) {
			t.Fatalf("If-None-Match %s: %d %q %s", header, status, got, body)
		}
	}
	if status, _, _, body := h.getExpert("office-ke", "exp-revalidate", etag); status != http.StatusForbidden {
		t.Fatalf("a country office revalidates: %d %s", status, body)
	}
	if status, _, _, body := h.getExpert("hr-1", "exp-nobody", "*"); status != http.StatusNotFound {
		t.Fatalf("no such expert, If-None-Match *: %d %s", status, body)
	}

	// A policy is added: the version stays 0, the answer and its ETag change.
	today := domain.DateOf(h.clock.Now())
	policy := map[string]any{"kind": "medical", "insurer": "Cigna", "validFrom": today, "validTo": today}
	if status, body := h.call(http.MethodPut, "/experts/exp-revalidate/policies/pol-1", h.token("admin-1"), policy, nil); status != http.StatusOK && status != http.StatusCreated {
		t.Fatalf("add a policy: %d %s", status, body)
	}
	status, withPolicy, _, body := h.getExpert("hr-1", "exp-revalidate", etag)
	view := decode[api.ExpertView](t, body)
	if status != http.StatusOK || withPolicy == etag || view.Expert.Version != 0 || len(view.Policies.Items) != 1 || !view.Policies.Items[0].CoversToday {
		t.Fatalf("after the policy: %d %q %s", status, withPolicy, body)
	}
	if status, _, _, _ := h.getExpert("hr-1", "exp-revalidate", withPolicy); status != http.StatusNotModified {
		t.Fatalf("the new ETag: %d", status)
	}

	// The next day the policy no longer covers today: a new answer.
	h.clock.Advance(24 * time.Hour)
	status, nextDay, _, body := h.getExpert("hr-1", "exp-revalidate", withPolicy)
	view = decode[api.ExpertView](t, body)
	if status != http.StatusOK || nextDay == withPolicy || len(view.Policies.Items) != 1 || view.Policies.Items[0].CoversToday {
		t.Fatalf("the next day: %d %q %s", status, nextDay, body)
	}

	// A GET's ETag is good for If-Match on PUT, and the change gives a new answer.
	expert["name"] = "Amina W. Odhiambo"
	if status, body := h.call(http.MethodPut, "/experts/exp-revalidate", h.token("admin-1"), expert, map[string]string{"If-Match": nextDay}); status != http.StatusOK {
		t.Fatalf("change with If-Match %s: %d %s", nextDay, status, body)
	}
	if status, body := h.call(http.MethodPut, "/experts/exp-revalidate", h.token("admin-1"), expert, map[string]string{"If-Match": nextDay}); status != http.StatusPreconditionFailed {
		t.Fatalf("a second change with the same If-Match: %d %s", status, body)
	}
	status, changed, _, body := h.getExpert("hr-1", "exp-revalidate", nextDay)
	view = decode[api.ExpertView](t, body)
	if status != http.StatusOK || changed == nextDay || view.Expert.Name != "Amina W. Odhiambo" || view.Expert.Version != 1 {
		t.Fatalf("after the change: %d %q %s", status, changed, body)
	}
	if status, _, _, _ := h.getExpert("auditor-1", "exp-revalidate", changed); status != http.StatusNotModified {
		t.Fatalf("an auditor holding the latest answer: %d", status)
	}
}
