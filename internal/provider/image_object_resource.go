package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"gocloud.dev/blob"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/imagebytes"
)

var (
	_ resource.Resource                = &imageObjectResource{}
	_ resource.ResourceWithConfigure   = &imageObjectResource{}
	_ resource.ResourceWithImportState = &imageObjectResource{}
)

// NewImageObjectResource is the factory of apimart_image_object.
func NewImageObjectResource() resource.Resource { return &imageObjectResource{} }

type imageObjectResource struct {
	data *providerData
}

type imageObjectModel struct {
	URL           types.String `tfsdk:"url"`
	Bucket        types.String `tfsdk:"bucket"`
	Key           types.String `tfsdk:"key"`
	CacheControl  types.String `tfsdk:"cache_control"`
	KeepOnDestroy types.Bool   `tfsdk:"keep_on_destroy"`
	storedImageModel
}

// where names the object as messages do.
func (m imageObjectModel) where() string {
	return fmt.Sprintf("The object %q in bucket %q", m.Key.ValueString(), m.Bucket.ValueString())
}

func (m imageObjectModel) storedCopy() storedCopy {
	return storedCopy{noun: "object", where: m.where(), at: path.Root("key"), restoreHint: fmt.Sprintf("upload it to key %q "+
		"with the metadata sha256=%s, width=%d and height=%d", m.Key.ValueString(), m.SHA256.ValueString(), m.Width.ValueInt64(), m.Height.ValueInt64())}
}

func (r *imageObjectResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_object"
}

func (r *imageObjectResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attributes := storedImageAttributes("object")
	attributes["url"] = schema.StringAttribute{
		MarkdownDescription: "The image to copy, usually `apimart_image.NAME.url` or an element of its `urls`. " +
			"It must be `https://` (plain `http://` only to a loopback host). Changing it copies the new image, replacing the object.",
		Required:      true,
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
	}
	attributes["bucket"] = schema.StringAttribute{
		MarkdownDescription: "The bucket, as a gocloud.dev URL: `s3://BUCKET?region=REGION` (any S3-compatible store through the " +
			"`endpoint`, `region` and `use_path_style` parameters), `gs://BUCKET`, `azblob://CONTAINER` or `file:///ABSOLUTE/DIR` " +
			"(created when missing). Credentials come from each cloud's standard chain. Changing it moves the object, with no download.",
		Required:   true,
		Validators: []validator.String{bucketURLValidator},
	}
	attributes["key"] = schema.StringAttribute{
		MarkdownDescription: "The object's key inside the bucket, such as `images/hero.png`; not empty, and not starting with `/`. " +
			"Changing it moves the object, with no download, so it works after the URL has expired.",
		Required:   true,
		Validators: []validator.String{objectKeyValidator},
	}
	attributes["cache_control"] = schema.StringAttribute{
		MarkdownDescription: "The object's `Cache-Control`, such as `public, max-age=31536000, immutable`. Changing it rewrites the object " +
			"from the bucket itself, with no download.",
		Optional: true,
	}
	attributes["keep_on_destroy"] = schema.BoolAttribute{
		MarkdownDescription: "Whether destroying this resource leaves the object in the bucket. Defaults to `false`: destroy removes it.",
		Optional:            true,
		Computed:            true,
		Default:             booldefault.StaticBool(false),
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Copies a generated image into object storage (S3 and S3-compatible stores, Google Cloud Storage, Azure Blob " +
			"Storage or a directory), where it outlasts its URL and the machine that ran Terraform. The object carries its SHA-256 as " +
			"metadata, so a refresh reads only its attributes. The download is free; it never sends the API key, and nothing here ever " +
			"pays for a new image.",
		Attributes: attributes,
	}
}

func (r *imageObjectResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := configuredData(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

func (r *imageObjectResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageObjectModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	facts, diags := r.download(ctx, plan, anyImage)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	plan.record(facts)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// download copies the image at the model's URL into its bucket and key: first into a temporary
// file, hashed as it arrives, so that the object's metadata can carry the hash and a failed
// download leaves no object. A non-empty want is the SHA-256 the bytes must have (a restore).
func (r *imageObjectResource) download(ctx context.Context, m imageObjectModel, want string) (imagebytes.Facts, diag.Diagnostics) {
	downloader, diags := r.data.Downloader()
	if diags.HasError() {
		return imagebytes.Facts{}, diags
	}
	bucket := openObjectBucket(ctx, r.data.buckets, m, &diags)
	if bucket == nil {
		return imagebytes.Facts{}, diags
	}
	spool, err := imagebytes.NewSpool("", spoolPattern, 0)
	if err != nil {
		diags.AddError("Unable to download the image", fmt.Sprintf("%s. Nothing was downloaded or stored.", err))
		return imagebytes.Facts{}, diags
	}
	defer spool.Discard()
	url := m.URL.ValueString()
	tflog.Info(ctx, "downloading the image for the object", map[string]any{"bucket": m.Bucket.ValueString(), "key": m.Key.ValueString()})
	got, err := downloader.Download(ctx, url, spool)
	var facts imagebytes.Facts
	if err == nil {
		facts, err = spool.Facts()
	}
	if err == nil {
		err = sameImage(facts, want)
	}
	if err != nil {
		return imagebytes.Facts{}, objectDownloadDiagnostics(labeled(err, got), m)
	}
	tflog.Info(ctx, fmt.Sprintf("uploading %d bytes (%dx%d %s)", facts.Bytes, facts.Width, facts.Height, facts.ContentType),
		map[string]any{"bucket": m.Bucket.ValueString(), "key": m.Key.ValueString(), "sha256": facts.SHA256})
	if err := uploadFile(ctx, bucket, m.Key.ValueString(), spool.File(), facts, m.CacheControl.ValueString()); err != nil {
		diags.Append(storageErrorDiagnostics("Unable to store the image object", "Writing "+lowerFirst(m.where()), err)...)
		return imagebytes.Facts{}, diags
	}
	return facts, diags
}

// Read makes one storage request, for the object's attributes, and none to the API while the
// object is intact. A missing or changed object goes to driftVerdict.
func (r *imageObjectResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageObjectModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	bucket := openObjectBucket(ctx, r.data.buckets, state, &resp.Diagnostics)
	if bucket == nil {
		return
	}
	drift, attrs, err := objectDrift(ctx, bucket, state.Key.ValueString(), state.facts())
	if err != nil {
		resp.Diagnostics.Append(storageErrorDiagnostics("Unable to read the image object", "Reading the attributes of "+lowerFirst(state.where()), err)...)
		return
	}
	read := state
	read.Drift = types.StringNull()
	if drift.Intact() {
		read.CacheControl = cacheControlOf(attrs, state.CacheControl)
	} else {
		read.Drift = driftVerdict(ctx, r.data, state.URL.ValueString(), state.storedCopy(), drift, state.facts(), &resp.Diagnostics)
	}
	keepUnlessChanged(ctx, resp, state, read)
}

// cacheControlOf is the object's Cache-Control as state records it: null stays null while the
// object has none.
func cacheControlOf(attrs *blob.Attributes, recorded types.String) types.String {
	if attrs.CacheControl == "" && recorded.IsNull() {
		return recorded
	}
	return types.StringValue(attrs.CacheControl)
}

// Update restores an object that refresh found missing or changed (one download that must match
// the recorded hash), or moves it to a new bucket or key, or rewrites its Cache-Control. Only a
// restore downloads the URL; moves work after it has expired.
func (r *imageObjectResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state imageObjectModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	switch {
	case !state.Drift.IsNull():
		_, diags := r.download(ctx, plan, state.SHA256.ValueString())
		resp.Diagnostics.Append(diags...)
	case state.Bucket != plan.Bucket || state.Key != plan.Key || state.CacheControl.ValueString() != plan.CacheControl.ValueString():
		resp.Diagnostics.Append(moveObject(ctx, r.data.buckets, state, plan)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	plan.record(state.facts())
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// moveObject puts the object recorded in from at the place and with the Cache-Control of to,
// from the storage itself: a copy inside the store where only the key changes, else a stream
// through the provider. The old object is removed after a move.
func moveObject(ctx context.Context, buckets *bucketCache, from, to imageObjectModel) diag.Diagnostics {
	var diags diag.Diagnostics
	src := openObjectBucket(ctx, buckets, from, &diags)
	if src == nil {
		return diags
	}
	dst := openObjectBucket(ctx, buckets, to, &diags)
	if dst == nil {
		return diags
	}
	srcKey, dstKey := from.Key.ValueString(), to.Key.ValueString()
	drift, _, err := objectDrift(ctx, src, srcKey, from.facts())
	if err == nil && !drift.Intact() {
		err = fmt.Errorf("it %s, so it is not the image to move", drift)
	}
	sameBucket := from.Bucket == to.Bucket
	if err == nil {
		if sameBucket && from.CacheControl.ValueString() == to.CacheControl.ValueString() {
			err = src.Copy(ctx, dstKey, srcKey, nil)
		} else {
			err = copyObject(ctx, src, srcKey, dst, dstKey, from.facts(), to.CacheControl.ValueString())
		}
	}
	if err != nil {
		return storageErrorDiagnostics("Unable to move the image object", fmt.Sprintf("Nothing was downloaded; the state still names "+
			"the old object. Moving %s to key %q in bucket %q", lowerFirst(from.where()), dstKey, to.Bucket.ValueString()), err)
	}
	tflog.Info(ctx, "moved image object", map[string]any{"from_bucket": from.Bucket.ValueString(), "from_key": srcKey,
		"to_bucket": to.Bucket.ValueString(), "to_key": dstKey})
	if sameBucket && srcKey == dstKey {
		return nil
	}
	if err := src.Delete(ctx, srcKey); err != nil {
		diags.AddWarning("Old image object left in place", fmt.Sprintf("%s was copied to key %q in bucket %q, but removing the old "+
			"object failed: %s. Remove it yourself if it is not needed.", from.where(), dstKey, to.Bucket.ValueString(), err))
	}
	return diags
}

// Delete removes the object unless keep_on_destroy is set. An object that is no longer the one
// stored (someone replaced it) is left alone.
func (r *imageObjectResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state imageObjectModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state.KeepOnDestroy.ValueBool() {
		tflog.Info(ctx, "keeping the image object, as keep_on_destroy asks", map[string]any{"bucket": state.Bucket.ValueString(), "key": state.Key.ValueString()})
		return
	}
	bucket := openObjectBucket(ctx, r.data.buckets, state, &resp.Diagnostics)
	if bucket == nil {
		return
	}
	drift, _, err := objectDrift(ctx, bucket, state.Key.ValueString(), state.facts())
	switch {
	case err != nil:
		resp.Diagnostics.Append(storageErrorDiagnostics("Unable to remove the image object", "Reading the attributes of "+lowerFirst(state.where()), err)...)
	case drift.Kind == imagebytes.Missing:
	case !drift.Intact():
		resp.Diagnostics.AddWarning("Image object left in place",
			fmt.Sprintf("%s %s since it was stored, so destroy did not remove it. Remove it yourself if it is not needed.", state.where(), drift))
	default:
		if err := bucket.Delete(ctx, state.Key.ValueString()); err != nil {
			resp.Diagnostics.Append(storageErrorDiagnostics("Unable to remove the image object", "Removing "+lowerFirst(state.where()), err)...)
		}
	}
}

// ImportState adopts an object that already exists, by the id "<bucket> <key> <url>" (a bucket
// URL and an image URL hold no spaces; the key may). The object's own metadata gives its facts,
// or the object itself; the image URL is not downloaded.
func (r *imageObjectResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	state, err := parseObjectImportID(req.ID)
	if err != nil {
		resp.Diagnostics.AddError("Invalid import id", fmt.Sprintf("%s. Import an image object by its bucket URL, its key and the image URL "+
			"it came from, separated by spaces, for example: terraform import apimart_image_object.hero "+
			"'s3://site-assets?region=eu-central-1 images/hero.png https://upload.apimart.ai/f/image/hero.png'", err))
		return
	}
	bucket := openObjectBucket(ctx, r.data.buckets, state, &resp.Diagnostics)
	if bucket == nil {
		return
	}
	facts, attrs, err := importedFacts(ctx, bucket, state.Key.ValueString())
	if err != nil {
		resp.Diagnostics.Append(storageErrorDiagnostics("Unable to import the image object", "Import takes an object that already exists "+
			"and downloads nothing from the image URL. Reading "+lowerFirst(state.where()), err)...)
		return
	}
	state.CacheControl = cacheControlOf(attrs, types.StringNull())
	state.record(facts)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// importedFacts reads the facts an object carries. An object stored by another tool carries
// none: it is read once, and written back with its facts as metadata (the same bytes, checked on
// the way), so that later refreshes need only its attributes.
func importedFacts(ctx context.Context, bucket *blob.Bucket, key string) (imagebytes.Facts, *blob.Attributes, error) {
	attrs, err := bucket.Attributes(ctx, key)
	if err != nil {
		return imagebytes.Facts{}, nil, err
	}
	if facts, ok := factsFromAttributes(attrs); ok {
		return facts, attrs, nil
	}
	facts, err := measureObject(ctx, bucket, key)
	if err == nil {
		tflog.Info(ctx, "recording the imported object's facts as its metadata", map[string]any{"key": key, "sha256": facts.SHA256})
		err = copyObject(ctx, bucket, key, bucket, key, facts, attrs.CacheControl)
	}
	return facts, attrs, err
}

func parseObjectImportID(id string) (imageObjectModel, error) {
	first, last := strings.Index(id, " "), strings.LastIndex(id, " ")
	if first < 0 || first == last {
		return imageObjectModel{}, fmt.Errorf("the id %q is not of the form \"<bucket> <key> <url>\"", id)
	}
	bucket, key, url := id[:first], id[first+1:last], id[last+1:]
	if _, err := parseBucketURL(bucket); err != nil {
		return imageObjectModel{}, err
	}
	if err := checkObjectKey(key); err != nil {
		return imageObjectModel{}, err
	}
	if _, err := apimart.ParseDownloadURL(url); err != nil {
		return imageObjectModel{}, err
	}
	return imageObjectModel{URL: types.StringValue(url), Bucket: types.StringValue(bucket), Key: types.StringValue(key),
		KeepOnDestroy: types.BoolValue(false)}, nil
}

// openObjectBucket opens the model's bucket (or takes it from buckets, where an earlier request of
// this provider process opened it), or explains in diags why it cannot and returns nil.
func openObjectBucket(ctx context.Context, buckets *bucketCache, m imageObjectModel, diags *diag.Diagnostics) *blob.Bucket {
	bucket, err := buckets.open(ctx, m.Bucket.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("bucket"), "Unable to open the bucket", fmt.Sprintf("Opening bucket %q for key %q failed: %s.\n\n"+
			"Nothing was downloaded or stored; the image and its task are kept. %s", m.Bucket.ValueString(), m.Key.ValueString(), err, storageAdvice(err)))
		return nil
	}
	return bucket
}

// storageErrorDiagnostics explains a failed storage request; doing names what was being done.
func storageErrorDiagnostics(summary, doing string, err error) diag.Diagnostics {
	var diags diag.Diagnostics
	diags.AddError(summary, fmt.Sprintf("%s failed: %s.\n\nThe image and its task are kept, the state is as it was, and no new image "+
		"is paid for; apply again once this is fixed. %s", doing, err, storageAdvice(err)))
	return diags
}

// objectDownloadDiagnostics explains a failed download; in every case nothing was stored.
func objectDownloadDiagnostics(err error, m imageObjectModel) diag.Diagnostics {
	return downloadErrorDiagnostics(err, fmt.Sprintf("Nothing was stored at key %q in bucket %q.", m.Key.ValueString(), m.Bucket.ValueString()))
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

// checkedString refuses, at plan, a value that check rejects; check's error is the detail.
type checkedString struct {
	description, summary string
	check                func(string) error
}

var (
	bucketURLValidator = checkedString{"must be a bucket URL: " + bucketSchemesShown, "Invalid bucket URL",
		func(raw string) error { _, err := parseBucketURL(raw); return err }}
	objectKeyValidator = checkedString{`must not be empty nor start with "/"`, "Invalid object key", checkObjectKey}
)

func (v checkedString) Description(context.Context) string { return v.description }

func (v checkedString) MarkdownDescription(context.Context) string { return v.description }

func (v checkedString) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := v.check(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, v.summary, err.Error()+".")
	}
}
