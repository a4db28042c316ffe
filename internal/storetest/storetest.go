// Package storetest runs a real S3-compatible server for tests: versitygw, built into bin/ by
// `make s3-server`, over a temporary directory, behind a loopback proxy that counts every request
// the code under test sends to the storage.
package storetest

import (
	"context"
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
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/s3blob" // registers s3:// with blob.OpenBucket
)

// Region is the one region the server answers for; bucket URLs name it so that the SDK asks
// no metadata service for one.
const Region = "us-east-1"

const (
	accessKey   = "storetest-access"
	secretKey   = "storetest-secret"
	healthPath  = "/storetest-health"
	makeTarget  = "make s3-server"
	startupWait = 30 * time.Second
)

// S3 is one running server. Its counts cover every request since the start or the last Reset.
type S3 struct {
	// Endpoint is the proxy's base URL, the one that bucket URLs point at.
	Endpoint string

	mu     sync.Mutex
	counts map[string]int
}

// StartS3 starts a server for the test and stops it when the test ends. It sets the AWS
// credentials the server accepts in the environment, where the provider's standard credential
// chain finds them, so a test that calls it cannot run in parallel.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	binary := serverBinary(t)
	t.Setenv("AWS_ACCESS_KEY_ID", accessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	// A unix socket between the proxy and the server leaves no window in which another process
	// could take a port chosen for the server; its path must stay short, so not t.TempDir.
	sockDir, err := os.MkdirTemp("", "s3")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(sockDir) })
	socket := filepath.Join(sockDir, "s")
	logPath := filepath.Join(t.TempDir(), "versitygw.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()

	cmd := exec.Command(binary, "--port", socket, "--access", accessKey, "--secret", secretKey,
		"--region", Region, "--health", healthPath, "--quiet", "posix", t.TempDir())
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("storetest: start %s: %v", binary, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})

	transport := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}
	t.Cleanup(transport.CloseIdleConnections)
	serverURL := &url.URL{Scheme: "http", Host: "versitygw"}
	waitReady(t, &http.Client{Transport: transport}, serverURL.String()+healthPath, exited, logPath)

	s := &S3{counts: map[string]int{}}
	proxy := httputil.NewSingleHostReverseProxy(serverURL)
	proxy.Transport = transport
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[r.Method]++
		s.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	s.Endpoint = srv.URL
	return s
}

func waitReady(t testing.TB, client *http.Client, health string, exited <-chan struct{}, logPath string) {
	t.Helper()
	deadline := time.Now().Add(startupWait)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			out, _ := os.ReadFile(logPath)
			t.Fatalf("storetest: versitygw exited before it was ready:\n%s", out)
		default:
		}
		if resp, err := client.Get(health); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("storetest: versitygw did not answer %s within %s", healthPath, startupWait)
}

// serverBinary finds bin/versitygw-<version>/versitygw above the test's directory; the version
// is written once, in GNUmakefile. The newest build wins if several versions are there.
func serverBinary(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("storetest: no go.mod above the test's directory, so no bin/ to find versitygw in")
		}
		dir = parent
	}
	found, _ := filepath.Glob(filepath.Join(dir, "bin", "versitygw-*", "versitygw"))
	if len(found) == 0 {
		t.Fatalf("storetest: the S3-compatible server is not built: run `%s` (it builds versitygw into %s)",
			makeTarget, filepath.Join(dir, "bin"))
	}
	sort.Strings(found)
	return found[len(found)-1]
}

// BucketURL is the gocloud.dev URL of a bucket on this server, as a user would write it for
// any S3-compatible store.
func (s *S3) BucketURL(bucket string) string {
	q := url.Values{"endpoint": {s.Endpoint}, "region": {Region}, "use_path_style": {"true"}}
	return "s3://" + bucket + "?" + q.Encode()
}

// CreateBucket creates a bucket, returns its URL and leaves the counts as they were.
func (s *S3) CreateBucket(t testing.TB, name string) string {
	t.Helper()
	ctx := context.Background()
	bucketURL := s.BucketURL(name)
	bucket, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", bucketURL, err)
	}
	defer bucket.Close()
	var client *s3.Client
	if !bucket.As(&client) {
		t.Fatalf("storetest: %s is not an s3blob bucket", bucketURL)
	}
	before := s.Counts()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &name}); err != nil {
		t.Fatalf("storetest: create bucket %q: %v", name, err)
	}
	s.mu.Lock()
	s.counts = before
	s.mu.Unlock()
	return bucketURL
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
