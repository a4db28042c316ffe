package provider

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/storetest"
)

// gs:// and azblob:// buckets without a cloud account: their URLs are checked at plan; a bucket
// the provider has no credentials for fails the apply with an error that names the bucket and
// the key, with nothing paid for; and an object is stored through each cloud's emulator.

// cloudObjectConfig copies the file of a finished task into bucket under key.
func cloudObjectConfig(fileURL, bucket, key string) string {
	return fmt.Sprintf(`
resource "apimart_image_object" "o" {
  url    = %q
  bucket = %q
  key    = %q
}
`, fileURL, bucket, key)
}

func TestAccImageObject_cloudBucketURLsAreCheckedAtPlan(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t)
	rec := seedCompletedTask(t, fake, "imagen-4.0-apimart", "checked at plan", "1:1", 1)
	fake.ResetCounters()
	var steps []resource.TestStep
	for _, bucket := range []string{
		"gs:///images",                   // no bucket name
		"azblob://?storage_account=acct", // no container
		"gcs://assets",                   // not a scheme gocloud.dev knows
	} {
		steps = append(steps, resource.TestStep{
			Config:      providerConfig(baseURL) + cloudObjectConfig(fileURL(baseURL, rec), bucket, "images/hero.png"),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`bucket(.|\n)*` + regexp.QuoteMeta(bucket)),
		})
	}
	unitTest(t, resource.TestCase{Steps: steps})
	requireCounts(t, fake, counts{"requests": 0}) // nothing downloaded, nothing sent to the API
}

// cloudWithoutCredentials applies a copy into bucket on a machine with no credentials for it, in
// a fresh provider process for each command (the cloud SDKs read their environment once per
// process), and checks that the apply fails naming the bucket and the key, twice, with no task
// paid for, no key sent with a download and no object in state.
func cloudWithoutCredentials(t *testing.T, bucket string, env map[string]string) {
	fake, baseURL := startFake(t)
	rec := seedCompletedTask(t, fake, "imagen-4.0-apimart", "nowhere to go", "1:1", 1)
	fake.ResetCounters()
	w := binaryWorkspace(t, baseURL, cloudObjectConfig(fileURL(baseURL, rec), bucket, "images/hero.png"))
	for name, value := range env { // for terraform and the provider only: go build needs the real HOME
		w = w.WithEnv(name + "=" + value)
	}
	for range 2 {
		r := w.Run(context.Background(), "apply", "-auto-approve", "-input=false")
		if r.Err == nil {
			t.Fatalf("apply into %s without credentials succeeded:\n%s", bucket, r.Stdout)
		}
		// Terraform wraps long diagnostics; compare the words only.
		message := strings.Join(strings.Fields(strings.ReplaceAll(r.Stderr, "│", " ")), " ")
		for _, want := range []string{bucket, "images/hero.png", "credential"} {
			if !strings.Contains(strings.ToLower(message), strings.ToLower(want)) {
				t.Errorf("the error does not name %q:\n%s", want, r.Stderr)
			}
		}
	}
	requireCounts(t, fake, counts{"tasks_created": 0, "downloads_with_authorization": 0})
	if _, ok := w.Resources(t)["apimart_image_object.o"]; ok {
		t.Error("the object is in state although it was never stored")
	}
}

func TestAccImageObject_gcsWithoutCredentials(t *testing.T) {
	t.Parallel()
	home := t.TempDir() // no gcloud login and no application default credentials in it
	cloudWithoutCredentials(t, "gs://apimart-test-assets", map[string]string{
		"GOOGLE_APPLICATION_CREDENTIALS": "", "CLOUDSDK_CONFIG": home, "HOME": home,
		"STORAGE_EMULATOR_HOST": "", "GCE_METADATA_HOST": "",
	})
}

func TestAccImageObject_azureWithoutCredentials(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HOME": t.TempDir()} // no Azure CLI login in it
	for _, name := range []string{
		"AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_KEY", "AZURE_STORAGE_SAS_TOKEN", "AZURE_STORAGE_CONNECTION_STRING",
		"AZURE_STORAGEBLOB_CONNECTIONSTRING", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET",
		"AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "MSI_ENDPOINT",
	} {
		env[name] = ""
	}
	cloudWithoutCredentials(t, "azblob://assets?storage_account=apimarttest", env)
}

// storeThroughEmulator copies the file of a finished task into the emulator's bucket, in fresh
// provider processes that get the emulator's environment, then plans: the plan is empty only if
// the object's attributes, read back from the emulator, carry the image's hash.
func storeThroughEmulator(t *testing.T, emulator storetest.Emulator) {
	fake, baseURL := startFake(t)
	rec := seedCompletedTask(t, fake, "imagen-4.0-apimart", "stored in an emulator", "1:1", 1)
	width, height := fakeapimart.Dimensions(rec, fakeapimart.DefaultImageScale)
	body, err := fakeapimart.RenderPNG(rec.Prompt, width, height, 0)
	if err != nil {
		t.Fatal(err)
	}
	fake.ResetCounters()
	w := binaryWorkspace(t, baseURL, cloudObjectConfig(fileURL(baseURL, rec), emulator.BucketURL, "images/hero.png")).WithEnv(emulator.Env...)
	w.MustRun(t, "apply", "-auto-approve", "-input=false")
	requireCounts(t, fake, counts{"tasks_created": 0, "image_downloads": 1, "downloads_with_authorization": 0})
	sum := sha256.Sum256(body)
	if got := w.Resources(t)["apimart_image_object.o"].AttributeValues["sha256"]; got != hex.EncodeToString(sum[:]) {
		t.Errorf("sha256 in state = %v, want %x, the file's", got, sum)
	}
	fake.ResetCounters()
	w.MustRun(t, "plan", "-detailed-exitcode", "-input=false")
	requireCounts(t, fake, counts{"requests": 0, "image_downloads": 0})
}

func TestAccImageObject_gcsEmulator(t *testing.T) {
	t.Parallel()
	storeThroughEmulator(t, storetest.StartGCS(t, "apimart-assets"))
}

func TestAccImageObject_azuriteEmulator(t *testing.T) {
	t.Parallel()
	storeThroughEmulator(t, storetest.StartAzurite(t, "assets"))
}
