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
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
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
	ID            types.String `tfsdk:"id"`
	URL           types.String `tfsdk:"url"`
	Path          types.String `tfsdk:"path"`
	KeepOnDestroy types.Bool   `tfsdk:"keep_on_destroy"`
	SHA256        types.String `tfsdk:"sha256"`
	Bytes         types.Int64  `tfsdk:"bytes"`
	ContentType   types.String `tfsdk:"content_type"`
	Width         types.Int64  `tfsdk:"width"`
	Height        types.Int64  `tfsdk:"height"`
}

func (m *imageFileModel) record(f imageFacts) {
	m.ID = types.StringValue(f.sha256)
	m.SHA256 = types.StringValue(f.sha256)
	m.Bytes = types.Int64Value(f.bytes)
	m.ContentType = types.StringValue(f.contentType)
	m.Width = types.Int64Value(int64(f.width))
	m.Height = types.Int64Value(int64(f.height))
}

func (m imageFileModel) facts() imageFacts {
	return imageFacts{sha256: m.SHA256.ValueString(), bytes: m.Bytes.ValueInt64(), contentType: m.ContentType.ValueString(),
		width: int(m.Width.ValueInt64()), height: int(m.Height.ValueInt64())}
}

func (r *imageFileResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image_file"
}

func (r *imageFileResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	keepInt := []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Downloads a generated image to a local file and keeps it there after its URL has expired. " +
			"The download is free; it never sends the API key, and nothing here ever pays for a new image.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "The SHA-256 of the file, the same as `sha256`.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"url": schema.StringAttribute{
				MarkdownDescription: "The image to download, usually `apimart_image.NAME.url` or an element of its `urls`. " +
					"It must be `https://` (plain `http://` only to a loopback host). Changing it downloads the new image, replacing the file.",
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
			"path": schema.StringAttribute{
				MarkdownDescription: "Where the file is written; a relative path is relative to the directory Terraform runs in. " +
					"Missing parent directories are created. Changing it moves the file, with no download, so it works after the URL has expired.",
				Required: true,
			},
			"keep_on_destroy": schema.BoolAttribute{
				MarkdownDescription: "Whether destroying this resource leaves the file where it is. Defaults to `false`: destroy removes the file, as `local_file` does.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(false),
			},
			"sha256": schema.StringAttribute{
				MarkdownDescription: "The SHA-256 of the file, in hex. Refresh compares the file against it.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"bytes": schema.Int64Attribute{
				MarkdownDescription: "The size of the file in bytes.",
				Computed:            true,
				PlanModifiers:       keepInt,
			},
			"content_type": schema.StringAttribute{
				MarkdownDescription: "The media type read from the image's own header (`image/png`, `image/jpeg`, `image/gif` or `image/webp`), whatever the server labeled it.",
				Computed:            true,
				PlanModifiers:       keep,
			},
			"width": schema.Int64Attribute{
				MarkdownDescription: "The image's width in pixels, read from its header.",
				Computed:            true,
				PlanModifiers:       keepInt,
			},
			"height": schema.Int64Attribute{
				MarkdownDescription: "The image's height in pixels, read from its header.",
				Computed:            true,
				PlanModifiers:       keepInt,
			},
		},
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
	facts, err := downloadImage(ctx, downloader, url, target)
	if err != nil {
		resp.Diagnostics.Append(downloadErrorDiagnostics(err, target)...)
		return
	}
	tflog.Info(ctx, fmt.Sprintf("saved image file %s (%d bytes, %dx%d)", target, facts.bytes, facts.width, facts.height),
		map[string]any{"path": target, "bytes": facts.bytes, "sha256": facts.sha256})
	plan.record(facts)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Read looks at the file only. While it is intact, nothing is sent. When it is missing or
// changed, one HEAD tells whether the URL still serves it: then the resource leaves state and
// the plan shows a free download; otherwise state is kept and a warning says what is left.
func (r *imageFileResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageFileModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	target := state.Path.ValueString()
	drift, err := fileDrift(target, state.facts())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("path"), "Unable to read the image file",
			fmt.Sprintf("Checking the file at %q failed: %s. Fix its permissions, or change path.", target, err))
		return
	}
	if drift == "" {
		return
	}
	downloader, diags := r.data.Downloader()
	if diags.HasError() {
		resp.Diagnostics.AddWarning("Image file not checked", fmt.Sprintf("The file at %q %s, and whether its URL still serves it "+
			"cannot be checked now: %s The state is kept as it was.", target, drift, diags[0].Detail()))
		return
	}
	switch err := downloader.Check(ctx, state.URL.ValueString()); {
	case err == nil:
		tflog.Info(ctx, "the image file "+drift+" and its URL still serves it; removing it from state so that the plan downloads it again",
			map[string]any{"path": target})
		resp.State.RemoveResource(ctx)
	case apimart.IsGone(err):
		resp.Diagnostics.AddAttributeWarning(path.Root("path"), "Image file cannot be downloaded again", expiredFileDetail(state, drift, err))
	default:
		resp.Diagnostics.AddAttributeWarning(path.Root("path"), "Image file not checked",
			fmt.Sprintf("The file at %q %s, and asking whether its URL still serves it failed: %s.\n\nThe state is kept as it was; "+
				"the next plan asks again.", target, drift, err))
	}
}

func expiredFileDetail(state imageFileModel, drift string, err error) string {
	return fmt.Sprintf("The file at %q %s, and it cannot be downloaded again: %s.\n\n"+
		"The state is kept as it was, so the plan proposes neither a download that cannot succeed nor a new image. "+
		"To restore the file, put the image with SHA-256 %s (%d bytes) back at %q, from a backup for example. "+
		"To pay for a new image instead, replace the image this URL came from, for example "+
		"`terraform apply -replace=apimart_image.NAME`; this file then follows the new URL.",
		state.Path.ValueString(), drift, err, state.SHA256.ValueString(), state.Bytes.ValueInt64(), state.Path.ValueString())
}

// Update moves the file when path changes; everything else it records as planned. It never
// downloads, so a move works after the URL has expired.
func (r *imageFileResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state imageFileModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	from, to := state.Path.ValueString(), plan.Path.ValueString()
	if err := moveFile(from, to, state.facts()); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("path"), "Unable to move the image file",
			fmt.Sprintf("Moving the file from %q to %q failed: %s.\n\nNothing was downloaded; the state still names %q. "+
				"Put the file back at %q (SHA-256 %s), or set path back.", from, to, err, from, from, state.SHA256.ValueString()))
		return
	}
	if from != to {
		tflog.Info(ctx, "moved image file", map[string]any{"from": from, "to": to})
	}
	plan.record(state.facts())
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
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
	drift, err := fileDrift(target, state.facts())
	switch {
	case err != nil:
		resp.Diagnostics.AddError("Unable to remove the image file", fmt.Sprintf("Checking the file at %q failed: %s.", target, err))
	case drift == "is missing":
	case drift != "":
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
	facts, err := inspectFile(target)
	if err != nil {
		resp.Diagnostics.AddError("Unable to import the image file", fmt.Sprintf("The file at %q cannot be adopted: %s. "+
			"Import takes a file that already exists; it downloads nothing.", target, err))
		return
	}
	state := imageFileModel{URL: types.StringValue(url), Path: types.StringValue(target), KeepOnDestroy: types.BoolValue(false)}
	state.record(facts)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func splitImportID(id string) (string, string, bool) {
	for _, sep := range importIDSeparators {
		if i := strings.Index(id, sep); i > 0 {
			return id[:i], id[i+1:], true
		}
	}
	return "", "", false
}

// downloadErrorDiagnostics explains a failed download; in every case nothing was written at the path.
func downloadErrorDiagnostics(err error, target string) diag.Diagnostics {
	var diags diag.Diagnostics
	nothing := fmt.Sprintf("Nothing was written at %q.", target)
	switch {
	case apimart.IsGone(err):
		diags.AddAttributeError(path.Root("url"), "Image URL expired or gone", fmt.Sprintf("%s.\n\n%s The file cannot be "+
			"downloaded from this URL any more. To pay for a new image, replace the image it came from, for example "+
			"`terraform apply -replace=apimart_image.NAME`.", err, nothing))
	case errors.Is(err, errNotAnImage):
		diags.AddAttributeError(path.Root("url"), "Download is not an image", fmt.Sprintf("The URL answered with a body that is "+
			"%s.\n\n%s Check the URL; an error page of a proxy or CDN looks like this.", err, nothing))
	default:
		diags.AddError("Unable to download the image", fmt.Sprintf("%s.\n\n%s Downloads are free: apply again to retry.", err, nothing))
	}
	return diags
}
