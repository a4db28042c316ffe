// Package storetest runs real storage servers on loopback for tests and benchmarks. The
// S3-compatible one is versitygw, built into bin/ by `make s3-server`, over a directory, behind a
// proxy that counts every request the code under test sends to the storage. The Google Cloud
// Storage and Azure Blob Storage emulators, built into bin/ by `make emulators`, each serve one
// bucket for a test. Their SDKs read the emulator's address and credentials from the environment,
// once per process, so each emulator comes with the environment that reaches it (Emulator.Env),
// for the processes a test starts, such as the terraform commands of a tfharness workspace: the
// test process's own environment stays as it was, and tests of several emulators run in parallel.
package storetest

import (
	"context"
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
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// region is the one region the server answers for; bucket URLs name it so that the SDK asks
// no metadata service for one.
const region = "us-east-1"

const (
	accessKey   = "storetest-access"
	secretKey   = "storetest-secret"
	healthPath  = "/storetest-health"
	startupWait = 60 * time.Second // Azurite's Node loads slowly on a busy machine
)

// serverURL reaches the server over its socket; the host is only a label.
var serverURL = &url.URL{Scheme: "http", Host: "versitygw"}

// S3 is one running server. Its counts cover every request since the start or the last Reset.
type S3 struct {
	stopServer func()
	direct     *http.Transport  // to the server, past the proxy
	proxy      *httptest.Server // counts the requests; bucket URLs point at it
	sockDir    string

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
			// For the whole process, not t.Setenv, which would forbid parallel tests. It fails
			// only for names with "=" or NUL; these are constants.
			_ = os.Setenv(name, value) //nolint:usetesting
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
	s := &S3{sockDir: sockDir, counts: map[string]int{}}
	s.direct = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", socket)
	}}
	s.stopServer, err = startServer(exec.Command(binary, "--port", socket, "--access", accessKey, "--secret", secretKey,
		"--region", region, "--health", healthPath, "--quiet", "posix", dataDir),
		filepath.Join(sockDir, "versitygw.log"), &http.Client{Transport: s.direct}, serverURL.JoinPath(healthPath).String())
	if err != nil {
		_ = os.RemoveAll(sockDir)
		return nil, err
	}
	forward := httputil.NewSingleHostReverseProxy(serverURL)
	forward.Transport = s.direct
	s.proxy = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.counts[r.Method]++
		s.mu.Unlock()
		forward.ServeHTTP(w, r)
	}))
	return s, nil
}

// Close stops the proxy and the server this S3 started, and nothing else.
func (s *S3) Close() {
	s.proxy.Close()
	s.stopServer()
	s.direct.CloseIdleConnections()
	_ = os.RemoveAll(s.sockDir)
}

// startServer starts cmd with its output in logPath and waits until it answers a GET of probe
// through client. If it exits first or does not answer within startupWait, startServer stops it
// and returns an error that quotes its output. stop kills the server, and only it, and waits
// for it to exit.
func startServer(cmd *exec.Cmd, logPath string, client *http.Client, probe string) (stop func(), err error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("storetest: start %s: %w", cmd.Path, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop = func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	if err := waitReady(filepath.Base(cmd.Path), exited, client, probe); err != nil {
		stop()
		out, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("%w\nits output:\n%s", err, out)
	}
	return stop, nil
}

// waitReady polls probe until the server answers it at all: any HTTP status means it listens.
func waitReady(name string, exited <-chan struct{}, client *http.Client, probe string) error {
	for deadline := time.Now().Add(startupWait); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-exited:
			return fmt.Errorf("storetest: %s exited before it was ready", name)
		default:
		}
		if resp, err := client.Get(probe); err == nil {
			_ = resp.Body.Close()
			return nil
		}
	}
	return fmt.Errorf("storetest: %s did not answer %s within %s", name, probe, startupWait)
}

// tool finds a server built into bin/ by a make target, as bin/<name>-<version>/<rel>, in the
// module's root; versions are written once, in GNUmakefile. The newest build wins if several
// versions are there (Glob lists them in lexical order).
func tool(name, rel, target string) (string, error) {
	root, err := tfharness.ModuleRoot(context.Background())
	if err != nil {
		return "", fmt.Errorf("storetest: no bin/ to find %s in: %w", name, err)
	}
	found, _ := filepath.Glob(filepath.Join(root, "bin", name+"-*", rel))
	if len(found) == 0 {
		return "", fmt.Errorf("storetest: %s is not built: run `make %s` (it builds it into %s)", name, target, filepath.Join(root, "bin"))
	}
	return found[len(found)-1], nil
}

// Env is the credentials the server accepts, as NAME=value for a process's environment. The
// profile and metadata service are turned off so that nothing on the machine is asked instead.
// The SDK makes one attempt per request: the server on loopback fails a request only when a test
// makes it fail, and retries would only wait out their backoff, over three seconds.
func (s *S3) Env() []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secretKey, "AWS_SESSION_TOKEN=",
		"AWS_PROFILE=", "AWS_CONFIG_FILE=" + os.DevNull, "AWS_SHARED_CREDENTIALS_FILE=" + os.DevNull,
		"AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1",
	}
}

// BucketURL is the gocloud.dev URL of a bucket on this server, as a user would write it for
// any S3-compatible store.
func (s *S3) BucketURL(bucket string) string {
	q := url.Values{"endpoint": {s.proxy.URL}, "region": {region}, "use_path_style": {"true"}}
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
		Region: region, BaseEndpoint: aws.String(serverURL.String()), UsePathStyle: true,
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

// Emulator is one running emulator with one bucket.
type Emulator struct {
	BucketURL string   // the bucket, as a gocloud.dev URL
	Env       []string // NAME=value, what a process needs in its environment to reach the bucket
}

// StartGCS starts fake-gcs-server on a loopback port for the test, with one empty bucket in
// memory. Its Env points STORAGE_EMULATOR_HOST at it, which the Google SDK obeys without
// credentials.
func StartGCS(t *testing.T, bucket string) Emulator {
	t.Helper()
	// The emulator creates a bucket for each directory of its -data directory.
	data := t.TempDir()
	if err := os.Mkdir(filepath.Join(data, bucket), 0o700); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	host := net.JoinHostPort("127.0.0.1", port)
	startEmulator(t, "fake-gcs-server", "fake-gcs-server", "http://"+host+"/storage/v1/b", "-backend", "memory",
		"-data", data, "-scheme", "http", "-host", "127.0.0.1", "-port", port, "-log-level", "error")
	return Emulator{BucketURL: "gs://" + bucket, Env: []string{"STORAGE_EMULATOR_HOST=" + host}}
}

// Azurite's one account; its key is the documented, public development key.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// StartAzurite starts Azurite's blob service on a loopback port for the test, with one empty
// container in memory. Its Env holds the account and key, where the Azure SDK finds shared-key
// credentials.
func StartAzurite(t *testing.T, container string) Emulator {
	t.Helper()
	port := freePort(t)
	host := net.JoinHostPort("127.0.0.1", port)
	startEmulator(t, "azurite", "node_modules/.bin/azurite-blob", "http://"+host, "--blobHost", "127.0.0.1",
		"--blobPort", port, "--inMemoryPersistence", "--silent", "--skipApiVersionCheck", "--disableTelemetry")
	cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	client, err := azblob.NewClientWithSharedKeyCredential("http://"+host+"/"+azuriteAccount, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateContainer(context.Background(), container, nil); err != nil {
		t.Fatalf("storetest: create Azurite container %q: %v", container, err)
	}
	q := url.Values{"protocol": {"http"}, "domain": {host}, "localemu": {"true"}}
	return Emulator{
		BucketURL: "azblob://" + container + "?" + q.Encode(),
		Env:       []string{"AZURE_STORAGE_ACCOUNT=" + azuriteAccount, "AZURE_STORAGE_KEY=" + azuriteKey},
	}
}

// startEmulator starts bin/<name>-<version>/<rel> with args in a temporary directory, for
// anything it writes beside its memory, until the test ends, and waits until probe answers.
func startEmulator(t *testing.T, name, rel, probe string, args ...string) {
	t.Helper()
	binary, err := tool(name, rel, "emulators")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(binary, args...)
	cmd.Dir = dir
	stop, err := startServer(cmd, filepath.Join(dir, name+".log"), http.DefaultClient, probe)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
}

// freePort is a loopback port that was free a moment ago. The emulators are given one because
// fake-gcs-server reports port 0 instead of the port it took, and one wait serves both.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, err := net.SplitHostPort(ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return port
}
