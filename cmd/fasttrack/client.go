package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// Environment variables the client commands read.
const (
	envAPI   = "FASTTRACK_API"
	envToken = "FASTTRACK_TOKEN"
)

// defaultAPI is where `fasttrack local` serves the API.
const defaultAPI = "http://127.0.0.1:8080"

// savedLogin is what `fasttrack login` and `fasttrack config set` keep for the client commands,
// beside the deployment configuration (config.json): the API to talk to and the bearer token.
// The file is 0600: the token is as good as a password until it expires.
type savedLogin struct {
	APIURL    string    `json:"apiUrl,omitempty"`
	User      string    `json:"user,omitempty"`
	Token     string    `json:"token,omitempty"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

func credentialsPath() (string, error) {
	path, err := defaultClientConfigPath()
	if err != nil {
		return "", err
	}
	return filepath.Join(filepath.Dir(path), "credentials.json"), nil
}

func readCredentials() (savedLogin, error) {
	var c savedLogin
	path, err := credentialsPath()
	if err != nil {
		return c, nil // no configuration directory: flags and environment only
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("%s is not valid JSON: %w", path, err)
	}
	return c, nil
}

func writeCredentials(c savedLogin) (string, error) {
	path, err := credentialsPath()
	if err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return "", err
	}
	if err := writeFileAtomically(path, append(data, '\n')); err != nil {
		return "", err
	}
	return path, os.Chmod(path, 0o600)
}

// readDeploymentAPI returns the API URL of `fasttrack config from-stack`'s configuration, if any.
func readDeploymentAPI() string {
	path, err := defaultClientConfigPath()
	if err != nil {
		return ""
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	var config ClientConfig
	if json.Unmarshal(data, &config) != nil {
		return ""
	}
	return config.APIURL
}

// clientOptions are the flags every client command shares.
type clientOptions struct {
	api     string
	token   string
	json    bool
	timeout time.Duration
}

func (o *clientOptions) register(cmd *cobra.Command) {
	cmd.PersistentFlags().StringVar(&o.api, "api", "", "API base URL (default $"+envAPI+", the saved configuration, or "+defaultAPI+")")
	cmd.PersistentFlags().StringVar(&o.token, "token", "", "bearer token (default $"+envToken+" or the token saved by fasttrack login)")
	cmd.PersistentFlags().BoolVar(&o.json, "json", false, "print the API's JSON instead of a table")
	cmd.PersistentFlags().DurationVar(&o.timeout, "timeout", 30*time.Second, "time limit of each request")
}

// apiURL resolves the API: flag, environment, saved login, deployment configuration, default.
func (o *clientOptions) apiURL() (string, error) {
	candidate := o.api
	if candidate == "" {
		candidate = os.Getenv(envAPI)
	}
	if candidate == "" {
		if c, err := readCredentials(); err == nil && c.APIURL != "" {
			candidate = c.APIURL
		}
	}
	if candidate == "" {
		candidate = readDeploymentAPI()
	}
	if candidate == "" {
		candidate = defaultAPI
	}
	if !isHTTPURL(candidate) {
		return "", fmt.Errorf("the API URL %q is not an http(s) URL", candidate)
	}
	return strings.TrimRight(candidate, "/"), nil
}

// isHTTPURL reports whether text is an absolute http or https URL, as the API's address must be.
func isHTTPURL(text string) bool {
	parsed, err := url.Parse(text)
	return err == nil && (parsed.Scheme == "http" || parsed.Scheme == "https") && parsed.Host != ""
}

// bearer resolves the token: flag, environment, saved login.
func (o *clientOptions) bearer() (string, error) {
	if o.token != "" {
		return o.token, nil
	}
	if token := os.Getenv(envToken); token != "" {
		return token, nil
	}
	c, err := readCredentials()
	if err != nil {
		return "", err
	}
	if c.Token == "" {
		return "", errors.New("no token: run `fasttrack login USER` (local demo users), set $" + envToken + ", or pass --token")
	}
	if !c.ExpiresAt.IsZero() && time.Now().After(c.ExpiresAt) {
		return "", fmt.Errorf("the saved token of %s expired at %s: run `fasttrack login %s` again", c.User, c.ExpiresAt.Local().Format(time.RFC3339), c.User)
	}
	return c.Token, nil
}

// problemError is an API error answer (application/problem+json) as the CLI shows it.
type problemError struct {
	Status int          `json:"status"`
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Detail string       `json:"detail"`
	Errors []fieldError `json:"errors"`
	// flagOf names the flag that gave a field, if one did (see execute).
	flagOf func(field string) string
	// hint says what to do about it, where the CLI knows better than the API.
	hint string
}

type fieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (p *problemError) Error() string {
	var b strings.Builder
	b.WriteString(p.Title)
	if p.Detail != "" && !sameWords(p.Detail, p.Title) {
		b.WriteString(": " + p.Detail)
	}
	fmt.Fprintf(&b, " (HTTP %d)", p.Status)
	for _, e := range p.Errors {
		field := e.Field
		if p.flagOf != nil && field != "" {
			if flag := p.flagOf(field); flag != "" {
				field = "--" + flag
			}
		}
		if field == "" {
			b.WriteString("\n  - " + e.Reason)
		} else {
			b.WriteString("\n  - " + field + ": " + e.Reason)
		}
	}
	if p.hint != "" {
		b.WriteString("\n" + p.hint)
	}
	return b.String()
}

// sameWords reports whether two sentences say the same, whatever their case and final stop.
func sameWords(a, b string) bool {
	return strings.EqualFold(strings.TrimRight(a, ". "), strings.TrimRight(b, ". "))
}

// client talks to the API.
type client struct {
	base    string
	token   string
	http    *http.Client
	timeout time.Duration
}

func (o *clientOptions) client(needToken bool) (*client, error) {
	base, err := o.apiURL()
	if err != nil {
		return nil, err
	}
	c := &client{base: base, http: &http.Client{}, timeout: o.timeout}
	if needToken {
		if c.token, err = o.bearer(); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// call sends a request and returns the answer's body; an error answer becomes a
// *problemError (or a plain error for a non-problem answer).
func (c *client) call(ctx context.Context, method, path string, body any, headers map[string]string) ([]byte, http.Header, int, error) {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, nil, 0, err
		}
		reader = bytes.NewReader(data)
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, reader)
	if err != nil {
		return nil, nil, 0, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("cannot reach the API at %s: %w (is `fasttrack local` running?)", c.base, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, nil, resp.StatusCode, err
	}
	if resp.StatusCode >= 400 {
		var p problemError
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") && json.Unmarshal(data, &p) == nil && p.Title != "" {
			if p.Status == 0 {
				p.Status = resp.StatusCode
			}
			if resp.StatusCode == http.StatusUnauthorized {
				p.hint = "the token is missing, expired, or from another system: sign in again with `fasttrack login USER` " +
					"(local demo users), or pass a fresh --token"
			}
			return nil, resp.Header, resp.StatusCode, &p
		}
		return nil, resp.Header, resp.StatusCode, fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	return data, resp.Header, resp.StatusCode, nil
}

// getJSON sends a request and decodes the answer into out (when out is not nil).
func (c *client) getJSON(ctx context.Context, method, path string, body, out any) ([]byte, error) {
	data, _, _, err := c.call(ctx, method, path, body, nil)
	if err != nil {
		return nil, err
	}
	if out != nil {
		if err := jsonUnmarshal(data, out); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// printJSON writes raw JSON indented.
func printJSON(w io.Writer, data []byte) error {
	var buffer bytes.Buffer
	if err := json.Indent(&buffer, data, "", "  "); err != nil {
		_, err = w.Write(data)
		return err
	}
	buffer.WriteByte('\n')
	_, err := w.Write(buffer.Bytes())
	return err
}
