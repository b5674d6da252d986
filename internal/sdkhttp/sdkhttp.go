// Package sdkhttp is the HTTP client every AWS SDK client of the project is given.
//
// The SDK wraps a request's body in a reader that answers io.EOF from WriteTo once closed, and
// closes it as soon as the response's headers arrive. net/http's connection writer may still be
// finishing the request then (it reads the body once more, to check that nothing is left past
// Content-Length): it meets that io.EOF as a write error and closes the connection, under the
// response whose body is still being read ("use of closed network connection"). A server that
// answers fast, as DynamoDB Local and the embedded Step Functions engine do on loopback, meets
// it under load. Handing the transport its own in-memory copy of the body takes the SDK's reader
// out of the transport's hands.
package sdkhttp

import (
	"bytes"
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// NewClient is the SDK's default HTTP client, with request bodies copied into memory.
func NewClient() aws.HTTPClient {
	return InMemoryBodies{Next: awshttp.NewBuildableClient()}
}

// InMemoryBodies sends each request with a copy of its body in memory. Bodies of unknown
// length (a stream) are passed on as they are.
type InMemoryBodies struct {
	Next aws.HTTPClient
}

var _ aws.HTTPClient = InMemoryBodies{}

// Do reads and closes the request's body, and sends a copy of the request with the bytes read.
func (c InMemoryBodies) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength < 0 {
		return c.Next.Do(req)
	}
	body, err := io.ReadAll(req.Body)
	if closeErr := req.Body.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return nil, err
	}
	copied := req.Clone(req.Context())
	copied.Body = io.NopCloser(bytes.NewReader(body))
	copied.ContentLength = int64(len(body))
	copied.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return c.Next.Do(copied)
}
