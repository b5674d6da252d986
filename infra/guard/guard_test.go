package guard

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestViolationsListsUnacknowledgedViolationsOnly(t *testing.T) {
	dir := t.TempDir()
	report := `{"version":"54.0.0","pluginReports":[{"pluginName":"cdk-validator-cfnguard","conclusion":"success",
	  "violations":[{"ruleName":"sqs_dlq_check","description":"[CT.SQS.PR.1]: queues need a DLQ",
	    "violatingConstructs":[{"constructPath":"Stack/QueueA/Resource"},{"constructPath":"Stack/QueueB/Resource"}]}]}],
	  "suppressedViolations":[{"ruleName":"lambda_inside_vpc_check"}]}`
	if err := os.WriteFile(filepath.Join(dir, "validation-report.json"), []byte(report), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Violations(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Stack/QueueA/Resource: sqs_dlq_check [CT.SQS.PR.1]: queues need a DLQ",
		"Stack/QueueB/Resource: sqs_dlq_check [CT.SQS.PR.1]: queues need a DLQ",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Violations = %q, want %q", got, want)
	}
	if none, err := Violations(t.TempDir()); err != nil || none != nil {
		t.Fatalf("no report: %v, %v", none, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "validation-report.json"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Violations(dir); err == nil {
		t.Fatal("a malformed report was accepted")
	}
}

func TestPackTarballKeepsOnlyThisPlatformsBinary(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"package.json":                    `{"version":"` + Version + `"}`,
		"lib/index.js":                    "module.exports = {}",
		"bin/ubuntu/x86_64/cfn-guard":     "linux amd64",
		"bin/ubuntu/aarch64/cfn-guard":    "linux arm64",
		"bin/macos/x86_64/cfn-guard":      "darwin amd64",
		"rules/control-tower/a.guard":     "rule a {}",
		"node_modules/other/package.json": "{}",
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	data, err := packTarball(dir)
	if err != nil {
		t.Fatal(err)
	}
	compressed, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	archive := tar.NewReader(compressed)
	var names []string
	for {
		header, err := archive.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, header.Name)
		if strings.HasSuffix(header.Name, "cfn-guard") && header.Mode&0o111 == 0 {
			t.Errorf("%s lost its execute permission", header.Name)
		}
	}
	binary := map[string]string{"amd64": "package/bin/ubuntu/x86_64/cfn-guard", "arm64": "package/bin/ubuntu/aarch64/cfn-guard"}[runtime.GOARCH]
	want := []string{"package/lib/index.js", "package/package.json", "package/rules/control-tower/a.guard", binary}
	slices.Sort(names)
	slices.Sort(want)
	if runtime.GOOS == "linux" && !slices.Equal(names, want) {
		t.Fatalf("tarball holds %v, want %v", names, want)
	}
}

func TestNewRefusesAMissingOrDifferentPackage(t *testing.T) {
	if _, err := New(filepath.Join(t.TempDir(), "absent"), nil); err == nil || !strings.Contains(err.Error(), "scripts/deps.sh cdk") {
		t.Fatalf("absent package: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"version":"0.0.1"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := New(dir, nil); err == nil || !strings.Contains(err.Error(), "is version 0.0.1") {
		t.Fatalf("other version: %v", err)
	}
}
