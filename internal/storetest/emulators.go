package storetest

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// The Google Cloud Storage and Azure Blob Storage emulators, built into bin/ by
// `make emulators`, each serving one bucket for a test. Their SDKs read the emulator's address and
// credentials from the environment, once per process, so a provider that talks to them must be
// started after StartGCS or StartAzurite, as each terraform command of a tfharness workspace
// starts its own.

// StartGCS starts fake-gcs-server on a loopback port for the test, with one empty bucket in
// memory, points STORAGE_EMULATOR_HOST at it, which the Google SDK obeys without credentials,
// and returns the bucket's gs:// URL.
func StartGCS(t *testing.T, bucket string) string {
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
	t.Setenv("STORAGE_EMULATOR_HOST", host)
	return "gs://" + bucket
}

// Azurite's one account; its key is the documented, public development key.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// StartAzurite starts Azurite's blob service on a loopback port for the test, with one empty
// container in memory, puts its account and key in the environment, where the Azure SDK finds
// shared-key credentials, and returns the container's azblob:// URL.
func StartAzurite(t *testing.T, container string) string {
	t.Helper()
	port := freePort(t)
	host := net.JoinHostPort("127.0.0.1", port)
	startEmulator(t, "azurite", "node_modules/.bin/azurite-blob", "http://"+host, "--blobHost", "127.0.0.1",
		"--blobPort", port, "--inMemoryPersistence", "--silent", "--skipApiVersionCheck", "--disableTelemetry")
	t.Setenv("AZURE_STORAGE_ACCOUNT", azuriteAccount)
	t.Setenv("AZURE_STORAGE_KEY", azuriteKey)
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
	return "azblob://" + container + "?" + q.Encode()
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
