package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // the schemes a bucket URL may use, linked in as gocloud.dev asks
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/s3blob"
	"gocloud.dev/gcerrors"

	"github.com/apimart/terraform-provider-apimart/internal/imagebytes"
)

// The storage work of apimart_image_object, all through gocloud.dev/blob. The object's facts
// travel with it as metadata, so that a read of its attributes alone tells whether it is intact.

// bucketSchemes are the bucket URL schemes that are linked in, in the order messages list them.
var bucketSchemes = []string{"s3", "gs", "azblob", "file"}

const bucketSchemesShown = "s3://BUCKET?region=…, gs://BUCKET, azblob://CONTAINER or file:///ABSOLUTE/DIR"

// Metadata keys; stores lower-case them, so they are lower case here.
const (
	metaSHA256 = "sha256"
	metaWidth  = "width"
	metaHeight = "height"
)

// parseBucketURL checks a bucket URL without opening it: a scheme of bucketSchemes, and a bucket
// name (or, for file://, an absolute directory).
func parseBucketURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return nil, fmt.Errorf("bucket %q is not a URL (%v); use %s", raw, err, bucketSchemesShown)
	case !slices.Contains(bucketSchemes, u.Scheme):
		return nil, fmt.Errorf("bucket %q has the scheme %q; allowed are %s", raw, u.Scheme, bucketSchemesShown)
	case u.Scheme == "file" && (u.Host != "" || !strings.HasPrefix(u.Path, "/")):
		return nil, fmt.Errorf("bucket %q does not name an absolute directory; write file:///ABSOLUTE/DIR "+
			"(three slashes), for example \"file://${abspath(path.module)}/images\"", raw)
	case u.Scheme != "file" && u.Host == "":
		return nil, fmt.Errorf("bucket %q names no bucket; write %s://NAME", raw, u.Scheme)
	}
	return u, nil
}

// checkObjectKey refuses keys that stores treat differently: empty, or starting with "/".
func checkObjectKey(key string) error {
	switch {
	case key == "":
		return errors.New("key is empty; give the object's name inside the bucket, such as \"images/hero.png\"")
	case strings.HasPrefix(key, "/"):
		return fmt.Errorf("key %q starts with \"/\"; a key is relative to the bucket, such as %q", key, strings.TrimLeft(key, "/"))
	}
	return nil
}

// openBucket opens a bucket URL. A file:// bucket gets the options that make any directory work:
// it is created when missing, and its temporary files are written inside it, so that finishing
// an object is a rename within one file system.
func openBucket(ctx context.Context, raw string) (*blob.Bucket, error) {
	u, err := parseBucketURL(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme == "file" {
		q := u.Query()
		for _, option := range []string{"create_dir", "no_tmp_dir"} {
			if !q.Has(option) {
				q.Set(option, "true")
			}
		}
		u.RawQuery = q.Encode()
	}
	return blob.OpenBucket(ctx, u.String())
}

// objectMetadata is what an object carries about itself.
func objectMetadata(f imagebytes.Facts) map[string]string {
	return map[string]string{metaSHA256: f.SHA256, metaWidth: strconv.Itoa(f.Width), metaHeight: strconv.Itoa(f.Height)}
}

// factsFromAttributes reads the facts an object carries; ok is false when it carries no hash
// (it was not written here).
func factsFromAttributes(a *blob.Attributes) (imagebytes.Facts, bool) {
	width, werr := strconv.Atoi(a.Metadata[metaWidth])
	height, herr := strconv.Atoi(a.Metadata[metaHeight])
	f := imagebytes.Facts{SHA256: a.Metadata[metaSHA256], Bytes: a.Size, ContentType: a.ContentType, Width: width, Height: height}
	return f, f.SHA256 != "" && werr == nil && herr == nil
}

// objectDrift reads the object's attributes (one request) and says how it differs from the
// image recorded.
func objectDrift(ctx context.Context, b *blob.Bucket, key string, want imagebytes.Facts) (imagebytes.Drift, *blob.Attributes, error) {
	attrs, err := b.Attributes(ctx, key)
	if gcerrors.Code(err) == gcerrors.NotFound {
		return imagebytes.Drift{Kind: imagebytes.Missing}, nil, nil
	}
	if err != nil {
		return imagebytes.Drift{}, nil, err
	}
	return imagebytes.Compare(attrs.Size, attrs.Metadata[metaSHA256], want), attrs, nil
}

// putObject writes body to key with the image's facts as metadata. check, when set, runs after
// the body is read and before the object is finished; an error from it or from the copy
// cancels the writer, so that no partial object is left.
func putObject(ctx context.Context, b *blob.Bucket, key string, body io.Reader, f imagebytes.Facts, cacheControl string, check func() error) error {
	writeCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(writeCtx, key, &blob.WriterOptions{
		ContentType: f.ContentType, CacheControl: cacheControl, Metadata: objectMetadata(f),
	})
	if err != nil {
		return err
	}
	_, err = io.Copy(w, body)
	if err == nil && check != nil {
		err = check()
	}
	if err != nil {
		cancel() // a writer closed after its context ends discards what it received
		_ = w.Close()
		return err
	}
	return w.Close()
}

// copyObject streams the object at src/srcKey to dst/dstKey, checking on the way that its bytes
// are still the image recorded; nothing is downloaded from the image's URL.
func copyObject(ctx context.Context, src *blob.Bucket, srcKey string, dst *blob.Bucket, dstKey string, f imagebytes.Facts, cacheControl string) error {
	r, err := src.NewReader(ctx, srcKey, nil)
	if err != nil {
		return err
	}
	defer r.Close()
	meter := imagebytes.NewMeter(0)
	return putObject(ctx, dst, dstKey, io.TeeReader(r, meter), f, cacheControl, func() error {
		if got := (imagebytes.Compare(meter.Bytes(), meter.SHA256(), f)); !got.Intact() {
			return fmt.Errorf("the object read back %s, so it was not copied", got)
		}
		return nil
	})
}

// measureObject reads an object that carries no facts of its own, for an import.
func measureObject(ctx context.Context, b *blob.Bucket, key string) (imagebytes.Facts, error) {
	r, err := b.NewReader(ctx, key, nil)
	if err != nil {
		return imagebytes.Facts{}, err
	}
	defer r.Close()
	return imagebytes.Measure(r, 0)
}

// storageAdvice says what to do about a failed storage request, by its code.
func storageAdvice(err error) string {
	switch gcerrors.Code(err) {
	case gcerrors.NotFound:
		return "Check that the bucket exists (create it first) and that its name and region are right."
	case gcerrors.PermissionDenied:
		return "The storage denied access: give the credentials Terraform runs with (the cloud's standard chain: environment, " +
			"shared configuration, instance or workload identity) the right to read and write objects in this bucket."
	}
	return "Check the bucket URL, the network and the credentials Terraform runs with, then apply again."
}
