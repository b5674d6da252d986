package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/tables"
)

func TestMeShowsTheCallerAndWhatTheyMayDo(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		user   string
		roles  string
		office string
		may    map[auth.Action]string
		mayNot []auth.Action
	}{
		{"office-ke", "country-office", "KE", map[auth.Action]string{auth.CreateActivation: "own-office", auth.ReadActivation: "own-office", auth.CancelActivation: "own-office"},
			[]auth.Action{auth.DecideTask, auth.SearchAudit, auth.RedriveExecution}},
		{"security-1", "security", "", map[auth.Action]string{auth.DecideTask: "own-role", auth.ListTasks: "own-role", auth.ReadActivation: "all", auth.CreateDelegation: "self"},
			[]auth.Action{auth.CreateActivation, auth.RedriveExecution, auth.ExportAudit}},
		{"auditor-1", "auditor", "", map[auth.Action]string{auth.SearchAudit: "all", auth.ExportAudit: "all", auth.ListTasks: "all"},
			[]auth.Action{auth.DecideTask, auth.CancelActivation, auth.ContributeFund}},
		{"admin-1", "admin", "", map[auth.Action]string{auth.RedriveExecution: "all", auth.ReassignTask: "all", auth.CreateDelegation: "all"},
			[]auth.Action{auth.DecideTask, auth.CreateActivation}},
		// Two roles: the widest scope of either.
		{"finance-security", "finance,security", "", map[auth.Action]string{auth.DecideTask: "own-role", auth.ReadFund: "all"},
			[]auth.Action{auth.ExportAudit}},
	}
	for _, tc := range cases {
		t.Run(tc.user, func(t *testing.T) {
			resp := h.do(tc.user, http.MethodGet, "/me", nil)
			var me api.Me
			resp.json(t, &me)
			roles := make([]string, len(me.Roles))
			for i, r := range me.Roles {
				roles[i] = string(r)
			}
			if resp.Status != http.StatusOK || me.ID != tc.user || strings.Join(roles, ",") != tc.roles || me.Office != tc.office {
				t.Fatalf("%d %+v", resp.Status, me)
			}
			for action, scope := range tc.may {
				if me.Permissions[action] != scope {
					t.Errorf("%s: %s is %q, want %q", tc.user, action, me.Permissions[action], scope)
				}
			}
			for _, action := range tc.mayNot {
				if scope, ok := me.Permissions[action]; ok {
					t.Errorf("%s may %s (%s)", tc.user, action, scope)
				}
			}
		})
	}
	if resp := h.do("", http.MethodGet, "/me", nil); resp.Status != http.StatusUnauthorized {
		t.Fatalf("no token: %d", resp.Status)
	}
}

func TestAuditVerifyReportsExactlyTheTamperedEvent(t *testing.T) {
	h := newHarness(t)
	a := h.withActivation("Mombasa", 1_000_000)
	b := h.withActivation("Nairobi", 2_000_000)
	h.do("office-ke", http.MethodPost, "/activations/"+a.ID+"/cancel", map[string]string{"reason": "duplicate"})
	h.do("admin-1", http.MethodPost, "/fund/contributions", map[string]any{"amount": map[string]any{"value": 100, "currency": "USD"}, "donor": "d"})

	var clean api.AuditVerification
	resp := h.do("auditor-1", http.MethodGet, "/audit/verify", nil)
	resp.json(t, &clean)
	if resp.Status != http.StatusOK || len(clean.Breaks) != 0 || len(clean.Streams) != 3 || clean.Events != 4 {
		t.Fatalf("untampered trail: %d %+v", resp.Status, clean)
	}

	// Someone with write access to the table changes who cancelled.
	_, err := h.dynamo.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(h.tables.Of(tables.Audit)),
		Key: map[string]types.AttributeValue{"stream": &types.AttributeValueMemberS{Value: audit.StreamOf(a.ID)},
			"seq": &types.AttributeValueMemberN{Value: "2"}},
		UpdateExpression:          aws.String("SET actor = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": &types.AttributeValueMemberS{Value: "office-ht"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var report api.AuditVerification
	h.do("auditor-1", http.MethodGet, "/audit/verify", nil).json(t, &report)
	if len(report.Breaks) != 1 || report.Breaks[0].Stream != audit.StreamOf(a.ID) || report.Breaks[0].Seq != 2 ||
		!strings.Contains(report.Breaks[0].Reason, "does not match its hash") {
		t.Fatalf("report %+v", report)
	}
	h.do("admin-1", http.MethodGet, "/audit/verify?activationId="+a.ID, nil).json(t, &report)
	if len(report.Breaks) != 1 || report.Breaks[0].Seq != 2 || report.Events != 2 {
		t.Fatalf("one activation's report %+v", report)
	}
	h.do("auditor-1", http.MethodGet, "/audit/verify?activationId="+b.ID, nil).json(t, &report)
	if len(report.Breaks) != 0 || report.Events != 1 || len(report.Streams) != 1 || report.Streams[0] != audit.StreamOf(b.ID) {
		t.Fatalf("the other activation's report %+v", report)
	}

	// Page by page: the system stream on the first page only, every activation once.
	seen := map[string]int{}
	breaks, cursor := 0, ""
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		var page api.AuditVerification
		path := "/audit/verify?limit=1"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		h.do("auditor-1", http.MethodGet, path, nil).json(t, &page)
		for _, s := range page.Streams {
			seen[s]++
		}
		breaks += len(page.Breaks)
		if cursor = page.Next; cursor == "" {
			break
		}
	}
	if len(seen) != 3 || seen[audit.SystemStream] != 1 || seen[audit.StreamOf(a.ID)] != 1 || seen[audit.StreamOf(b.ID)] != 1 || breaks != 1 {
		t.Fatalf("paged verification saw %v with %d breaks", seen, breaks)
	}

	for _, user := range []string{"office-ke", "security-1"} {
		if resp := h.do(user, http.MethodGet, "/audit/verify", nil); resp.Status != http.StatusForbidden {
			t.Fatalf("%s verifies: %d", user, resp.Status)
		}
	}
	if resp := h.do("auditor-1", http.MethodGet, "/audit/verify?activationId=act-none", nil); resp.Status != http.StatusNotFound {
		t.Fatalf("unknown activation: %d", resp.Status)
	}
	if resp := h.do("auditor-1", http.MethodGet, "/audit/verify?activationId=a%20b&limit=500", nil); resp.Status != http.StatusBadRequest ||
		len(resp.problem(t).Errors) != 2 {
		t.Fatalf("bad query: %d %s", resp.Status, resp.Body)
	}
}
