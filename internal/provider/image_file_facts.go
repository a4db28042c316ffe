package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/imagebytes"
)

// What apimart_image_file and apimart_image_object share: the image's recorded facts, and the
// decision what a plan does when the stored bytes are no longer that image.

// storedImageModel is the part of a model that storedImageAttributes describes; the framework
// reads it from the embedding model.
type storedImageModel struct {
	ID          types.String `tfsdk:"id"`
	SHA256      types.String `tfsdk:"sha256"`
	Bytes       types.Int64  `tfsdk:"bytes"`
	ContentType types.String `tfsdk:"content_type"`
	Width       types.Int64  `tfsdk:"width"`
	Height      types.Int64  `tfsdk:"height"`
	Drift       types.String `tfsdk:"drift"`
}

// record takes the facts of an intact copy.
func (m *storedImageModel) record(f imagebytes.Facts) {
	m.ID, m.SHA256, m.Bytes = types.StringValue(f.SHA256), types.StringValue(f.SHA256), types.Int64Value(f.Bytes)
	m.ContentType, m.Width, m.Height = types.StringValue(f.ContentType), types.Int64Value(int64(f.Width)), types.Int64Value(int64(f.Height))
	m.Drift = types.StringNull()
}

func (m storedImageModel) facts() imagebytes.Facts {
	return imagebytes.Facts{SHA256: m.SHA256.ValueString(), Bytes: m.Bytes.ValueInt64(), ContentType: m.ContentType.ValueString(),
		Width: int(m.Width.ValueInt64()), Height: int(m.Height.ValueInt64())}
}

// keepUnlessChanged sets the state to what refresh read only when it differs from what Terraform
// sent. The framework keeps the state as sent unless it is set, and setting it converts every
// attribute: a plan of many intact copies spends a noticeable share of its time there.
func keepUnlessChanged[M comparable](ctx context.Context, resp *resource.ReadResponse, sent, read M) {
	if read != sent {
		resp.Diagnostics.Append(resp.State.Set(ctx, read)...)
	}
}

// storedImageAttributes are the computed attributes of a stored copy of an image; noun names it
// ("file", "object").
func storedImageAttributes(noun string) map[string]schema.Attribute {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	keepInt := []planmodifier.Int64{int64planmodifier.UseStateForUnknown()}
	return map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "The SHA-256 of the " + noun + ", the same as `sha256`.",
			Computed:            true,
			PlanModifiers:       keep,
		},
		"sha256": schema.StringAttribute{
			MarkdownDescription: "The SHA-256 of the " + noun + ", in hex. Refresh compares the " + noun + " against it; a restore must match it.",
			Computed:            true,
			PlanModifiers:       keep,
		},
		"bytes": schema.Int64Attribute{
			MarkdownDescription: "The size of the " + noun + " in bytes.",
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
		"drift": schema.StringAttribute{
			MarkdownDescription: "Null while the " + noun + " is the image recorded. When refresh finds it missing or changed and its URL still serves " +
				"the image, this says how it differs, and the plan restores the " + noun + " in place: one free download whose bytes must have " +
				"the recorded `sha256`, which stays known in the plan, as do `bytes`, `content_type`, `width` and `height`.",
			Computed:      true,
			PlanModifiers: []planmodifier.String{restoredOnApply{}},
		},
	}
}

// restoredOnApply plans drift as null: an apply leaves the stored copy intact. A drift that
// refresh recorded therefore plans an in-place update, and nothing else changes.
type restoredOnApply struct{}

func (restoredOnApply) Description(context.Context) string {
	return "Planned as null: an apply restores a copy that refresh found missing or changed."
}

func (m restoredOnApply) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (restoredOnApply) PlanModifyString(_ context.Context, _ planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	resp.PlanValue = types.StringNull()
}

// storedCopy names a stored copy of an image in messages.
type storedCopy struct {
	noun        string    // "file" or "object"
	where       string    // as a sentence starts: `The file at "a.png"`
	restoreHint string    // how to put the image back by hand
	at          path.Path // the attribute a warning points at
}

// driftVerdict is what refresh records for a stored copy that is not the image recorded. While
// url still serves the image (one free HEAD), the drift is recorded, so the plan restores the
// copy in place. Otherwise the drift is not recorded and a warning says what is left and how to
// restore it by hand, so the plan stays clean and never pays for a new image.
func driftVerdict(ctx context.Context, data *providerData, url string, c storedCopy, drift imagebytes.Drift, recorded imagebytes.Facts, diags *diag.Diagnostics) types.String {
	downloader, problems := data.Downloader()
	if problems.HasError() {
		diags.AddAttributeWarning(c.at, "Image "+c.noun+" not checked", fmt.Sprintf("%s %s, and whether its URL still serves it "+
			"cannot be checked now: %s The state is kept as it was.", c.where, drift, problems[0].Detail()))
		return types.StringNull()
	}
	switch err := downloader.Check(ctx, url); {
	case err == nil:
		tflog.Info(ctx, c.where+" "+drift.String()+" and its URL still serves it; the plan restores it in place", map[string]any{"sha256": recorded.SHA256})
		return types.StringValue(drift.String())
	case apimart.IsGone(err):
		diags.AddAttributeWarning(c.at, "Image "+c.noun+" cannot be downloaded again", fmt.Sprintf("%s %s, and it cannot be downloaded again: %s.\n\n"+
			"The state is kept as it was, so the plan proposes neither a download that cannot succeed nor a new image. "+
			"To restore it, put the image with SHA-256 %s (%d bytes) back: %s. "+
			"To pay for a new image instead, replace the image this URL came from, for example "+
			"`terraform apply -replace=apimart_image.NAME`; this %s then follows the new URL.",
			c.where, drift, err, recorded.SHA256, recorded.Bytes, c.restoreHint, c.noun))
	default:
		diags.AddAttributeWarning(c.at, "Image "+c.noun+" not checked", fmt.Sprintf("%s %s, and asking whether its URL still serves it failed: %s.\n\n"+
			"The state is kept as it was; the next plan asks again.", c.where, drift, err))
	}
	return types.StringNull()
}
