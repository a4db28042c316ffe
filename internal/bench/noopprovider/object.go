package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/apimart/terraform-provider-apimart/internal/provider"
)

// objectTypeName is noop_object's resource type.
const objectTypeName = "noop_object"

// noopObject has the schema of apimart_image_object without any of its logic, and touches no
// storage: the floor of a plan of intact objects (benchmark 8d). What apimart_image_object costs
// beyond it, and beyond the attribute reads its refresh makes, is its own code.
type noopObject struct{}

func (noopObject) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_object"
}

func (noopObject) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	provider.NewImageObjectResource().Schema(ctx, req, resp)
	resp.Schema = withoutLogic(resp.Schema)
}

// nullWhenStored are the attributes a stored apimart_image_object leaves null: drift while the
// object is intact, and cache_control when the configuration sets none.
var nullWhenStored = map[string]bool{"drift": true}

// Create stores the plan with the computed attributes filled, as a stored object's state holds
// them, so that its plans handle as much state as apimart_image_object's.
func (noopObject) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	state, err := filledPlan(req.Plan.Raw, nullWhenStored)
	if err != nil {
		resp.Diagnostics.AddError("Cannot store the plan", err.Error())
		return
	}
	resp.State.Raw = state
}

// Read leaves the state as it is: the object is taken to be intact.
func (noopObject) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (noopObject) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

func (noopObject) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
