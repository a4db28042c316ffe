package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	"github.com/apimart/terraform-provider-apimart/internal/provider"
)

var _ resource.ResourceWithIdentity = newNoopImage()

// noopImage is apimart_image's twin; it keeps a state filled as a completed image's, and an
// identity, and calls no API.
type noopImage struct{ schemaTwin }

func newNoopImage() noopImage { return noopImage{schemaTwin{"_image", provider.NewImageResource}} }

// IdentitySchema is apimart_image's; Terraform and the framework handle an identity on every
// call, so a floor without one would cost less for that alone.
func (noopImage) IdentitySchema(ctx context.Context, req resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	if image, ok := provider.NewImageResource().(resource.ResourceWithIdentity); ok {
		image.IdentitySchema(ctx, req, resp)
	}
}

// identityFromState fills a missing identity from the state attributes of the same names, where
// apimart_image keeps its identity too.
func identityFromState(ctx context.Context, state tfsdk.State, identity *tfsdk.ResourceIdentity) diag.Diagnostics {
	if identity == nil || !identity.Raw.IsFullyNull() {
		return nil
	}
	var diags diag.Diagnostics
	for name := range identity.Schema.GetAttributes() {
		var value attr.Value
		diags.Append(state.GetAttribute(ctx, path.Root(name), &value)...)
		diags.Append(identity.SetAttribute(ctx, path.Root(name), value)...)
	}
	return diags
}

// Create stores the plan, with what is not known yet filled in the way a completed apimart_image
// fills it, and the prompt as id. Terraform's cost of an apply grows with what the state holds, so
// a floor that stored nulls would hold less than the image does and cost less for that alone.
func (noopImage) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	if !storeFilledPlan(req, resp, nullWhenCompleted) {
		return
	}
	var prompt string
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("prompt"), &prompt)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), prompt)...)
	resp.Diagnostics.Append(identityFromState(ctx, resp.State, resp.Identity)...)
}

// nullWhenCompleted are the attributes a completed apimart_image without reference images leaves null.
var nullWhenCompleted = map[string]bool{"error_code": true, "error_message": true, "reference_sha256": true}

func (noopImage) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	resp.Diagnostics.Append(identityFromState(ctx, req.State, resp.Identity)...)
}

func (noopImage) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
	resp.Diagnostics.Append(identityFromState(ctx, resp.State, resp.Identity)...)
}

func (noopImage) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
