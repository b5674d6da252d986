// Package dynamolocal fetches, starts and stops DynamoDB Local, AWS's own DynamoDB emulator, so
// that `fasttrack local` and the tests run against the real DynamoDB API on one machine.
//
// The emulator ships inside the npm registry package amplify-dynamodb-simulator. Ensure fetches
// that package with `npm pack` (npm checks the tarball against the registry's integrity hash),
// unpacks its emulator folder into a cache directory and checks the jar against a digest pinned
// here. The package's own sha256 file does not describe the jar it ships (it is the digest of
// AWS's download archive), so it cannot be used for the check. Start runs the emulator with Java
// as a child process.
package dynamolocal

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// PackageSpec is the npm package that carries DynamoDB Local. Pinned so that every machine runs
// the same emulator.
const PackageSpec = "amplify-dynamodb-simulator@2.9.30"

const jarName = "DynamoDBLocal.jar"

// jarSHA256 is the digest of the DynamoDBLocal.jar (version 1.25.1) inside PackageSpec.
const jarSHA256 = "454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7"

// Ensure makes sure DynamoDB Local is unpacked under cacheDir and returns the directory that
// holds DynamoDBLocal.jar. It downloads nothing when the jar is already there and intact.
func Ensure(ctx context.Context, cacheDir string) (string, error) {
	emulatorDir := filepath.Join(cacheDir, "emulator")
	if err := verifyJar(emulatorDir); err == nil {
		return emulatorDir, nil
	}
	if err := os.MkdirAll(cacheDir, 0o755); err != nil {
		return "", fmt.Errorf("dynamolocal: create cache dir: %w", err)
	}
	// A lock file keeps two processes (parallel test binaries) from unpacking at once.
	unlock, err := lockFile(filepath.Join(cacheDir, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := verifyJar(emulatorDir); err == nil {
		return emulatorDir, nil
	}
	if _, err := exec.LookPath("npm"); err != nil {
		return "", errors.New("dynamolocal: npm is needed to fetch DynamoDB Local (" + PackageSpec + "); install Node.js and npm")
	}
	packDir, err := os.MkdirTemp(cacheDir, "pack-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(packDir)
	cmd := exec.CommandContext(ctx, "npm", "pack", PackageSpec, "--silent")
	cmd.Dir = packDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("dynamolocal: npm pack %s: %w: %s", PackageSpec, err, strings.TrimSpace(stderr.String()))
	}
	tarball := filepath.Join(packDir, strings.TrimSpace(lastLine(string(out))))
	staging := filepath.Join(packDir, "emulator")
	if err := extractEmulator(tarball, staging); err != nil {
		return "", err
	}
	if err := verifyJar(staging); err != nil {
		return "", err
	}
	_ = os.RemoveAll(emulatorDir)
	if err := os.Rename(staging, emulatorDir); err != nil {
		return "", fmt.Errorf("dynamolocal: install emulator: %w", err)
	}
	return emulatorDir, nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// extractEmulator unpacks package/emulator/ of the npm tarball into dest.
func extractEmulator(tarball, dest string) error {
	f, err := os.Open(tarball)
	if err != nil {
		return fmt.Errorf("dynamolocal: open %s: %w", tarball, err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("dynamolocal: read %s: %w", tarball, err)
	}
	tr := tar.NewReader(gz)
	const prefix = "package/emulator/"
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("dynamolocal: read %s: %w", tarball, err)
		}
		if !strings.HasPrefix(hdr.Name, prefix) || hdr.Typeflag != tar.TypeReg {
			continue
		}
		rel := filepath.Clean(strings.TrimPrefix(hdr.Name, prefix))
		if rel == "." || strings.HasPrefix(rel, "..") || filepath.IsAbs(rel) {
			continue
		}
		target := filepath.Join(dest, rel)
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, tr); err != nil {
			out.Close()
			return fmt.Errorf("dynamolocal: unpack %s: %w", rel, err)
		}
		if err := out.Close(); err != nil {
			return err
		}
	}
}

// verifyJar checks DynamoDBLocal.jar against the pinned digest.
func verifyJar(dir string) error {
	jar, err := os.Open(filepath.Join(dir, jarName))
	if err != nil {
		return fmt.Errorf("dynamolocal: %w", err)
	}
	defer jar.Close()
	h := sha256.New()
	if _, err := io.Copy(h, jar); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != jarSHA256 {
		return fmt.Errorf("dynamolocal: %s checksum %s, want %s", jarName, got, jarSHA256)
	}
	return nil
}

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("dynamolocal: lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// Options say how to run DynamoDB Local.
type Options struct {
	// CacheDir holds the unpacked emulator; see DefaultCacheDir.
	CacheDir string
	// Addr is host:port to listen on; "" picks a free loopback port.
	Addr string
	// DataDir keeps the tables on disk across restarts; "" runs in memory.
	DataDir string
	// Log receives the emulator's output; nil discards it.
	Log io.Writer
}

// Server is a running DynamoDB Local process.
type Server struct {
	// Endpoint is the URL to give the DynamoDB client, such as http://127.0.0.1:8000.
	Endpoint string

	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start fetches DynamoDB Local if needed, runs it and returns once it answers requests.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.CacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		opts.CacheDir = dir
	}
	java, err := exec.LookPath("java")
	if err != nil {
		return nil, errors.New("dynamolocal: Java 17 or newer is needed to run DynamoDB Local; run `make deps` or install openjdk-17-jre-headless")
	}
	emulatorDir, err := Ensure(ctx, opts.CacheDir)
	if err != nil {
		return nil, err
	}
	addr := opts.Addr
	if addr == "" {
		addr, err = freeLoopbackAddr()
		if err != nil {
			return nil, err
		}
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("dynamolocal: bad address %q: %w", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	args := []string{
		"-Djava.library.path=" + filepath.Join(emulatorDir, "DynamoDBLocal_lib"),
		// A small heap and one compiler thread keep the emulator light beside the tests.
		"-Xms64m", "-Xmx1g", "-XX:+UseSerialGC",
		"-jar", filepath.Join(emulatorDir, jarName),
		"-port", port,
		"-disableTelemetry",
	}
	if opts.DataDir != "" {
		dataDir, err := filepath.Abs(opts.DataDir)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("dynamolocal: create data dir: %w", err)
		}
		// -sharedDb makes every client see the same tables whatever its credentials or region.
		args = append(args, "-dbPath", dataDir, "-sharedDb")
	} else {
		args = append(args, "-inMemory", "-sharedDb")
	}
	cmd := exec.Command(java, args...)
	cmd.Dir = emulatorDir
	// The emulator must not outlive us, even when we are killed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	var logTail tailBuffer
	if opts.Log != nil {
		cmd.Stdout = io.MultiWriter(opts.Log, &logTail)
	} else {
		cmd.Stdout = &logTail
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynamolocal: start java: %w", err)
	}
	s := &Server{Endpoint: "http://" + net.JoinHostPort(host, port), cmd: cmd, done: make(chan struct{})}
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	if err := s.waitReady(ctx, 60*time.Second); err != nil {
		_ = s.Stop()
		return nil, fmt.Errorf("%w; emulator output: %s", err, logTail.String())
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.Endpoint, strings.NewReader("{}"))
		req.Header.Set("X-Amz-Target", "DynamoDB_20120810.ListTables")
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return fmt.Errorf("dynamolocal: emulator exited: %v", s.err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dynamolocal: emulator did not answer at %s within %s", s.Endpoint, limit)
		}
	}
}

// Stop ends the emulator and waits for it to exit.
func (s *Server) Stop() error {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case <-s.done:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	return nil
}

// Done is closed when the emulator process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

func freeLoopbackAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("dynamolocal: find a free port: %w", err)
	}
	defer l.Close()
	return "127.0.0.1:" + strconv.Itoa(l.Addr().(*net.TCPAddr).Port), nil
}

// RepoRoot returns the directory of the go.mod above the working directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("dynamolocal: no go.mod above the working directory; set FASTTRACK_CACHE")
		}
		dir = parent
	}
}

// DefaultCacheDir is $FASTTRACK_CACHE/dynamodb-local; else .cache/dynamodb-local in the
// repository when run from inside it (as `make` does); else fasttrack/dynamodb-local in the
// user's cache directory, so that an installed binary works from anywhere.
func DefaultCacheDir() (string, error) {
	if dir := os.Getenv("FASTTRACK_CACHE"); dir != "" {
		return filepath.Join(dir, "dynamodb-local"), nil
	}
	if root, err := RepoRoot(); err == nil {
		return filepath.Join(root, ".cache", "dynamodb-local"), nil
	}
	userCache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("dynamolocal: no cache directory: set FASTTRACK_CACHE: %w", err)
	}
	return filepath.Join(userCache, "fasttrack", "dynamodb-local"), nil
}

// EndpointEnv names the variable that points tests at an already running DynamoDB Local.
const EndpointEnv = "FASTTRACK_TEST_DYNAMODB_ENDPOINT"

var (
	sharedOnce     sync.Once
	sharedEndpoint string
	sharedErr      error
)

// TestEndpoint returns the endpoint of a DynamoDB Local for tests: the one named by
// FASTTRACK_TEST_DYNAMODB_ENDPOINT (as `make test` sets), or else one started for this test
// binary, in memory, that dies with it. Tests share it and isolate themselves by table names.
func TestEndpoint(tb interface {
	Helper()
	Fatalf(string, ...any)
}) string {
	tb.Helper()
	if ep := os.Getenv(EndpointEnv); ep != "" {
		return ep
	}
	sharedOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		srv, err := Start(ctx, Options{})
		if err != nil {
			sharedErr = err
			return
		}
		sharedEndpoint = srv.Endpoint
	})
	if sharedErr != nil {
		tb.Fatalf("DynamoDB Local: %v", sharedErr)
	}
	return sharedEndpoint
}

// tailBuffer keeps the last few kilobytes written to it, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(t.buf))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return strings.Join(lines, " | ")
}
