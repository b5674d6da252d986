package console_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/fasttrack/fasttrack/console"
	"github.com/fasttrack/fasttrack/shared/auth"
	"github.com/fasttrack/fasttrack/shared/domain"
	"github.com/fasttrack/fasttrack/shared/seed"
)

// newStaticServer serves the console alone under /console/, as it is mounted beside the API.
func newStaticServer(t *testing.T) string {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("/console/", http.StripPrefix("/console", console.Handler()))
	server := httptest.NewServer(mux)
	t.Cleanup(server.Close)
	return server.URL
}

func serve(t *testing.T, handler http.Handler, method, target, remote string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.RemoteAddr = remote
	recorder := httptest.NewRecorder()
	handler.ServeHTTP(recorder, req)
	return recorder
}

func configOf(t *testing.T, handler http.Handler, remote string) console.Document {
	t.Helper()
	answer := serve(t, handler, http.MethodGet, "/config.json", remote)
	if answer.Code != http.StatusOK || answer.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("config.json: %d %s", answer.Code, answer.Header().Get("Content-Type"))
	}
	var document console.Document
	if err := json.Unmarshal(answer.Body.Bytes(), &document); err != nil {
		t.Fatal(err)
	}
	return document
}

// The console shows what a role may do from the very table the API enforces.
func TestConfigCarriesThePolicyTable(t *testing.T) {
	document := configOf(t, console.Handler(), "127.0.0.1:5000")
	if !slices.Equal(document.Roles, auth.Roles()) || !slices.Equal(document.Actions, auth.Actions()) {
		t.Fatalf("roles %v actions %v", document.Roles, document.Actions)
	}
	for _, role := range auth.Roles() {
		for _, action := range auth.Actions() {
			want := auth.Grant(role, action)
			got, listed := document.Policy[role][action]
			if want == auth.None && listed || want != auth.None && got != want.String() {
				t.Errorf("%s %s: config.json says %q (listed %v), the table %s", role, action, got, listed, want)
			}
		}
	}
	if !slices.Equal(document.Codes.Areas, domain.Areas) || !slices.Equal(document.Codes.CrisisTypes, domain.CrisisTypes) ||
		!slices.Equal(document.Codes.TargetGroups, domain.TargetGroups) || !slices.Equal(document.Codes.Phases, domain.Phases) {
		t.Errorf("code lists differ from shared/domain: %+v", document.Codes)
	}
	if len(document.Codes.SecurityLevels) != 6 || document.Codes.SecurityLevels[3] != "Substantial" {
		t.Errorf("security levels %v", document.Codes.SecurityLevels)
	}
	if _, ok := document.Fund.Currencies["USD"]; !ok || document.Limits.MaxProfiles == 0 {
		t.Errorf("rules missing: fund %v limits %+v", document.Fund, document.Limits)
	}
	if document.TokenEndpoint != console.DefaultTokenEndpoint || document.APIBase != "" {
		t.Errorf("token endpoint %q, api base %q", document.TokenEndpoint, document.APIBase)
	}
}

// Demo users are offered to loopback callers only, as the local token endpoint answers only them.
func TestDemoUsersOnlyOnLoopback(t *testing.T) {
	handler := console.Handler()
	local := configOf(t, handler, "127.0.0.1:5000")
	if len(local.DemoUsers) != len(seed.DemoUsers()) {
		t.Fatalf("%d demo users on loopback, want %d", len(local.DemoUsers), len(seed.DemoUsers()))
	}
	first := local.DemoUsers[0]
	if first.Username != "office-ke" || first.Office != "KE" || first.DisplayName == "" || !slices.Equal(first.Roles, []auth.Role{auth.CountryOffice}) {
		t.Errorf("first demo user %+v", first)
	}
	remote := configOf(t, handler, "203.0.113.9:5000")
	if len(remote.DemoUsers) != 0 {
		t.Errorf("%d demo users offered to a remote caller", len(remote.DemoUsers))
	}
	var hosted console.Document
	if err := json.Unmarshal(console.ConfigJSON(), &hosted); err != nil || len(hosted.DemoUsers) != 0 || len(hosted.Policy) != len(auth.Roles()) {
		t.Errorf("ConfigJSON for static hosting: %v, %d demo users, %d roles", err, len(hosted.DemoUsers), len(hosted.Policy))
	}
	if none := configOf(t, console.Handler(console.WithDemoUsers(nil)), "[::1]:5000"); len(none.DemoUsers) != 0 {
		t.Errorf("WithDemoUsers(nil) still offers %d", len(none.DemoUsers))
	}
	custom := configOf(t, console.Handler(console.WithAPIBase("https://api.example.org/"), console.WithTokenEndpoint("/token"),
		console.WithReference([]domain.Country{{Code: "KE", Name: "Kenya"}}, nil)), "127.0.0.1:1")
	if custom.APIBase != "https://api.example.org" || custom.TokenEndpoint != "/token" || len(custom.Countries) != 1 || len(custom.DutyStations) != 0 {
		t.Errorf("options not applied: %q %q %v %v", custom.APIBase, custom.TokenEndpoint, custom.Countries, custom.DutyStations)
	}
}

func TestStaticFiles(t *testing.T) {
	handler := console.Handler()
	for _, c := range []struct {
		target, contentType, contains string
		status                        int
	}{
		{"/", "text/html", `<script type="module" src="app.js">`, http.StatusOK},
		{"/app.js", "text/javascript", "routes", http.StatusOK},
		{"/views/inbox.js", "text/javascript", "decision", http.StatusOK},
		{"/style.css", "text/css", "--brand", http.StatusOK},
		{"/missing.js", "", "", http.StatusNotFound},
		{"/views/", "", "", http.StatusNotFound},
		{"/../console.go", "", "", http.StatusNotFound},
	} {
		answer := serve(t, handler, http.MethodGet, c.target, "127.0.0.1:1")
		if answer.Code != c.status {
			t.Errorf("GET %s: %d, want %d", c.target, answer.Code, c.status)
			continue
		}
		if c.status != http.StatusOK {
			continue
		}
		if got := answer.Header().Get("Content-Type"); !strings.HasPrefix(got, c.contentType) {
			t.Errorf("GET %s: content type %q", c.target, got)
		}
		if !strings.Contains(answer.Body.String(), c.contains) {
			t.Errorf("GET %s does not contain %q", c.target, c.contains)
		}
		csp := answer.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || answer.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: security headers %q", c.target, csp)
		}
	}
	if answer := serve(t, handler, http.MethodPost, "/", "127.0.0.1:1"); answer.Code != http.StatusMethodNotAllowed || answer.Header().Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /: %d, Allow %q", answer.Code, answer.Header().Get("Allow"))
	}
}

// Every module import points at a file the handler serves, and nothing is loaded from
// elsewhere: the console works offline.
func TestModulesAreSelfContained(t *testing.T) {
	root := console.Files()
	imports := regexp.MustCompile(`(?:from\s+|import\()\s*'([^']+)'`)
	external := regexp.MustCompile(`(?i)(src|href)\s*=\s*["']?(https?:)?//|@import|url\(\s*["']?https?:`)
	checked := 0
	err := fs.WalkDir(root, ".", func(name string, entry fs.DirEntry, err error) error {
		if err != nil || entry.IsDir() {
			return err
		}
		file, err := root.Open(name)
		if err != nil {
			return err
		}
		data, err := io.ReadAll(file)
		file.Close()
		if err != nil {
			return err
		}
		if external.Match(data) {
			t.Errorf("%s refers to another origin", name)
		}
		for _, match := range imports.FindAllStringSubmatch(string(data), -1) {
			target := match[1]
			if !strings.HasPrefix(target, "./") && !strings.HasPrefix(target, "../") {
				t.Errorf("%s imports %q, not a relative module", name, target)
				continue
			}
			resolved := path.Join(path.Dir(name), target)
			if _, err := fs.Stat(root, resolved); err != nil {
				t.Errorf("%s imports %q: %v", name, target, err)
			}
			checked++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 20 {
		t.Errorf("only %d imports checked", checked)
	}
}
