package provider

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/s3/transfermanager"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
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

// bucketCache keeps the buckets this provider process has opened, by URL, so that the Reads of a
// plan share one bucket (one AWS configuration, one connection pool) instead of each opening its
// own. A *blob.Bucket is safe for concurrent use. The buckets are never closed: they hold only
// connections and configuration, which end with the process when Terraform stops the provider.
type bucketCache struct {
	mu      sync.Mutex
	buckets map[string]*blob.Bucket
}

func newBucketCache() *bucketCache {
	return &bucketCache{buckets: map[string]*blob.Bucket{}}
}

// open returns the bucket for raw, opening it on first use. A failed open is not kept, so the next
// request tries again. The lock is held while opening, so that concurrent Reads of one bucket open
// it once.
func (c *bucketCache) open(ctx context.Context, raw string) (*blob.Bucket, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if b, ok := c.buckets[raw]; ok {
		return b, nil
	}
	// The bucket outlives this request: it must not stop working when the request's context ends
	// (credentials that a driver refreshes later are fetched with the context it was opened with).
	b, err := openBucket(context.WithoutCancel(ctx), raw)
	if err != nil {
		return nil, err
	}
	c.buckets[raw] = b
	return b, nil
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

// spoolPattern names the temporary files that hold an image on its way into a bucket.
const spoolPattern = ".apimart-object-*.part"

func writerOptions(f imagebytes.Facts, cacheControl string) *blob.WriterOptions {
	return &blob.WriterOptions{ContentType: f.ContentType, CacheControl: cacheControl, Metadata: objectMetadata(f)}
}

// uploadFile stores file, an image measured as f and read from its start, at key. To S3 it goes as
// one PutObject whose body is the file itself: s3blob's writer hands the AWS transfer manager a
// stream, which it buffers (16 MiB and more for each upload), while a body that can seek and whose
// length is known is sent as it is read. A PutObject makes the whole object or none.
func uploadFile(ctx context.Context, b *blob.Bucket, key string, file *os.File, f imagebytes.Facts, cacheControl string) error {
	var client *s3.Client
	if !b.As(&client) {
		return putObject(ctx, b, key, file, f, cacheControl)
	}
	in, err := s3PutRequest(ctx, b, key, writerOptions(f, cacheControl))
	if err != nil {
		return err
	}
	in.Body, in.ContentLength = file, aws.Int64(f.Bytes)
	_, err = client.PutObject(ctx, in)
	return err
}

// errRequestTaken stops s3blob's writer once its request has been read, before it sends anything.
var errRequestTaken = errors.New("the upload request was taken from the writer")

// s3PutRequest is the request s3blob would send for key, taken from its writer's BeforeWrite hook:
// so the key and the metadata are escaped as s3blob escapes them (and reads them back), and the
// bucket URL's encryption settings apply, with no second copy of those rules here.
func s3PutRequest(ctx context.Context, b *blob.Bucket, key string, opts *blob.WriterOptions) (*s3.PutObjectInput, error) {
	var up *transfermanager.UploadObjectInput
	opts.BeforeWrite = func(as func(any) bool) error {
		if !as(&up) {
			return errors.New("the S3 driver did not offer its upload request")
		}
		return errRequestTaken
	}
	writeCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(writeCtx, key, opts)
	if err == nil {
		// Not reached with s3blob, which always calls BeforeWrite; a writer closed after its
		// context ends writes nothing.
		cancel()
		_ = w.Close()
		return nil, errors.New("the S3 driver did not call BeforeWrite")
	}
	if up == nil {
		return nil, err
	}
	return &s3.PutObjectInput{
		Bucket: up.Bucket, Key: up.Key, ContentType: up.ContentType, CacheControl: up.CacheControl, Metadata: up.Metadata,
		ServerSideEncryption: s3types.ServerSideEncryption(up.ServerSideEncryption), SSEKMSKeyId: up.SSEKMSKeyID,
	}, nil
}

// putObject writes body to key with the image's facts as metadata, through the bucket's writer. A
// failed copy cancels the writer, so that no partial object is left.
func putObject(ctx context.Context, b *blob.Bucket, key string, body io.Reader, f imagebytes.Facts, cacheControl string) error {
	writeCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	w, err := b.NewWriter(writeCtx, key, writerOptions(f, cacheControl))
	if err != nil {
		return err
	}
	if _, err = io.Copy(w, body); err != nil {
		cancel() // a writer closed after its context ends discards what it received
		_ = w.Close()
		return err
	}
	return w.Close()
}

// copyObject copies the object at src/srcKey to dst/dstKey through a temporary file, checking on
// the way that its bytes are still the image recorded; nothing is downloaded from the image's URL.
func copyObject(ctx context.Context, src *blob.Bucket, srcKey string, dst *blob.Bucket, dstKey string, f imagebytes.Facts, cacheControl string) error {
	spool, err := imagebytes.NewSpool("", spoolPattern, 0)
	if err != nil {
		return err
	}
	defer spool.Discard()
	if err := src.Download(ctx, srcKey, spool, nil); err != nil {
		return err
	}
	got, err := spool.Facts()
	if err != nil {
		return err
	}
	if drift := imagebytes.Compare(got.Bytes, got.SHA256, f); !drift.Intact() {
		return fmt.Errorf("the object read back %s, so it was not copied", drift)
	}
	return uploadFile(ctx, dst, dstKey, spool.File(), f, cacheControl)
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
	switch storageCode(err) {
	case gcerrors.NotFound:
		return "Check that the bucket exists (create it first) and that its name and region are right."
	case gcerrors.PermissionDenied:
		return "The storage denied access: give the credentials Terraform runs with (the cloud's standard chain: environment, " +
			"shared configuration, instance or workload identity) the right to read and write objects in this bucket."
	}
	return "Check the bucket URL, the network and the credentials Terraform runs with, then apply again."
}

// storageCode classifies a storage error for storageAdvice. Errors from gocloud.dev carry their
// code; those of the PutObject that uploadFile sends itself carry S3's error code instead.
func storageCode(err error) gcerrors.ErrorCode {
	var apiErr smithy.APIError
	if code := gcerrors.Code(err); code != gcerrors.Unknown || !errors.As(err, &apiErr) {
		return code
	}
	switch apiErr.ErrorCode() {
	case "NoSuchBucket", "NotFound":
		return gcerrors.NotFound
	case "AccessDenied", "Forbidden":
		return gcerrors.PermissionDenied
	}
	return gcerrors.Unknown
}
