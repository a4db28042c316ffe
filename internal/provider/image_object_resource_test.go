package provider

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"gocloud.dev/blob"
	"gocloud.dev/gcerrors"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
	"github.com/apimart/terraform-provider-apimart/internal/imagebytes"
	"github.com/apimart/terraform-provider-apimart/internal/storetest"
)

// objectConfig is one image and the object it is copied to; extra goes into the object's block.
func objectConfig(baseURL, bucket, key, extra string) string {
	return providerConfig(baseURL) + fmt.Sprintf(`
resource "apimart_image" "hero" {
  prompt = "a lighthouse at dusk"
}

resource "apimart_image_object" "hero" {
  url    = apimart_image.hero.url
  bucket = %q
  key    = %q
  %s
}
`, bucket, key, extra)
}

// fileBucket is a file:// bucket in a directory that does not exist yet.
func fileBucket(t *testing.T) (string, string) {
	dir := filepath.Join(t.TempDir(), "not", "yet", "there")
	return "file://" + dir, dir
}

// storedObject reads an object back through the same bucket code the resource uses.
func storedObject(bucketURL, key string) (imagebytes.Facts, string, error) {
	ctx := context.Background()
	b, err := openBucket(ctx, bucketURL)
	if err != nil {
		return imagebytes.Facts{}, "", err
	}
	defer b.Close()
	attrs, err := b.Attributes(ctx, key)
	if err != nil {
		return imagebytes.Facts{}, "", err
	}
	facts, err := measureObject(ctx, b, key)
	if err != nil {
		return imagebytes.Facts{}, "", err
	}
	if attrs.Metadata[metaSHA256] != facts.SHA256 || attrs.ContentType != facts.ContentType {
		return facts, "", fmt.Errorf("object %s carries sha256 %q and type %q; its bytes are %s, %s", key, attrs.Metadata[metaSHA256], attrs.ContentType, facts.SHA256, facts.ContentType)
	}
	return facts, attrs.CacheControl, nil
}

// checkObjectMatchesState asserts that the object named in state holds the image state records,
// with its hash as metadata, and the Cache-Control state records.
func checkObjectMatchesState(address string) statecheck.StateCheck {
	return stateFunc(func(state attributes) error {
		attrs := state[address]
		facts, cacheControl, err := storedObject(attrs["bucket"], attrs["key"])
		if err != nil {
			return err
		}
		want := fmt.Sprintf("%s %d %s %dx%d %q", attrs["sha256"], facts.Bytes, attrs["content_type"], facts.Width, facts.Height, attrs["cache_control"])
		got := fmt.Sprintf("%s %s %s %sx%s %q", facts.SHA256, attrs["bytes"], facts.ContentType, attrs["width"], attrs["height"], cacheControl)
		if got != want || attrs["id"] != facts.SHA256 {
			return fmt.Errorf("the object holds %s; state says %s (id %s)", got, want, attrs["id"])
		}
		return nil
	})
}

func checkNoObject(bucketURL, key string) statecheck.StateCheck {
	return stateFunc(func(attributes) error { return noObjectAt(bucketURL, key) })
}

func noObjectAt(bucketURL, key string) error {
	_, _, err := storedObject(bucketURL, key)
	if gcerrors.Code(err) != gcerrors.NotFound {
		return fmt.Errorf("want no object %s in %s, reading it gave: %v", key, bucketURL, err)
	}
	return nil
}

// noTemporaryFiles is noTemporaryFilesIn as a state check.
func noTemporaryFiles(dir string) statecheck.StateCheck {
	return stateFunc(func(attributes) error { return noTemporaryFilesIn(dir) })
}

// noTemporaryFilesIn asserts that a directory bucket holds only its objects and their metadata.
func noTemporaryFilesIn(dir string) error {
	return filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !strings.HasSuffix(p, ".png") && !strings.HasSuffix(p, ".attrs") {
			return fmt.Errorf("a stray file in the bucket: %s", p)
		}
		return err
	})
}

func TestAccImageObject_fileBucketCopiesOnceThenMovesAndRewritesWithoutDownloads(t *testing.T) {
	fake, baseURL := startFake(t)
	bucket, dir := fileBucket(t)
	const address = "apimart_image_object.hero"
	parallelUnitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{
			{
				Config: objectConfig(baseURL, bucket, "images/hero.png", ""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(address, tfjsonpath.New("content_type"), knownvalue.StringExact("image/png")),
					statecheck.ExpectKnownValue(address, tfjsonpath.New("drift"), knownvalue.Null()),
					checkObjectMatchesState(address),
					checkPixelsOfOnlyTask(fake, address),
					noTemporaryFiles(dir),
					countsInState(fake, fileCounts(1, 1, 0)),
				},
				PostApplyFunc: fake.ResetCounters,
			},
			plansNothing(objectConfig(baseURL, bucket, "images/hero.png", ""), fake, counts{"requests": 0}), // plans of an intact object
			{
				Config: objectConfig(baseURL, bucket, "moved/hero.png", ""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(address, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(address, tfjsonpath.New("sha256"), knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{64}$`))),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					checkObjectMatchesState(address),
					checkNoObject(bucket, "images/hero.png"),
					countsInState(fake, counts{"requests": 0}),
				},
			},
			{
				Config: objectConfig(baseURL, bucket, "moved/hero.png", `cache_control = "public, max-age=31536000, immutable"`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(address, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					checkObjectMatchesState(address),
					noTemporaryFiles(dir),
					countsInState(fake, counts{"requests": 0}),
				},
			},
		},
		CheckDestroy: func(*terraform.State) error { return noObjectAt(bucket, "moved/hero.png") },
	})
}

func TestParseBucketURL(t *testing.T) {
	for _, ok := range []string{"s3://site-assets?region=eu-central-1", "s3://b?endpoint=http://127.0.0.1:9000&use_path_style=true&region=us-east-1",
		"gs://assets", "azblob://container", "file:///srv/assets"} {
		if _, err := parseBucketURL(ok); err != nil {
			t.Errorf("parseBucketURL(%q): %v", ok, err)
		}
	}
	for bad, says := range map[string]string{
		"ftp://host/dir":      `the scheme "ftp"; allowed are s3://`,
		"site-assets":         `the scheme ""`,
		"s3://":               "names no bucket",
		"file://relative/dir": "absolute directory",
		"s3://a b%zz":         "is not a URL",
	} {
		if _, err := parseBucketURL(bad); err == nil || !strings.Contains(err.Error(), says) || !strings.Contains(err.Error(), fmt.Sprintf("%q", bad)) {
			t.Errorf("parseBucketURL(%q) = %v; want an error that names the value and says %q", bad, err, says)
		}
	}
}

func TestParseObjectImportID(t *testing.T) {
	m, err := parseObjectImportID("s3://b?region=x images/my hero.png https://cdn.example/f/1.png")
	if err != nil || m.Bucket.ValueString() != "s3://b?region=x" || m.Key.ValueString() != "images/my hero.png" || m.URL.ValueString() != "https://cdn.example/f/1.png" {
		t.Fatalf("parseObjectImportID = %+v, %v", m, err)
	}
	for _, bad := range []string{"s3://b?region=x https://cdn.example/f/1.png", "s3://b /abs.png https://cdn.example/f/1.png",
		"ftp://b k.png https://cdn.example/f/1.png", "s3://b k.png ftp://cdn.example/f/1.png"} {
		if _, err := parseObjectImportID(bad); err == nil {
			t.Errorf("parseObjectImportID(%q) accepted it", bad)
		}
	}
}

// failingReader gives some bytes and then fails, as a download or a read cut off would.
type failingReader struct{ data []byte }

var errCut = errors.New("connection reset")

func (r *failingReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, errCut
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func TestPutObjectLeavesNoPartialObject(t *testing.T) {
	bucket, dir := fileBucket(t)
	ctx := context.Background()
	b, err := openBucket(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	facts := imagebytes.Facts{SHA256: "x", ContentType: "image/png"}
	if err := putObject(ctx, b, "a/hero.png", &failingReader{data: []byte("half an image")}, facts, ""); !errors.Is(err, errCut) {
		t.Fatalf("putObject of a body cut off: %v", err)
	}
	if err := noObjectAt(bucket, "a/hero.png"); err != nil {
		t.Error(err)
	}
	if err := noTemporaryFilesIn(dir); err != nil {
		t.Error(err)
	}
}

// An upload to S3 is one PUT of the temporary file, written so that gocloud.dev reads it back
// (a key that s3blob escapes, the facts as metadata, the Cache-Control); a body shorter than the
// length announced fails and leaves no object.
func TestUploadFileToS3IsOnePutThatBlobReadsBack(t *testing.T) {
	t.Parallel()
	s3, bucket := s3Bucket(t, "uploads")
	ctx := context.Background()
	b, err := openBucket(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	spool, facts := pngSpool(t)
	key := "odd/../hero.png"
	s3.Reset()
	if err := uploadFile(ctx, b, key, spool.File(), facts, "max-age=60"); err != nil {
		t.Fatal(err)
	}
	if got := s3.Counts(); got["PUT"] != 1 || s3.Total() != 1 {
		t.Errorf("storage requests for one upload: %v, want one PUT", got)
	}
	stored, cacheControl, err := storedObject(bucket, key)
	if err != nil || stored != facts || cacheControl != "max-age=60" {
		t.Fatalf("read back %+v, Cache-Control %q, %v; want %+v, max-age=60", stored, cacheControl, err, facts)
	}
	if _, err := spool.File().Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	longer := facts
	longer.Bytes++
	if err := uploadFile(ctx, b, "short.png", spool.File(), longer, ""); err == nil {
		t.Fatal("an upload of a body shorter than its length succeeded")
	}
	if err := noObjectAt(bucket, "short.png"); err != nil {
		t.Error(err)
	}
}

// s3Bucket starts the S3-compatible server and creates a bucket on it.
func s3Bucket(tb testing.TB, name string) (*storetest.S3, string) {
	s3 := storetest.StartS3(tb)
	return s3, s3.CreateBucket(tb, name)
}

// pngSpool is a temporary file holding a small PNG, measured and ready to be read from its start.
func pngSpool(tb testing.TB) (*imagebytes.Spool, imagebytes.Facts) {
	spool, err := imagebytes.NewSpool(tb.TempDir(), spoolPattern, 0)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(spool.Discard)
	if err := png.Encode(spool, image.NewNRGBA(image.Rect(0, 0, 3, 2))); err != nil {
		tb.Fatal(err)
	}
	facts, err := spool.Facts()
	if err != nil {
		tb.Fatal(err)
	}
	return spool, facts
}

func TestCopyObjectRefusesBytesThatAreNotTheRecordedImage(t *testing.T) {
	bucket, _ := fileBucket(t)
	ctx := context.Background()
	b, err := openBucket(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	data := testPNG(t)
	facts, err := imagebytes.Measure(bytes.NewReader(data), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WriteAll(ctx, "src.png", append(data, 0), nil); err != nil {
		t.Fatal(err)
	}
	err = copyObject(ctx, b, "src.png", b, "dst.png", facts, "")
	if err == nil || !strings.Contains(err.Error(), "not copied") {
		t.Fatalf("copyObject of other bytes: %v", err)
	}
	if err := noObjectAt(bucket, "dst.png"); err != nil {
		t.Error(err)
	}
}

func TestAccImageObject_badInputFailsAtPlanWithNothingSent(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t)
	bucket, dir := fileBucket(t)
	var steps []resource.TestStep
	for _, tt := range []struct{ bucket, key, says string }{
		{"not a url%zz", "a.png", `bucket "not a url%zz" is not a URL`},
		{"ftp://assets", "a.png", `bucket "ftp://assets" has the scheme "ftp"; allowed are s3://`},
		{"file://relative/dir", "a.png", "does not name an absolute directory"},
		{bucket, "", `key is empty`},
		{bucket, "/images/a.png", `key "/images/a.png" starts with "/"`},
	} {
		steps = append(steps, resource.TestStep{
			Config:      objectConfig(baseURL, tt.bucket, tt.key, ""),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(words(tt.says)),
		})
	}
	unitTest(t, resource.TestCase{Steps: steps})
	requireCounts(t, fake, counts{"requests": 0})
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a plan created the bucket's directory: %v", err)
	}
}

func TestAccImageObject_importReadsTheObjectNotTheURL(t *testing.T) {
	t.Parallel()
	fake, baseURL := startFake(t)
	rec := seedCompletedTask(t, fake, "imagen-4.0-apimart", "stored by another tool", "4:3", 1)
	width, height := fakeapimart.Dimensions(rec, fakeapimart.DefaultImageScale)
	body, err := fakeapimart.RenderPNG(rec.Prompt, width, height, 0)
	if err != nil {
		t.Fatal(err)
	}
	bucket, _ := fileBucket(t)
	ctx := context.Background()
	b, err := openBucket(ctx, bucket)
	if err != nil {
		t.Fatal(err)
	}
	// Stored without our metadata, as another tool would: import reads the object to learn it.
	if err := b.WriteAll(ctx, "in/hero.png", body, &blob.WriterOptions{CacheControl: "max-age=60"}); err != nil {
		t.Fatal(err)
	}
	b.Close()
	url := fileURL(baseURL, rec)
	config := providerConfig(baseURL) + fmt.Sprintf(`
resource "apimart_image_object" "adopted" {
  url           = %q
  bucket        = %q
  key           = "in/hero.png"
  cache_control = "max-age=60"
}
`, url, bucket)
	const address = "apimart_image_object.adopted"
	fake.ResetCounters()
	unitTest(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProviders(),
		Steps: []resource.TestStep{{
			Config: config + importByID(address, bucket+" in/hero.png "+url),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(address, plancheck.ResourceActionNoop),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(address, tfjsonpath.New("sha256"), knownvalue.StringExact(sum256(body))),
				statecheck.ExpectKnownValue(address, tfjsonpath.New("width"), knownvalue.Int64Exact(int64(width))),
				statecheck.ExpectKnownValue(address, tfjsonpath.New("content_type"), knownvalue.StringExact("image/png")),
				countsInState(fake, fileCounts(0, 0, 0)),
			},
		}},
	})
}

func sum256(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}
