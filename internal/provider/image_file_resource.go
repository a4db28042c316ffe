package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/imagebytes"
)

var (
	_ resource.Resource                = &imageFileResource{}
	_ resource.ResourceWithConfigure   = &imageFileResource{}
	_ resource.ResourceWithImportState = &imageFileResource{}
)

// importIDSeparators join the path and the URL in an import id: "=" and the URL's scheme, which
// no sensible path holds.
var importIDSeparators = []string{"=https://", "=http://"}

// NewImageFileResource is the factory of apimart_image_file.
func NewImageFileResource() resource.Resource { return &imageFileResource{} }

type imageFileResource struct {
	data *providerData
}

type imageFileModel struct {
	URL           types.String `tfsdk:"url"`
	Path          types.String `tfsdk:"path"`
	KeepOnDestroy types.Bool   `tfsdk:"keep_on_destroy"`
	storedImageModel
}

func (r *imageFileResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_file"
}

func (r *imageFileResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	attributes := storedImageAttributes("file")
	attributes["url"] = schema.StringAttribute{
		MarkdownDescription: "The image to download, usually `apimart_image.NAME.url` or an element of its `urls`. " +
			"It must be `https://` (plain `http://` only to a loopback host). Changing it downloads the new image, replacing the file.",
		Required:      true,
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
	}
	attributes["path"] = schema.StringAttribute{
		MarkdownDescription: "Where the file is written; a relative path is relative to the directory Terraform runs in. " +
			"Missing parent directories are created. Changing it moves the file, with no download, so it works after the URL has expired.",
		Required: true,
	}
	attributes["keep_on_destroy"] = schema.BoolAttribute{
		MarkdownDescription: "Whether destroying this resource leaves the file where it is. Defaults to `false`: destroy removes the file, as `local_file` does.",
		Optional:            true,
		Computed:            true,
		Default:             booldefault.StaticBool(false),
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Downloads a generated image to a local file and keeps it there after its URL has expired. " +
			"The download is free; it never sends the API key, and nothing here ever pays for a new image. " +
			"On a machine where the file is missing (a fresh CI runner), the plan restores it in place while the URL serves it, with its hashes known.",
		Attributes: attributes,
	}
}

func (r *imageFileResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := configuredData(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

func (r *imageFileResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageFileModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	downloader, diags := r.data.Downloader()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	url, target := plan.URL.ValueString(), plan.Path.ValueString()
	facts, err := downloadImage(ctx, downloader, url, target, anyImage)
	if err != nil {
		resp.Diagnostics.Append(downloadErrorDiagnostics(err, nothingWritten(target))...)
		return
	}
	tflog.Info(ctx, fmt.Sprintf("saved image file %s (%d bytes, %dx%d)", target, facts.Bytes, facts.Width, facts.Height),
		map[string]any{"path": target, "bytes": facts.Bytes, "sha256": facts.SHA256})
	plan.record(facts)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read looks at the file only. While it is intact, nothing is sent. When it is missing or
// changed, driftVerdict decides with one HEAD whether the plan restores it in place.
func (r *imageFileResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageFileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	target := state.Path.ValueString()
	drift, err := imagebytes.CheckFile(target, state.facts())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("path"), "Unable to read the image file",
			fmt.Sprintf("Checking the file at %q failed: %s. Fix its permissions, or change path.", target, err))
		return
	}
	read := state
	read.Drift = types.StringNull()
	if !drift.Intact() {
		read.Drift = driftVerdict(ctx, r.data, state.URL.ValueString(), fileCopy(target), drift, state.facts(), &resp.Diagnostics)
	}
	keepUnlessChanged(ctx, resp, state, read)
}

func fileCopy(target string) storedCopy {
	return storedCopy{noun: "file", where: fmt.Sprintf("The file at %q", target), at: path.Root("path"),
		restoreHint: fmt.Sprintf("at %q, from a backup for example", target)}
}

// Update restores the file when refresh found it missing or changed, and moves it when path
// changes; everything else it records as planned. Only a restore downloads, and its bytes must
// be the image recorded; a move works after the URL has expired.
func (r *imageFileResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state imageFileModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	from, to := state.Path.ValueString(), plan.Path.ValueString()
	if !state.Drift.IsNull() {
		resp.Diagnostics.Append(r.restore(ctx, state, to)...)
	} else if err := moveFile(from, to, state.facts()); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("path"), "Unable to move the image file",
			fmt.Sprintf("Moving the file from %q to %q failed: %s.\n\nNothing was downloaded; the state still names %q. "+
				"Put the file back at %q (SHA-256 %s), or set path back.", from, to, err, from, from, state.SHA256.ValueString()))
	} else if from != to {
		tflog.Info(ctx, "moved image file", map[string]any{"from": from, "to": to})
	}
	if resp.Diagnostics.HasError() {
		return
	}
	plan.record(state.facts())
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// restore downloads the image recorded in state to target again.
func (r *imageFileResource) restore(ctx context.Context, state imageFileModel, target string) diag.Diagnostics {
	downloader, diags := r.data.Downloader()
	if diags.HasError() {
		return diags
	}
	if _, err := downloadImage(ctx, downloader, state.URL.ValueString(), target, state.SHA256.ValueString()); err != nil {
		return downloadErrorDiagnostics(err, nothingWritten(target))
	}
	tflog.Info(ctx, "restored image file", map[string]any{"path": target, "sha256": state.SHA256.ValueString(), "was": state.Drift.ValueString()})
	return nil
}

// Delete removes the file unless keep_on_destroy is set. A file that is no longer the one
// saved (someone replaced it) is left alone.
func (r *imageFileResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state imageFileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	target := state.Path.ValueString()
	if state.KeepOnDestroy.ValueBool() {
		tflog.Info(ctx, "keeping the image file, as keep_on_destroy asks", map[string]any{"path": target})
		return
	}
	drift, err := imagebytes.CheckFile(target, state.facts())
	switch {
	case err != nil:
		resp.Diagnostics.AddError("Unable to remove the image file", fmt.Sprintf("Checking the file at %q failed: %s.", target, err))
	case drift.Kind == imagebytes.Missing:
	case !drift.Intact():
		resp.Diagnostics.AddWarning("Image file left in place",
			fmt.Sprintf("The file at %q %s since it was saved, so destroy did not remove it. Remove it yourself if it is not needed.", target, drift))
	default:
		if err := os.Remove(target); err != nil && !errors.Is(err, os.ErrNotExist) {
			resp.Diagnostics.AddError("Unable to remove the image file", fmt.Sprintf("Removing %q failed: %s.", target, err))
		}
	}
}

// ImportState adopts a file that already exists, by the id "<path>=<url>". The file is hashed,
// not downloaded.
func (r *imageFileResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	target, url, ok := splitImportID(req.ID)
	if !ok {
		resp.Diagnostics.AddError("Invalid import id", fmt.Sprintf("The id %q is not of the form <path>=<url>. Import a saved image "+
			"by its path and the URL it came from, for example: terraform import apimart_image_file.hero 'assets/hero.png=https://upload.apimart.ai/f/image/hero.png'", req.ID))
		return
	}
	if _, err := apimart.ParseDownloadURL(url); err != nil {
		resp.Diagnostics.AddError("Invalid import id", fmt.Sprintf("The URL part of the id is not allowed: %s.", err))
		return
	}
	facts, err := imagebytes.ReadFile(target, 0)
	if err != nil {
		resp.Diagnostics.AddError("Unable to import the image file", fmt.Sprintf("The file at %q cannot be adopted: %s. "+
			"Import takes a file that already exists; it downloads nothing.", target, err))
		return
	}
	state := imageFileModel{URL: types.StringValue(url), Path: types.StringValue(target), KeepOnDestroy: types.BoolValue(false)}
	state.record(facts)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func nothingWritten(target string) string { return fmt.Sprintf("Nothing was written at %q.", target) }

func splitImportID(id string) (string, string, bool) {
	for _, sep := range importIDSeparators {
		if i := strings.Index(id, sep); i > 0 {
			return id[:i], id[i+1:], true
		}
	}
	return "", "", false
}

// downloadErrorDiagnostics explains a failed download; nothing says what was therefore not
// written.
func downloadErrorDiagnostics(err error, nothing string) diag.Diagnostics {
	var diags diag.Diagnostics
	switch {
	case apimart.IsGone(err):
		diags.AddAttributeError(path.Root("url"), "Image URL expired or gone", fmt.Sprintf("%s.\n\n%s The file cannot be "+
			"downloaded from this URL any more. To pay for a new image, replace the image it came from, for example "+
			"`terraform apply -replace=apimart_image.NAME`.", err, nothing))
	case errors.Is(err, imagebytes.ErrNotAnImage):
		diags.AddAttributeError(path.Root("url"), "Download is not an image", fmt.Sprintf("The URL answered with a body that is "+
			"%s.\n\n%s Check the URL; an error page of a proxy or CDN looks like this.", err, nothing))
	case errors.Is(err, errOtherImage):
		diags.AddAttributeError(path.Root("url"), "Download is not the image recorded", fmt.Sprintf("%s.\n\n%s The URL now serves "+
			"other bytes than the ones saved before, so they were not kept. To take the new bytes, replace this resource, for example "+
			"`terraform apply -replace=ADDRESS`.", err, nothing))
	default:
		diags.AddError("Unable to download the image", fmt.Sprintf("%s.\n\n%s Downloads are free: apply again to retry.", err, nothing))
	}
	return diags
}
