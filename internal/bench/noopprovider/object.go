package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/apimart/terraform-provider-apimart/internal/provider"
)

// objectTypeName is noop_object's resource type.
const objectTypeName = "noop_object"

// noopObject is apimart_image_object's twin: the floor of a plan of intact objects (benchmark
// 8d). It touches no storage. What apimart_image_object costs beyond it, and beyond the attribute
// reads its refresh makes, is its own code.
type noopObject struct{ schemaTwin }

func newNoopObject() noopObject {
	return noopObject{schemaTwin{"_object", provider.NewImageObjectResource}}
}

// nullWhenStored are the computed attributes a stored apimart_image_object leaves null: drift,
// while the object is intact.
var nullWhenStored = map[string]bool{"drift": true}

// Create stores the plan with the computed attributes filled, as a stored object's state holds
// them, so that its plans handle as much state as apimart_image_object's.
func (noopObject) Create(_ context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	storeFilledPlan(req, resp, nullWhenStored)
}

// Read leaves the state as it is: the object is taken to be intact.
func (noopObject) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (noopObject) Update(_ context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	resp.State.Raw = req.Plan.Raw
}

func (noopObject) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
