package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/fasttrack/fasttrack/functions/api"
	"github.com/fasttrack/fasttrack/shared/audit"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/tables"
)

// eventually polls check until it holds or the wall-clock limit passes.
func eventually(t *testing.T, what string, check func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	for !check() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-ticker.C
	}
}

// as makes the next commands run as the demo user.
func as(t *testing.T, api, user string) {
	t.Helper()
	token, err := run(t, "", "token", user, "--api", api)
	if err != nil {
		t.Fatalf("token %s: %v", user, err)
	}
	t.Setenv(envToken, strings.TrimSpace(token))
}

// TestAuditVerifyReportsExactlyTheTamperedItem runs a full scenario with the CLI on the whole
// local system (a request that waits for security, its approval, and one cleared automatically,
// both to ACTIVE), verifies the untouched trail clean, changes one stored audit item directly in
// DynamoDB Local, and checks that `fasttrack audit verify` reports that item and nothing else,
// and fails.
func TestAuditVerifyReportsExactlyTheTamperedItem(t *testing.T) {
	sys := localSystem(t)
	isolateConfig(t)
	t.Setenv(envAPI, sys.APIURL)

	as(t, sys.APIURL, "office-ke")
	dir := t.TempDir()
	activate := func(station string) string {
		file := filepath.Join(dir, station+".json")
		if err := os.WriteFile(file, []byte(requestJSON(t, station, "KE")), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := run(t, "", "activate", "-f", file)
		if err != nil {
			t.Fatalf("activate: %q %v", out, err)
		}
		return strings.Fields(out)[1]
	}
	waited, cleared := activate("Mombasa"), activate("Nairobi")

	as(t, sys.APIURL, "security-1")
	var task api.TaskView
	eventually(t, "the security task", func() bool {
		out, err := run(t, "", "tasks", "--status", "OPEN", "--json")
		var list api.TaskList
		if err != nil || json.Unmarshal([]byte(out), &list) != nil {
			t.Fatalf("tasks: %q %v", out, err)
		}
		for _, candidate := range list.Items {
			if candidate.ActivationID == waited {
				task = candidate
				return true
			}
		}
		return false
	})
	if out, err := run(t, "", "decide", task.ID, "approve", "--comment", "Port access agreed."); err != nil {
		t.Fatalf("decide: %q %v", out, err)
	}
	as(t, sys.APIURL, "auditor-1")
	for _, id := range []string{waited, cleared} {
		eventually(t, id+" to be ACTIVE", func() bool {
			out, err := run(t, "", "activations", "show", id, "--json")
			var a domain.Activation
			if err != nil || json.Unmarshal([]byte(out), &a) != nil {
				t.Fatalf("show: %q %v", out, err)
			}
			return a.Status == domain.StatusActive
		})
	}

	out, err := run(t, "", "audit", "verify")
	if err != nil || !strings.Contains(out, "checked 3 chains") || !strings.HasSuffix(out, ": 0 breaks\n") || strings.Contains(out, "STREAM") {
		t.Fatalf("verify of the untouched trail: %q %v", out, err)
	}

	// Someone with write access to the table rewrites what the security approver decided.
	const tampered = 5
	client := dynamodb.NewFromConfig(sys.AWS)
	if _, err := client.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{
		TableName: aws.String(sys.Tables.Of(tables.Audit)),
		Key: map[string]types.AttributeValue{"stream": &types.AttributeValueMemberS{Value: audit.StreamOf(waited)},
			"seq": &types.AttributeValueMemberN{Value: "5"}},
		UpdateExpression:          aws.String("SET #actor = :actor"),
		ConditionExpression:       aws.String("attribute_exists(#actor)"),
		ExpressionAttributeNames:  map[string]string{"#actor": "actor"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":actor": &types.AttributeValueMemberS{Value: "someone-else"}},
	}); err != nil {
		t.Fatal(err)
	}

	out, err = run(t, "", "audit", "verify")
	if !errors.Is(err, errAuditBroken) {
		t.Fatalf("verify of the tampered trail did not fail: %q %v", out, err)
	}
	var rows []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "ACT#") || strings.HasPrefix(line, audit.SystemStream) {
			rows = append(rows, strings.Join(strings.Fields(line), " "))
		}
	}
	want := audit.StreamOf(waited) + " 5 its content does not match its hash (changed after it was written)"
	if len(rows) != 1 || rows[0] != want || !strings.HasSuffix(out, ": 1 break\n") {
		t.Fatalf("report:\n%s\nwant exactly the row %q", out, want)
	}

	out, err = run(t, "", "audit", "verify", "--activation", waited, "--json")
	var report api.AuditVerification
	if !errors.Is(err, errAuditBroken) || json.Unmarshal([]byte(out), &report) != nil || len(report.Breaks) != 1 ||
		report.Breaks[0].Seq != tampered || report.Breaks[0].Stream != audit.StreamOf(waited) || len(report.Streams) != 1 {
		t.Fatalf("verify --activation --json: %q %v", out, err)
	}
	if out, err := run(t, "", "audit", "verify", "--activation", cleared); err != nil || !strings.Contains(out, "checked 1 chain") || !strings.HasSuffix(out, ": 0 breaks\n") {
		t.Fatalf("verify of the untouched activation: %q %v", out, err)
	}

	// Nobody else may run it; bad flags are refused before any request.
	as(t, sys.APIURL, "office-ke")
	if _, err := run(t, "", "audit", "verify"); err == nil || !strings.Contains(err.Error(), "HTTP 403") {
		t.Fatalf("an office verifying: %v", err)
	}
	if _, err := run(t, "", "audit", "verify", "--limit", "0"); err == nil || !strings.Contains(err.Error(), "--limit") {
		t.Fatalf("--limit 0: %v", err)
	}
}
