package tasks

import (
	"strings"
	"testing"
)

func TestParseResource(t *testing.T) {
	cases := []struct {
		arn          string
		kind         Kind
		action       string
		wait         bool
		historyType  string
		historyName  string
		errorMention string
	}{
		{arn: "arn:aws:lambda:us-east-1:123456789012:function:assess", kind: KindLambdaFunction, action: "invoke", historyType: "lambda", historyName: "arn:aws:lambda:us-east-1:123456789012:function:assess"},
		{arn: "arn:aws:states:::lambda:invoke", kind: KindLambdaInvoke, action: "invoke", historyType: "lambda", historyName: "invoke"},
		{arn: "arn:aws:states:::lambda:invoke.waitForTaskToken", kind: KindLambdaInvoke, action: "invoke", wait: true, historyType: "lambda", historyName: "invoke.waitForTaskToken"},
		{arn: "arn:aws:states:::dynamodb:putItem", kind: KindDynamoDB, action: "putItem", historyType: "dynamodb", historyName: "putItem"},
		{arn: "arn:aws:states:::dynamodb:getItem", kind: KindDynamoDB, action: "getItem", historyType: "dynamodb", historyName: "getItem"},
		{arn: "arn:aws:states:::dynamodb:updateItem", kind: KindDynamoDB, action: "updateItem", historyType: "dynamodb", historyName: "updateItem"},
		{arn: "arn:aws:states:::dynamodb:deleteItem", kind: KindDynamoDB, action: "deleteItem", historyType: "dynamodb", historyName: "deleteItem"},
		{arn: "arn:aws:states:::dynamodb:query", errorMention: "not supported"},
		{arn: "arn:aws:states:::sqs:sendMessage", errorMention: "not supported"},
		{arn: "arn:aws:states:::lambda:invoke.sync", errorMention: ".sync"},
		{arn: "arn:aws:states:::dynamodb:putItem.waitForTaskToken", errorMention: "waitForTaskToken"},
		{arn: "arn:aws:states:us-east-1:123456789012:activity:review", errorMention: "activities"},
		{arn: "arn:aws:lambda:us-east-1:123456789012:layer:x", errorMention: "not a Lambda function ARN"},
		{arn: "not-an-arn", errorMention: "not an ARN"},
	}
	for _, c := range cases {
		t.Run(c.arn, func(t *testing.T) {
			r, err := ParseResource(c.arn)
			if c.errorMention != "" {
				if err == nil || !strings.Contains(err.Error(), c.errorMention) {
					t.Fatalf("error %v, want one mentioning %q", err, c.errorMention)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.Kind != c.kind || r.Action != c.action || r.WaitForTaskToken != c.wait || r.HistoryType != c.historyType || r.HistoryName != c.historyName {
				t.Fatalf("got %+v", r)
			}
		})
	}
}

func TestFunctionName(t *testing.T) {
	cases := []struct{ ref, name, qualifier string }{
		{"assess", "assess", ""},
		{"assess:live", "assess", "live"},
		{"arn:aws:lambda:us-east-1:123456789012:function:assess", "assess", ""},
		{"arn:aws:lambda:us-east-1:123456789012:function:assess:7", "assess", "7"},
		{"123456789012:function:assess", "assess", ""},
		{"123456789012:function:assess:live", "assess", "live"},
	}
	for _, c := range cases {
		name, qualifier := FunctionName(c.ref)
		if name != c.name || qualifier != c.qualifier {
			t.Errorf("FunctionName(%q) = %q, %q", c.ref, name, qualifier)
		}
	}
}
