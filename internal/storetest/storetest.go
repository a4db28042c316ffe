// Package storetest runs a real S3-compatible server for tests and benchmarks: versitygw, built
// into bin/ by `make s3-server`, over a directory, behind a loopback proxy that counts every
// request the code under test sends to the storage.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Region is the one region the server answers for; bucket URLs name it so that the SDK asks
// no metadata service for one.
const Region = "us-east-1"

const (
	accessKey   = "storetest-access"
	secretKey   = "storetest-secret"
	healthPath  = "/storetest-health"
	startupWait = 30 * time.Second
)

// serverURL reaches the server over its socket; the host is only a label.
var serverURL = &url.URL{Scheme: "http", Host: "versitygw"}

// S3 is one running server. Its counts cover every request since the start or the last Reset.
type S3 struct {
	// Endpoint is the proxy's base URL, the one that bucket URLs point at.
	Endpoint string

	cmd     *exec.Cmd
	direct  *http.Transport // to the server, past the proxy
	exited  chan struct{}
	sockDir string
	proxy   *httptest.Server

	mu     sync.Mutex
	counts map[string]int
}

// StartS3 starts a server over a temporary directory for the test and stops it when the test
// ends. Every server accepts the same credentials, so the first call puts them in this process's
// environment for good, where the provider's standard credential chain finds them: tests that
// start servers may then run in parallel.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	s, err := Start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	credentials.Do(func() {
		for _, kv := range s.Env() {
			name, value, _ := strings.Cut(kv, "=")
			_ = os.Setenv(name, value) // fails only for names with "=" or NUL; these are constants
		}
	})
	return s
}

var credentials sync.Once

// Start starts a server that keeps its buckets in dataDir; Close stops it.
func Start(dataDir string) (*S3, error) {
	binary, err := tool("versitygw", "versitygw", "s3-server")
	if err != nil {
		return nil, err
	}
	// A unix socket between the proxy and the server leaves no window in which another process
	// could take a port chosen for the server; its path must stay short, so not under dataDir.
	sockDir, err := os.MkdirTemp("", "s3")
	if err != nil {
		return nil, err
	}
	socket := filepath.Join(sockDir, "s")
	logPath := filepath.Join(sockDir, "versitygw.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()

	s := &S3{sockDir: sockDir, exited: make(chan struct{}), counts: map[string]int{}}
	s.cmd = exec.Command(binary, "--port", socket, "--access", accessKey, "--secret", secretKey,
		"--region", Region, "--health", healthPath, "--quiet", "posix", dataDir)
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		_ = os.RemoveAll(sockDir)
		return nil, fmt.Errorf("storetest: start %s: %w", binary, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()

	s.direct = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}
	if err := s.waitReady(&http.Client{Transport: s.direct}, serverURL.JoinPath(healthPath).String()); err != nil {
		out, _ := os.ReadFile(logPath)
		s.Close()
		return nil, fmt.Errorf("%w\nits output:\n%s", err, out)
	}
	forward := httputil.NewSingleHostReverseProxy(serverURL)
	forward.Transport = s.direct
	s.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[r.Method]++
		s.mu.Unlock()
		forward.ServeHTTP(w, r)
	}))
	s.Endpoint = s.proxy.URL
	return s, nil
}

func (s *S3) waitReady(client *http.Client, health string) error {
	for deadline := time.Now().Add(startupWait); time.Now().Before(deadline); {
		select {
		case <-s.exited:
			return errors.New("storetest: versitygw exited before it was ready")
		default:
		}
		if resp, err := client.Get(health); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("storetest: versitygw did not answer %s within %s", healthPath, startupWait)
}

// Close stops the proxy and the server this S3 started, and nothing else.
func (s *S3) Close() {
	if s.proxy != nil {
		s.proxy.Close()
	}
	_ = s.cmd.Process.Kill()
	<-s.exited
	s.direct.CloseIdleConnections()
	_ = os.RemoveAll(s.sockDir)
}

// tool finds a server built into bin/ by a make target, as bin/<name>-<version>/<rel>, above the
// working directory; versions are written once, in GNUmakefile. The newest build wins if several
// versions are there.
func tool(name, rel, target string) (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("storetest: no go.mod above the working directory, so no bin/ to find %s in", name)
		}
		dir = parent
	}
	found, _ := filepath.Glob(filepath.Join(dir, "bin", name+"-*", rel))
	if len(found) == 0 {
		return "", fmt.Errorf("storetest: %s is not built: run `make %s` (it builds it into %s)", name, target, filepath.Join(dir, "bin"))
	}
	sort.Strings(found)
	return found[len(found)-1], nil
}

// Env is the credentials the server accepts, as NAME=value for a process's environment. The
// profile and metadata service are turned off so that nothing on the machine is asked instead.
func (s *S3) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secretKey, "AWS_SESSION_TOKEN=",
		"AWS_PROFILE=", "AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true",
	}
}

// BucketURL is the gocloud.dev URL of a bucket on this server, as a user would write it for
// any S3-compatible store.
func (s *S3) BucketURL(bucket string) string {
	q := url.Values{"endpoint": {s.Endpoint}, "region": {Region}, "use_path_style": {"true"}}
	return "s3://" + bucket + "?" + q.Encode()
}

// CreateBucket creates a bucket for the test and returns its URL.
func (s *S3) CreateBucket(t testing.TB, name string) string {
	t.Helper()
	bucketURL, err := s.NewBucket(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return bucketURL
}

// NewBucket creates a bucket and returns its URL. It talks to the server directly, so its
// request is not counted.
func (s *S3) NewBucket(ctx context.Context, name string) (string, error) {
	client := s3.New(s3.Options{
		Region: Region, BaseEndpoint: aws.String(serverURL.String()), UsePathStyle: true,
		HTTPClient: &http.Client{Transport: s.direct},
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: accessKey, SecretAccessKey: secretKey}, nil
		}),
	})
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		return "", fmt.Errorf("storetest: create bucket %q: %w", name, err)
	}
	return s.BucketURL(name), nil
}

// Counts returns the requests the server received, by HTTP method (HEAD is a read of an
// object's attributes, GET a download, PUT an upload or a copy).
func (s *S3) Counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.counts)
}

// Total is the number of requests of any method.
func (s *S3) Total() int {
	n := 0
	for _, c := range s.Counts() {
		n += c
	}
	return n
}

// Reset sets every count to zero.
func (s *S3) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
}
