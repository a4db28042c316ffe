package storetest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// The Google Cloud Storage and Azure Blob Storage emulators, built into bin/ by
// `make emulators`. Their SDKs read the emulator's address and credentials from the environment,
// once per process, so a provider that talks to them must be started after StartGCS or
// StartAzurite, as each terraform command of a tfharness workspace starts its own.

// GCS is fake-gcs-server on a loopback port, with its buckets in memory.
type GCS struct {
	// Host is the emulator's host:port, as STORAGE_EMULATOR_HOST takes it.
	Host string
}

// StartGCS starts the emulator for the test and points STORAGE_EMULATOR_HOST at it, which the
// Google SDK obeys without credentials.
func StartGCS(t *testing.T) *GCS {
	t.Helper()
	binary, err := tool("fake-gcs-server", "fake-gcs-server", "emulators")
	if err != nil {
		t.Fatal(err)
	}
	// The emulator reports port 0 instead of the port it took, so it is given one.
	port := freePort(t)
	g := &GCS{Host: net.JoinHostPort("127.0.0.1", port)}
	startUntilCleanup(t, exec.Command(binary, "-backend", "memory", "-scheme", "http", "-host", "127.0.0.1",
		"-port", port, "-log-level", "error"))
	waitFor(t, "fake-gcs-server", func() bool {
		resp, err := http.Get("http://" + g.Host + "/storage/v1/b")
		if err == nil {
			_ = resp.Body.Close()
		}
		return err == nil && resp.StatusCode == http.StatusOK
	})
	t.Setenv("STORAGE_EMULATOR_HOST", g.Host)
	return g
}

// CreateBucket creates a bucket and returns its gs:// URL.
func (g *GCS) CreateBucket(t *testing.T, name string) string {
	t.Helper()
	resp, err := http.Post("http://"+g.Host+"/storage/v1/b?project=storetest", "application/json",
		strings.NewReader(fmt.Sprintf(`{"name": %q}`, name)))
	if err != nil {
		t.Fatalf("storetest: create GCS bucket %q: %v", name, err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("storetest: create GCS bucket %q: %s", name, resp.Status)
	}
	return "gs://" + name
}

// Azurite is Azurite's blob service on a loopback port, with its containers in memory.
type Azurite struct {
	// Endpoint is the blob service's base URL.
	Endpoint string
}

// The emulator's one account; its key is the documented, public development key.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

var azuriteListens = regexp.MustCompile(`listens on (http://127\.0\.0\.1:\d+)`)

// StartAzurite starts the emulator for the test and puts its account and key in the
// environment, where the Azure SDK finds shared-key credentials.
func StartAzurite(t *testing.T) *Azurite {
	t.Helper()
	binary, err := tool("azurite", "node_modules/.bin/azurite-blob", "emulators")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "--blobHost", "127.0.0.1", "--blobPort", "0", "--inMemoryPersistence",
		"--silent", "--skipApiVersionCheck", "--disableTelemetry")
	cmd.Dir = t.TempDir() // for anything it writes beside its memory
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	startUntilCleanup(t, cmd)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := azuriteListens.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case endpoint := <-found:
		t.Setenv("AZURE_STORAGE_ACCOUNT", azuriteAccount)
		t.Setenv("AZURE_STORAGE_KEY", azuriteKey)
		return &Azurite{Endpoint: endpoint}
	case <-time.After(startupWait * 2): // Node loads slowly on a busy machine
		t.Fatalf("storetest: Azurite printed no address within %s", startupWait*2)
		return nil
	}
}

// CreateBucket creates a container and returns its azblob:// URL.
func (a *Azurite) CreateBucket(t *testing.T, name string) string {
	t.Helper()
	cred, err := azblob.NewSharedKeyCredential(azuriteAccount, azuriteKey)
	if err != nil {
		t.Fatal(err)
	}
	client, err := azblob.NewClientWithSharedKeyCredential(a.Endpoint+"/"+azuriteAccount, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateContainer(context.Background(), name, nil); err != nil {
		t.Fatalf("storetest: create Azurite container %q: %v", name, err)
	}
	u, _ := url.Parse(a.Endpoint)
	q := url.Values{"protocol": {"http"}, "domain": {u.Host}, "localemu": {"true"}}
	return "azblob://" + name + "?" + q.Encode()
}

// startUntilCleanup starts cmd and kills it, and only it, when the test ends.
func startUntilCleanup(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatalf("storetest: start %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
}

func waitFor(t *testing.T, what string, ready func() bool) {
	t.Helper()
	for deadline := time.Now().Add(startupWait); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ready() {
			return
		}
	}
	t.Fatalf("storetest: %s was not ready within %s", what, startupWait)
}

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
