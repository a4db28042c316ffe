package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/dynamicplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/listplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
)

// privateImportedKey marks, in private state, an imported object whose inputs the API
// could not report. Its first plan takes them from configuration; Update then clears the mark.
const privateImportedKey = "imported"

// privateForgottenKey marks, in private state, an object whose unfinished task the API no longer
// knows: nothing can be collected from it, so later refreshes do not ask again.
const privateForgottenKey = "forgotten"

// privateReader is the part of the framework's private state that the plan modifiers read.
type privateReader interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

func hasPrivateMark(ctx context.Context, private privateReader, key string) bool {
	if private == nil {
		return false
	}
	value, _ := private.GetKey(ctx, key)
	return len(value) > 0
}

func wasImported(ctx context.Context, private privateReader) bool {
	return hasPrivateMark(ctx, private, privateImportedKey)
}

// replaceUnlessImported forces replacement when an input changes, as every input must, except on
// the first plan after an import, which adopts the configured inputs in place.
var replaceUnlessImported replaceUnlessImportedModifiers

type replaceUnlessImportedModifiers struct{}

const replaceUnlessImportedDescription = "Changing this value generates a new image, except right after an import, when the configured value is adopted."

func (replaceUnlessImportedModifiers) String() planmodifier.String {
	return stringplanmodifier.RequiresReplaceIf(func(ctx context.Context, req planmodifier.StringRequest, resp *stringplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !wasImported(ctx, req.Private)
	}, replaceUnlessImportedDescription, replaceUnlessImportedDescription)
}

func (replaceUnlessImportedModifiers) Int64() planmodifier.Int64 {
	return int64planmodifier.RequiresReplaceIf(func(ctx context.Context, req planmodifier.Int64Request, resp *int64planmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !wasImported(ctx, req.Private)
	}, replaceUnlessImportedDescription, replaceUnlessImportedDescription)
}

func (replaceUnlessImportedModifiers) Map() planmodifier.Map {
	return mapplanmodifier.RequiresReplaceIf(func(ctx context.Context, req planmodifier.MapRequest, resp *mapplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !wasImported(ctx, req.Private)
	}, replaceUnlessImportedDescription, replaceUnlessImportedDescription)
}

func (replaceUnlessImportedModifiers) Dynamic() planmodifier.Dynamic {
	return dynamicplanmodifier.RequiresReplaceIf(func(ctx context.Context, req planmodifier.DynamicRequest, resp *dynamicplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !wasImported(ctx, req.Private)
	}, replaceUnlessImportedDescription, replaceUnlessImportedDescription)
}

func (replaceUnlessImportedModifiers) List() planmodifier.List {
	return listplanmodifier.RequiresReplaceIf(func(ctx context.Context, req planmodifier.ListRequest, resp *listplanmodifier.RequiresReplaceIfFuncResponse) {
		resp.RequiresReplace = !wasImported(ctx, req.Private)
	}, replaceUnlessImportedDescription, replaceUnlessImportedDescription)
}
