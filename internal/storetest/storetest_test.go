package storetest_test

import (
	"context"
	"strings"
	"testing"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/apimart/terraform-provider-apimart/internal/storetest"
)

func TestStartS3_storesAndCounts(t *testing.T) {
	s3 := storetest.StartS3(t)
	bucketURL := s3.CreateBucket(t, "pictures")
	if n := s3.Total(); n != 0 {
		t.Fatalf("requests after CreateBucket = %d, want 0 (it goes past the proxy)", n)
	}

	roundTrip(t, bucketURL)
	if got := s3.Counts(); got["PUT"] != 1 || got["HEAD"] != 1 || s3.Total() != 2 {
		t.Errorf("counts = %v, want one PUT and one HEAD", got)
	}

	s3.Reset()
	bucket, err := blob.OpenBucket(context.Background(), bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	if _, err := bucket.Attributes(context.Background(), "missing.png"); err == nil {
		t.Error("attributes of a missing object: no error")
	}
	if got := s3.Counts(); got["HEAD"] != 1 || s3.Total() != 1 {
		t.Errorf("counts after Reset and one read = %v, want one HEAD", got)
	}
}

// roundTrip writes an object with metadata into a bucket and reads its attributes back.
func roundTrip(t *testing.T, bucketURL string) {
	t.Helper()
	ctx := context.Background()
	bucket, err := blob.OpenBucket(ctx, bucketURL)
	if err != nil {
		t.Fatal(err)
	}
	defer bucket.Close()
	if err := bucket.WriteAll(ctx, "a/b.png", []byte("not really a png"), &blob.WriterOptions{Metadata: map[string]string{"sha256": "abc"}}); err != nil {
		t.Fatalf("write into %s: %v", bucketURL, err)
	}
	attrs, err := bucket.Attributes(ctx, "a/b.png")
	if err != nil {
		t.Fatalf("attributes in %s: %v", bucketURL, err)
	}
	if attrs.Size != 16 || attrs.Metadata["sha256"] != "abc" {
		t.Errorf("attributes = size %d metadata %v, want size 16 and sha256=abc", attrs.Size, attrs.Metadata)
	}
}

func TestStartGCS_stores(t *testing.T) {
	roundTripIn(t, storetest.StartGCS(t, "pictures"))
}

func TestStartAzurite_stores(t *testing.T) {
	roundTripIn(t, storetest.StartAzurite(t, "pictures"))
}

// roundTripIn is roundTrip in this process, with the emulator's environment set for the test.
func roundTripIn(t *testing.T, e storetest.Emulator) {
	t.Helper()
	for _, kv := range e.Env {
		name, value, _ := strings.Cut(kv, "=")
		t.Setenv(name, value)
	}
	roundTrip(t, e.BucketURL)
}
