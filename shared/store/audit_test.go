package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/store"
	"github.com/fasttrack/fasttrack/shared/tables"
)

func event(activation, actor, action, country string) audit.Event {
	return audit.Event{Actor: actor, Role: "security", Office: "HQ", Action: action, ActivationID: activation, Country: country,
		Before: audit.JSON(map[string]string{"status": "OPEN"}), After: audit.JSON(map[string]string{"status": "DECIDED"}),
		WorkflowEvent: "arn:aws:states:local:0:execution:fasttrack:" + activation + "#7"}
}

// Fifty goroutines append to one activation's trail at once: the result is one unbroken chain.
func TestConcurrentAuditAppendsKeepOneChain(t *testing.T) {
	ctx := context.Background()
	st, _ := mustStore(t)
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			if _, err := st.AppendAudit(ctx, event("a-1", fmt.Sprintf("actor-%d", i), audit.ActionStepCompleted, "HT")); err != nil {
				t.Errorf("append %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	page, err := st.AuditOfActivation(ctx, "a-1", 1000, "")
	if err != nil || len(page.Items) != 50 {
		t.Fatalf("%d events, %v", len(page.Items), err)
	}
	for i, e := range page.Items {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
	if breaks, err := st.VerifyAudit(ctx, "a-1"); err != nil || len(breaks) != 0 {
		t.Fatalf("breaks %v %v", breaks, err)
	}
}

func TestAuditSearch(t *testing.T) {
	ctx := context.Background()
	st, clk := mustStore(t)
	start := clk.Now()
	appends := []audit.Event{
		event("a-1", "office-ht", audit.ActionActivationRequested, "HT"),
		event("a-1", "security-1", audit.ActionTaskDecided, "HT"),
		event("a-2", "office-ye", audit.ActionActivationRequested, "YE"),
		event("a-2", "security-1", audit.ActionTaskDecided, "YE"),
		event("", "admin-1", audit.ActionFundContributed, ""),
	}
	for i, e := range appends {
		clk.Advance(time.Duration(i+1) * 24 * time.Hour * 10) // spread over months
		if _, err := st.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	actions := func(t *testing.T, q store.AuditQuery) string {
		t.Helper()
		var out []string
		for pages := 0; pages < 20; pages++ {
			page, err := st.QueryAudit(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Items {
				out = append(out, e.Actor+"/"+e.ActivationID)
			}
			if page.Next == "" {
				return fmt.Sprint(out)
			}
			q.Cursor = page.Next
		}
		t.Fatal("paging does not end")
		return ""
	}
	cases := []struct {
		name string
		q    store.AuditQuery
		want string
	}{
		{"activation", store.AuditQuery{ActivationID: "a-1"}, "[office-ht/a-1 security-1/a-1]"},
		{"actor", store.AuditQuery{Actor: "security-1", Limit: 1}, "[security-1/a-1 security-1/a-2]"},
		{"actor and country", store.AuditQuery{Actor: "security-1", Country: "YE"}, "[security-1/a-2]"},
		{"country", store.AuditQuery{Country: "YE"}, "[office-ye/a-2 security-1/a-2]"},
		{"action", store.AuditQuery{Action: audit.ActionActivationRequested}, "[office-ht/a-1 office-ye/a-2]"},
		{"time range", store.AuditQuery{From: start.Add(25 * 24 * time.Hour), To: start.Add(100 * 24 * time.Hour), Limit: 1},
			"[security-1/a-1 office-ye/a-2]"},
		{"everything, by month", store.AuditQuery{Limit: 2},
			"[office-ht/a-1 security-1/a-1 office-ye/a-2 security-1/a-2 admin-1/]"},
		{"activation and time", store.AuditQuery{ActivationID: "a-2", From: start.Add(70 * 24 * time.Hour)}, "[security-1/a-2]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := actions(t, c.q); got != c.want {
				t.Errorf("got %s, want %s", got, c.want)
			}
		})
	}
	if _, err := st.QueryAudit(ctx, store.AuditQuery{From: start, To: start}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("empty range: %v", err)
	}
}

// Changing one stored event makes Verify report exactly that event.
func TestVerifyFindsATamperedItem(t *testing.T) {
	ctx := context.Background()
	st, _, client, names := mustStoreWithClient(t)
	for i := range 6 {
		if _, err := st.AppendAudit(ctx, event("a-9", fmt.Sprintf("actor-%d", i), audit.ActionTaskDecided, "HT")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.AppendAudit(ctx, event("a-10", "x", audit.ActionTaskDecided, "HT")); err != nil {
		t.Fatal(err)
	}
	report, err := st.VerifyAllAudit(ctx)
	if err != nil || len(report.Breaks) != 0 || report.Events != 7 || report.Streams != 2 {
		t.Fatalf("before tampering %+v %v", report, err)
	}
	_, err = client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(names.Of(tables.Audit)),
		Key:                       map[string]types.AttributeValue{"stream": &types.AttributeValueMemberS{Value: "ACT#a-9"}, "seq": &types.AttributeValueMemberN{Value: "4"}},
		UpdateExpression:          aws.String("SET #after = :after"),
		ExpressionAttributeNames:  map[string]string{"#after": "after"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":after": &types.AttributeValueMemberS{Value: `{"status":"REJECTED"}`}},
	})
	if err != nil {
		t.Fatal(err)
	}
	breaks, err := st.VerifyAudit(ctx, "a-9")
	if err != nil || len(breaks) != 1 || breaks[0].Seq != 4 || breaks[0].Stream != "ACT#a-9" {
		t.Fatalf("breaks %v %v", breaks, err)
	}
	report, err = st.VerifyAllAudit(ctx)
	if err != nil || len(report.Breaks) != 1 || report.Breaks[0].Seq != 4 {
		t.Fatalf("report %+v %v", report, err)
	}
	// Appending still works after tampering and chains after the stored hash.
	if _, err := st.AppendAudit(ctx, event("a-9", "actor-7", audit.ActionTaskDecided, "HT")); err != nil {
		t.Fatal(err)
	}
	if breaks, _ := st.VerifyAudit(ctx, "a-9"); len(breaks) != 1 {
		t.Errorf("breaks after a new append %v", breaks)
	}
	if _, err := st.AppendAudit(ctx, audit.Event{Action: "x"}); domain.CodeOf(err) != domain.CodeInvalid {
		t.Errorf("event without actor: %v", err)
	}
}
