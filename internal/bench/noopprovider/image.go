package main

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/apimart/terraform-provider-apimart/internal/provider"
)

var _ resource.Resource = noopImage{}

// noopImage has the schema of apimart_image without any of its logic: no plan modifiers,
// defaults or validators, and no API. Comparing the two separates what the size of the schema
// costs (in Terraform and in the framework) from what apimart_image's own code costs.
type noopImage struct{}

func (noopImage) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image"
}

func (noopImage) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	provider.NewImageResource().Schema(ctx, req, resp)
	for name, attr := range resp.Schema.Attributes {
		bare, err := withoutLogic(attr)
		if err != nil {
			resp.Diagnostics.AddError("Unsupported apimart_image attribute", fmt.Sprintf("%s: %v", name, err))
			return
		}
		resp.Schema.Attributes[name] = bare
	}
}

// withoutLogic drops what makes an attribute run code at plan time.
func withoutLogic(attr schema.Attribute) (schema.Attribute, error) {
	switch a := attr.(type) {
	case schema.StringAttribute:
		a.PlanModifiers, a.Validators, a.Default = nil, nil, nil
		return a, nil
	case schema.Int64Attribute:
		a.PlanModifiers, a.Validators, a.Default = nil, nil, nil
		return a, nil
	case schema.BoolAttribute:
		a.PlanModifiers, a.Validators, a.Default = nil, nil, nil
		return a, nil
	case schema.ListAttribute:
		a.PlanModifiers, a.Validators, a.Default = nil, nil, nil
		return a, nil
	case schema.MapAttribute:
		a.PlanModifiers, a.Validators, a.Default = nil, nil, nil
		return a, nil
	case schema.Float64Attribute:
		a.PlanModifiers, a.Validators, a.Default = nil, nil, nil
		return a, nil
	}
	return nil, fmt.Errorf("attribute type %T is not handled by the no-op copy", attr)
}

// Create stores the plan, with what is not known yet stored as null, and the prompt as id.
func (noopImage) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	state, err := tftypes.Transform(req.Plan.Raw, func(_ *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if !v.IsKnown() {
			return tftypes.NewValue(v.Type(), nil), nil
		}
		return v, nil
	})
	if err != nil {
		resp.Diagnostics.AddError("Cannot store the plan", err.Error())
		return
	}
	resp.State.Raw = state
	var prompt string
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("prompt"), &prompt)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), prompt)...)
}

func (noopImage) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (noopImage) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

func (noopImage) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
