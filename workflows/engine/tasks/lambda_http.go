package tasks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/fasttrack/fasttrack/workflows/engine/states"
)

// HTTPInvoker calls functions through the Lambda Invoke API of an endpoint (a local Lambda
// emulator, or a test's own server): POST /2015-03-31/functions/NAME/invocations with the
// payload as the body. A function error comes back with the X-Amz-Function-Error header and
// the runtime's error document as the body. Requests are not signed: it is meant for local
// endpoints.
type HTTPInvoker struct {
	Endpoint string
	Client   *http.Client
}

var _ Invoker = (*HTTPInvoker)(nil)

// Invoke calls the function.
func (h *HTTPInvoker) Invoke(ctx context.Context, functionARN string, payload []byte) ([]byte, error) {
	client := h.Client
	if client == nil {
		client = http.DefaultClient
	}
	name, qualifier := FunctionName(functionARN)
	target := strings.TrimRight(h.Endpoint, "/") + "/2015-03-31/functions/" + url.PathEscape(name) + "/invocations"
	if qualifier != "" {
		target += "?Qualifier=" + url.QueryEscape(qualifier)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return nil, states.NewError("Lambda.SdkClientException", err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Amz-Invocation-Type", "RequestResponse")
	resp, err := client.Do(req)
	if err != nil {
		return nil, states.NewError("Lambda.SdkClientException", err.Error())
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 6<<20))
	if err != nil {
		return nil, states.NewError("Lambda.SdkClientException", err.Error())
	}
	if resp.StatusCode >= 300 {
		code := resp.Header.Get("X-Amzn-ErrorType")
		if i := strings.IndexByte(code, ':'); i >= 0 {
			code = code[:i]
		}
		if code == "" {
			code = http.StatusText(resp.StatusCode)
			code = strings.ReplaceAll(code, " ", "")
		}
		return nil, states.NewError("Lambda."+code, fmt.Sprintf("%s (Service: AWSLambda; Status Code: %d)", strings.TrimSpace(string(body)), resp.StatusCode))
	}
	if resp.Header.Get("X-Amz-Function-Error") != "" {
		var doc struct {
			Message string `json:"errorMessage"`
			Type    string `json:"errorType"`
		}
		if json.Unmarshal(body, &doc) != nil || doc.Type == "" {
			doc.Type = "Lambda.Unknown"
		}
		return nil, &FunctionError{Type: doc.Type, Message: doc.Message, Document: body}
	}
	return body, nil
}
