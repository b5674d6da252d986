package sdkhttp

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// trackedBody is a request body that says when it was read and closed.
type trackedBody struct {
	io.Reader
	closed         atomic.Bool
	readAfterClose atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	if b.closed.Load() {
		b.readAfterClose.Store(true)
		return 0, io.EOF
	}
	return b.Reader.Read(p)
}

func (b *trackedBody) Close() error {
	b.closed.Store(true)
	return nil
}

func TestTheTransportSendsACopyOfTheBody(t *testing.T) {
	var closedBeforeServed atomic.Bool
	var body *trackedBody
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		closedBeforeServed.Store(body.closed.Load())
		got, _ := io.ReadAll(r.Body)
		_, _ = w.Write(bytes.ToUpper(got))
	}))
	defer server.Close()
	client := InMemoryBodies{Next: server.Client()}
	for _, size := range []int{1, 100, 64 << 10} {
		payload := strings.Repeat("x", size)
		body = &trackedBody{Reader: strings.NewReader(payload)}
		req, err := http.NewRequest(http.MethodPost, server.URL, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = int64(size)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		// What the SDK does once the response's headers are in: close the request's body.
		_ = body.Close()
		answer, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || string(answer) != strings.ToUpper(payload) {
			t.Fatalf("size %d: answer of %d bytes, %v", size, len(answer), err)
		}
		if !closedBeforeServed.Load() || body.readAfterClose.Load() {
			t.Fatalf("size %d: the caller's body was closed before the request was served: %v; read after close: %v",
				size, closedBeforeServed.Load(), body.readAfterClose.Load())
		}
	}
}

func TestStreamsOfUnknownLengthPassThrough(t *testing.T) {
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		_, _ = w.Write(got)
	}))
	defer server.Close()
	reader, writer := io.Pipe()
	go func() {
		_, _ = writer.Write([]byte("streamed"))
		_ = writer.Close()
	}()
	req, _ := http.NewRequest(http.MethodPost, server.URL, reader)
	req.ContentLength = -1
	resp, err := InMemoryBodies{Next: server.Client()}.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if got, _ := io.ReadAll(resp.Body); string(got) != "streamed" {
		t.Fatalf("got %q", got)
	}
}

// The SDK's own client works through it, with its retries rewinding the request.
func TestAnSDKClientThroughIt(t *testing.T) {
	var calls atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 {
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write([]byte(`{"__type":"InternalFailure","message":"try again"}`))
			return
		}
		if !strings.Contains(string(got), `"maxResults":10`) {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"executions":[{"name":"one"}]}`))
	}))
	defer server.Close()
	client := sfn.New(sfn.Options{HTTPClient: NewClient(), Region: "us-east-1", BaseEndpoint: aws.String(server.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	out, err := client.ListExecutions(context.Background(), &sfn.ListExecutionsInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:m"), MaxResults: 10})
	if err != nil || len(out.Executions) != 1 || aws.ToString(out.Executions[0].Name) != "one" || calls.Load() != 2 {
		t.Fatalf("%+v %v after %d calls", out, err, calls.Load())
	}
}
