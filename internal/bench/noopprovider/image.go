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
	case schema.DynamicAttribute:
		a.PlanModifiers, a.Validators, a.Default = nil, nil, nil
		return a, nil
	}
	return nil, fmt.Errorf("attribute type %T is not handled by the no-op copy", attr)
}

// Create stores the plan, with what is not known yet filled in the way a completed apimart_image
// fills it, and the prompt as id. Terraform's cost of an apply grows with what the state holds, so
// a floor that stored nulls would hold less than the image does and cost less for that alone.
func (noopImage) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	state, err := tftypes.Transform(req.Plan.Raw, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		return completedValue(p, v.Type()), nil
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

// nullWhenCompleted are the attributes a completed apimart_image leaves null.
var nullWhenCompleted = map[string]bool{"error_code": true, "error_message": true}

// completedValue stands in for a value the API would report: a string as long as a result URL,
// a number, false, or a list of one such string.
func completedValue(p *tftypes.AttributePath, typ tftypes.Type) tftypes.Value {
	steps := p.Steps()
	if len(steps) == 1 {
		if name, ok := steps[0].(tftypes.AttributeName); ok && nullWhenCompleted[string(name)] {
			return tftypes.NewValue(typ, nil)
		}
	}
	const url = "https://cdn.example/f/image/20261125/0123456789abcdef.png"
	switch {
	case typ.Is(tftypes.String):
		return tftypes.NewValue(typ, url)
	case typ.Is(tftypes.Number):
		return tftypes.NewValue(typ, 100)
	case typ.Is(tftypes.Bool):
		return tftypes.NewValue(typ, false)
	case typ.Is(tftypes.List{ElementType: tftypes.String}):
		return tftypes.NewValue(typ, []tftypes.Value{tftypes.NewValue(tftypes.String, url)})
	}
	return tftypes.NewValue(typ, nil)
}

func (noopImage) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (noopImage) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

func (noopImage) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
