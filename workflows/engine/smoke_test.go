package engine

import (
	"context"
	"testing"
	"time"
)

func TestSmoke(t *testing.T) {
	e, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	ctx := context.Background()
	sm, err := e.CreateStateMachine(ctx, CreateStateMachineInput{Name: "smoke", Definition: `{"StartAt":"A","States":{
		"A":{"Type":"Pass","Result":{"n":5},"ResultPath":"$.r","Next":"C"},
		"C":{"Type":"Choice","Choices":[{"Variable":"$.r.n","NumericGreaterThan":3,"Next":"P"}],"Default":"F"},
		"P":{"Type":"Parallel","Branches":[{"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},{"StartAt":"Y","States":{"Y":{"Type":"Pass","Result":2,"End":true}}}],"Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$[0].list","ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true},
		"F":{"Type":"Fail","Error":"Small"}}}`})
	if err != nil {
		t.Fatal(err)
	}
	in := `{"list":[1,2,3]}`
	out, err := e.StartExecution(ctx, StartExecutionInput{StateMachineArn: sm.StateMachineArn, Input: &in})
	if err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	d, err := e.WaitExecution(wctx, out.ExecutionArn)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s %v %v %v", d.Status, d.Output, d.Error, d.Cause)
	h, _, err := e.GetExecutionHistory(ctx, GetExecutionHistoryInput{ExecutionArn: out.ExecutionArn, MaxResults: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range h {
		t.Logf("%d %d %s", ev.ID, ev.PreviousEventID, ev.Type)
	}
}
