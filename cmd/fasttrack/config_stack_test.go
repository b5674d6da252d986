package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"

	"github.com/fasttrack/fasttrack/infra/outputs"
	"github.com/fasttrack/fasttrack/internal/sdkhttp"
)

// cloudFormationServer answers DescribeStacks in CloudFormation's query protocol, so that the
// test runs the real SDK client (request signing, XML decoding, error codes) with no AWS.
func cloudFormationServer(t *testing.T, stacks map[string]string) *cloudformation.Client {
	t.Helper()
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "DescribeStacks" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		body, ok := stacks[r.Form.Get("StackName")]
		w.Header().Set("Content-Type", "text/xml")
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>`+
				`<Code>ValidationError</Code><Message>Stack with id %s does not exist</Message></Error><RequestId>r1</RequestId></ErrorResponse>`, r.Form.Get("StackName"))
			return
		}
		fmt.Fprintf(w, `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks>%s</Stacks>`+
			`</DescribeStacksResult><ResponseMetadata><RequestId>r2</RequestId></ResponseMetadata></DescribeStacksResponse>`, body)
	}))
	t.Cleanup(server.Close)
	return cloudformation.New(cloudformation.Options{
		HTTPClient:   sdkhttp.NewClient(),
		Region:       "eu-west-1",
		BaseEndpoint: aws.String(server.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})
}

func stackXML(name, status string, values map[string]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<member><StackName>%s</StackName><StackStatus>%s</StackStatus><CreationTime>2026-11-01T10:00:00Z</CreationTime><Outputs>`, name, status)
	for key, value := range values {
		fmt.Fprintf(&b, `<member><OutputKey>%s</OutputKey><OutputValue>%s</OutputValue><ExportName>%s</ExportName></member>`,
			key, value, outputs.ExportName("dev", key))
	}
	b.WriteString(`</Outputs></member>`)
	return b.String()
}

func deployedOutputs() map[string]string {
	return map[string]string{
		outputs.APIURL:           "https://abc123.execute-api.eu-west-1.amazonaws.com/",
		outputs.UserPoolID:       "eu-west-1_AbCdEf123",
		outputs.UserPoolClientID: "4example0client0id",
		outputs.Region:           "eu-west-1",
		outputs.StateMachineARN:  "arn:aws:states:eu-west-1:111122223333:stateMachine:FastTrack-dev",
	}
}

func TestReadStackConfigReadsTheOutputs(t *testing.T) {
	stack := outputs.StackName("dev")
	client := cloudFormationServer(t, map[string]string{stack: stackXML(stack, "UPDATE_COMPLETE", deployedOutputs())})
	config, err := readStackConfig(context.Background(), client, stack, "dev")
	if err != nil {
		t.Fatal(err)
	}
	want := ClientConfig{Stage: "dev", Stack: stack, APIURL: "https://abc123.execute-api.eu-west-1.amazonaws.com/",
		Region: "eu-west-1", UserPoolID: "eu-west-1_AbCdEf123", UserPoolClientID: "4example0client0id",
		StateMachineARN: "arn:aws:states:eu-west-1:111122223333:stateMachine:FastTrack-dev"}
	if config != want {
		t.Fatalf("config = %+v, want %+v", config, want)
	}
}

func TestReadStackConfigExplainsWhatIsWrong(t *testing.T) {
	without := func(key string) map[string]string {
		values := deployedOutputs()
		delete(values, key)
		return values
	}
	badURL := deployedOutputs()
	badURL[outputs.APIURL] = "http://abc123.example"
	client := cloudFormationServer(t, map[string]string{
		"rolled-back": stackXML("rolled-back", "UPDATE_ROLLBACK_COMPLETE", deployedOutputs()),
		"in-progress": stackXML("in-progress", "CREATE_IN_PROGRESS", deployedOutputs()),
		"no-pool":     stackXML("no-pool", "CREATE_COMPLETE", without(outputs.UserPoolID)),
		"bad-url":     stackXML("bad-url", "CREATE_COMPLETE", badURL),
	})
	tests := []struct{ stack, want string }{
		{"FastTrack-prod-Stateless", "does not exist in this account and region: deploy it with `make deploy STAGE=prod`"},
		{"rolled-back", "is UPDATE_ROLLBACK_COMPLETE"},
		{"in-progress", "is CREATE_IN_PROGRESS"},
		{"no-pool", "lacks the outputs UserPoolId"},
		{"bad-url", "not an https URL"},
	}
	for _, test := range tests {
		t.Run(test.stack, func(t *testing.T) {
			_, err := readStackConfig(context.Background(), client, test.stack, "prod")
			if err == nil || !strings.Contains(err.Error(), test.want) {
				t.Fatalf("error = %v, want it to contain %q", err, test.want)
			}
		})
	}
}

func TestConfigFromStackCommandWritesTheFile(t *testing.T) {
	stack := outputs.StackName("dev")
	client := cloudFormationServer(t, map[string]string{stack: stackXML(stack, "CREATE_COMPLETE", deployedOutputs())})
	endpoint := *client.Options().BaseEndpoint
	// The command builds its own client from the AWS configuration; point that configuration
	// at the test server the way a user would point it at any endpoint.
	t.Setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", endpoint)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	path := filepath.Join(t.TempDir(), "nested", "config.json")

	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"config", "from-stack", "--stage", "dev", "--region", "eu-west-1", "--output", path})
	if err := root.ExecuteContext(context.Background()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var written ClientConfig
	if err := json.Unmarshal(data, &written); err != nil {
		t.Fatal(err)
	}
	if written.APIURL != deployedOutputs()[outputs.APIURL] || written.UserPoolClientID != "4example0client0id" || written.Stack != stack {
		t.Fatalf("wrote %+v", written)
	}
	if !strings.Contains(out.String(), "wrote "+path) {
		t.Fatalf("output %q", out.String())
	}

	root = newRootCommand()
	root.SetArgs([]string{"config", "from-stack", "--stage", "prod", "--region", "eu-west-1", "--output", path})
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing stack: %v", err)
	}
	again, _ := os.ReadFile(path)
	if !bytes.Equal(again, data) {
		t.Fatal("a failed run changed the configuration file")
	}
}
