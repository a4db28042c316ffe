package provider

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/imagebytes"
)

// Reference images are URLs, sent as they are, or local files, uploaded during create. What makes
// a new image is the content of the files, never their paths or their upload URLs: each file's
// sha256 is kept in state and compared at plan time.

const (
	attrReferenceImages = "reference_images"
	attrReferenceURLs   = "reference_urls"
	attrReferenceSHA256 = "reference_sha256"
)

// referenceKind is what an element of reference_images names.
type referenceKind int

const (
	referenceFile referenceKind = iota
	referenceURL
	referenceDataURI
	referenceOtherScheme
)

func classifyReference(ref string) referenceKind {
	lower := strings.ToLower(ref)
	switch {
	case strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://"):
		return referenceURL
	case strings.HasPrefix(lower, "data:"):
		return referenceDataURI
	case strings.Contains(ref, "://"):
		return referenceOtherScheme
	}
	return referenceFile
}

// validateReferenceForms checks the form of each element; apimart.Validate checks their number.
// Files are read at plan time, not here, so that validate needs none.
func validateReferenceForms(refs types.List) diag.Diagnostics {
	var diags diag.Diagnostics
	if refs.IsUnknown() {
		return diags
	}
	for i, element := range refs.Elements() {
		ref, ok := element.(types.String)
		if !ok || ref.IsUnknown() {
			continue
		}
		// A null element reads as "", which referenceFormProblem calls empty.
		if summary, detail, bad := referenceFormProblem(ref.ValueString()); bad {
			diags.AddAttributeError(path.Root(attrReferenceImages).AtListIndex(i), summary, detail)
		}
	}
	return diags
}

func referenceFormProblem(ref string) (string, string, bool) {
	switch classifyReference(ref) {
	case referenceDataURI:
		return "Data URI not accepted", fmt.Sprintf("The reference image %q is a data: URI. The API no longer takes inline images. "+
			"Save the image to a file and give its path instead, for example \"${path.module}/photo.png\"; the provider uploads it.",
			abbreviate(ref)), true
	case referenceOtherScheme:
		return "Unsupported reference URL", fmt.Sprintf("The reference image %q is neither an http(s) URL nor a file path. "+
			"Give a public http:// or https:// URL, or the path of a local file.", abbreviate(ref)), true
	}
	if strings.TrimSpace(ref) == "" {
		return "Empty reference image", "An element of reference_images is empty. Give a URL or the path of a local file.", true
	}
	return "", "", false
}

// abbreviate keeps error messages short when a value is a long data URI.
func abbreviate(s string) string {
	const keep = 60
	if runes := []rune(s); len(runes) > keep {
		return string(runes[:keep]) + "…"
	}
	return s
}

// referenceDigestsModifier plans reference_sha256 from the files as they are now, and checks
// each file on the way. Followed by a replace modifier, it makes a new image exactly when a
// file's content (or a URL) changed.
type referenceDigestsModifier struct{}

func (referenceDigestsModifier) Description(context.Context) string {
	return "Reads each local reference image and plans its SHA-256; a URL stands for itself."
}

func (m referenceDigestsModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (referenceDigestsModifier) PlanModifyList(ctx context.Context, req planmodifier.ListRequest, resp *planmodifier.ListResponse) {
	refs, known, diags := configuredReferences(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	switch {
	case diags.HasError():
		return
	case !known:
		resp.PlanValue = types.ListUnknown(types.StringType)
		return
	case len(refs) == 0:
		resp.PlanValue = types.ListNull(types.StringType)
		return
	}
	previous := previousDigests(ctx, req.State)
	digests := make([]string, len(refs))
	for i, ref := range refs {
		digest, diags := referenceDigest(ctx, i, ref, previous)
		resp.Diagnostics.Append(diags...)
		digests[i] = digest
	}
	resp.PlanValue = stringList(digests)
}

// configuredReferences returns the configured references; known is false while the list or
// one of its elements is not known yet.
func configuredReferences(ctx context.Context, config tfsdk.Config) ([]string, bool, diag.Diagnostics) {
	var list types.List
	diags := config.GetAttribute(ctx, path.Root(attrReferenceImages), &list)
	if diags.HasError() || list.IsUnknown() {
		return nil, false, diags
	}
	refs := make([]string, 0, len(list.Elements()))
	for _, element := range list.Elements() {
		ref, ok := element.(types.String)
		if !ok || ref.IsUnknown() {
			return nil, false, diags
		}
		refs = append(refs, ref.ValueString())
	}
	return refs, true, diags
}

// previousDigests maps each reference in state to its recorded digest.
func previousDigests(ctx context.Context, state tfsdk.State) map[string]string {
	var refList, digestList types.List
	previous := map[string]string{}
	if state.Raw.IsNull() {
		return previous
	}
	_ = state.GetAttribute(ctx, path.Root(attrReferenceImages), &refList)
	_ = state.GetAttribute(ctx, path.Root(attrReferenceSHA256), &digestList)
	refs, digests := listStrings(refList), listStrings(digestList)
	for i := range min(len(refs), len(digests)) {
		previous[refs[i]] = digests[i]
	}
	return previous
}

// referenceDigest is the planned value of one element. A file that has gone since the last
// apply keeps its recorded digest, with a warning: replacing the image because a source photo
// was deleted would pay for an image nobody asked for.
func referenceDigest(ctx context.Context, i int, ref string, previous map[string]string) (string, diag.Diagnostics) {
	var diags diag.Diagnostics
	if classifyReference(ref) != referenceFile {
		return ref, diags
	}
	at := path.Root(attrReferenceImages).AtListIndex(i)
	f, digest, err := openReferenceFile(ref)
	var problem *referenceFileProblem
	switch {
	case err == nil:
		f.Close()
		tflog.Debug(ctx, "read reference image", map[string]any{"path": ref, "sha256": digest})
		return digest, diags
	case errors.As(err, &problem) && problem.missing && previous[ref] != "":
		diags.AddAttributeWarning(at, "Reference image not found",
			fmt.Sprintf("%s The image made from it is kept, with the digest recorded when it was made. Restore the file, "+
				"or remove it from reference_images once you want a new image.", problem.detail))
		return previous[ref], diags
	case errors.As(err, &problem):
		diags.AddAttributeError(at, problem.summary, problem.detail)
	default:
		diags.AddAttributeError(at, "Unable to read the reference image", fmt.Sprintf("Reading %q failed: %s.", ref, err))
	}
	return "", diags
}

// referenceFileProblem is a reason a local file cannot be a reference image.
type referenceFileProblem struct {
	summary, detail string
	missing         bool
}

func (p *referenceFileProblem) Error() string { return p.detail }

// openReferenceFile opens one local reference image and judges it through imagebytes, the one
// place that reads, size-checks, sniffs and hashes image bytes: a regular file of at most 20 MB
// whose content, whatever its name, is an image the upload endpoint takes. It returns the open
// file, for an upload, and the hex sha256 of its content; the plan and the upload both call it.
func openReferenceFile(name string) (*os.File, string, error) {
	f, facts, err := imagebytes.OpenReference(name, apimart.MaxUploadBytes)
	if err != nil {
		return nil, "", referenceFileError(name, err)
	}
	return f, facts.SHA256, nil
}

// referenceFileError says why a local file cannot be a reference image.
func referenceFileError(name string, err error) error {
	var tooLarge *imagebytes.TooLargeError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &referenceFileProblem{summary: "Reference image not found", missing: true, detail: fmt.Sprintf(
			"The reference image %q is not an http(s) URL, and no file exists at that path%s. Fix the path; "+
				"\"${path.module}/...\" names a file beside the configuration.", name, relativeTo(name))}
	case errors.Is(err, imagebytes.ErrNotRegular):
		return &referenceFileProblem{summary: "Reference image is not a file",
			detail: fmt.Sprintf("The reference image %q is a %s, not a regular file. Give the path of an image file.", name, describeMode(name))}
	case errors.As(err, &tooLarge):
		return &referenceFileProblem{summary: "Reference image too large", detail: fmt.Sprintf(
			"The reference image %q has %s; the API takes files of at most %d MB. Make the file smaller, "+
				"for example by scaling it down or saving it as JPEG or WebP.", name, describeSize(name), tooLarge.Limit>>20)}
	case errors.Is(err, imagebytes.ErrNotAnImage):
		return &referenceFileProblem{summary: "Unsupported reference image format", detail: fmt.Sprintf(
			"The reference image %q is not an image the API takes, judged by its content: %s. The file's name does not "+
				"matter; convert the file to %s.", name, err, imagebytes.Formats)}
	case errors.Is(err, fs.ErrPermission):
		return &referenceFileProblem{summary: "Reference image not readable", detail: fmt.Sprintf(
			"The reference image %q exists but cannot be read: %s. Check the file's permissions.", name, err)}
	default:
		return &referenceFileProblem{summary: "Reference image not readable", detail: fmt.Sprintf("Reading %q failed: %s.", name, err)}
	}
}

func describeSize(name string) string {
	info, err := os.Stat(name)
	if err != nil {
		return "more bytes than that"
	}
	return fmt.Sprintf("%d bytes (%.1f MB)", info.Size(), float64(info.Size())/(1<<20))
}

func relativeTo(name string) string {
	if filepath.IsAbs(name) {
		return ""
	}
	if dir, err := os.Getwd(); err == nil {
		return fmt.Sprintf(" (relative paths start in %s, where Terraform runs)", dir)
	}
	return ""
}

func describeMode(name string) string {
	if info, err := os.Stat(name); err == nil && info.Mode().IsDir() {
		return "directory"
	}
	return "special file"
}

// referenceURLsModifier plans reference_urls: upload URLs never change in place, and a new
// image knows them only after its uploads, unless every reference is a URL already.
type referenceURLsModifier struct{}

func (referenceURLsModifier) Description(context.Context) string {
	return "Keeps the URLs of the last create; plans them as known when every reference is a URL."
}

func (m referenceURLsModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (referenceURLsModifier) PlanModifyList(ctx context.Context, req planmodifier.ListRequest, resp *planmodifier.ListResponse) {
	if !req.State.Raw.IsNull() {
		resp.PlanValue = req.StateValue
		return
	}
	refs, known, diags := configuredReferences(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	switch {
	case !known:
		resp.PlanValue = types.ListUnknown(types.StringType)
	case len(refs) == 0:
		resp.PlanValue = types.ListNull(types.StringType)
	case allURLs(refs):
		resp.PlanValue = stringList(refs)
	default:
		resp.PlanValue = types.ListUnknown(types.StringType)
	}
}

func allURLs(refs []string) bool {
	for _, ref := range refs {
		if classifyReference(ref) != referenceURL {
			return false
		}
	}
	return true
}

// uploadReferences returns the URLs to send as image_urls, in the order of refs: each URL as it
// is, each local file uploaded once, however often the list names its content.
func uploadReferences(ctx context.Context, client *apimart.Client, data *providerData, refs, digests []string) ([]string, diag.Diagnostics) {
	if len(refs) == 0 {
		return nil, nil
	}
	urls := make([]string, len(refs))
	uploaded := map[string]string{}
	for i, ref := range refs {
		if classifyReference(ref) == referenceURL {
			urls[i] = ref
			continue
		}
		if url, ok := uploaded[digests[i]]; ok {
			urls[i] = url
			continue
		}
		url, diags := uploadReferenceFile(ctx, client, data, i, ref, digests[i])
		if diags.HasError() {
			return nil, diags
		}
		uploaded[digests[i]], urls[i] = url, url
	}
	return urls, nil
}

// uploadReferenceFile uploads one file after checking that it still holds what the plan read.
func uploadReferenceFile(ctx context.Context, client *apimart.Client, data *providerData, i int, name, planned string) (string, diag.Diagnostics) {
	var diags diag.Diagnostics
	at := path.Root(attrReferenceImages).AtListIndex(i)
	f, digest, err := openReferenceFile(name)
	if err != nil || digest != planned {
		diags.AddAttributeError(at, "Reference image changed since the plan",
			fmt.Sprintf("The content of %q is not what the plan read (%v). Nothing was uploaded, submitted or charged. "+
				"Run terraform apply again to plan with the file as it is now.", name, orSHA256Differs(err)))
		if f != nil {
			f.Close()
		}
		return "", diags
	}
	defer f.Close()
	upload, err := client.UploadImage(ctx, filepath.Base(name), f)
	if err != nil {
		diags.Append(uploadErrorDiagnostics(at, name, err, data)...)
		return "", diags
	}
	tflog.Info(ctx, "uploaded reference image", map[string]any{"path": name, "url": upload.URL, "bytes": upload.Bytes})
	return upload.URL, diags
}

func orSHA256Differs(err error) error {
	if err != nil {
		return err
	}
	return errors.New("its SHA-256 differs")
}

func uploadErrorDiagnostics(at path.Path, name string, err error, data *providerData) diag.Diagnostics {
	var diags diag.Diagnostics
	const nothingCharged = "No image was submitted, so nothing was charged."
	var rejected *apimart.UploadRejectedError
	var ambiguous *apimart.AmbiguousUploadError
	switch {
	case errors.As(err, &rejected):
		diags.AddAttributeError(at, "APIMart refused the reference image", fmt.Sprintf("%s.\n\n%s Check that %q is a %s image of at most 20 MB.",
			err, nothingCharged, name, imagebytes.Formats))
	case errors.As(err, &ambiguous):
		diags.AddAttributeError(at, "Reference image upload may be incomplete", fmt.Sprintf("%s.\n\n%s Uploads are free; apply again to upload the file anew.",
			err, nothingCharged))
	default:
		summary, detail, ok := accessErrorText(err, data)
		if !ok {
			summary, detail = "Unable to upload the reference image", fmt.Sprintf("Uploading %q failed: %s.", name, err)
		}
		diags.AddAttributeError(at, summary, detail+"\n\n"+nothingCharged)
	}
	return diags
}

// listStrings returns the known string elements of a list; null and unknown lists give nil.
func listStrings(list types.List) []string {
	if list.IsNull() || list.IsUnknown() {
		return nil
	}
	values := make([]string, 0, len(list.Elements()))
	for _, element := range list.Elements() {
		if s, ok := element.(types.String); ok {
			values = append(values, s.ValueString())
		}
	}
	return values
}
