package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// imageArguments are the model-specific arguments of apimart_image: which models take them, and
// which values, comes from the catalog.
type imageArguments struct {
	Resolution     types.String  `tfsdk:"resolution"`
	NegativePrompt types.String  `tfsdk:"negative_prompt"`
	Quality        types.String  `tfsdk:"quality"`
	Background     types.String  `tfsdk:"background"`
	OutputFormat   types.String  `tfsdk:"output_format"`
	Parameters     types.Dynamic `tfsdk:"parameters"`
}

// optionalFields maps the catalog's optional field names to their arguments.
func (a imageArguments) optionalFields() map[string]types.String {
	return map[string]types.String{
		apimart.FieldNegativePrompt: a.NegativePrompt,
		apimart.FieldQuality:        a.Quality,
		apimart.FieldBackground:     a.Background,
		apimart.FieldOutputFormat:   a.OutputFormat,
	}
}

var optionalFieldDescriptions = map[string]string{
	apimart.FieldNegativePrompt: "What the image should not show.",
	apimart.FieldQuality:        "The rendering quality, which the API bills by.",
	apimart.FieldBackground:     "The background, for example `transparent`.",
	apimart.FieldOutputFormat:   "The file format of the result.",
}

func argumentAttributes() map[string]schema.Attribute {
	attributes := map[string]schema.Attribute{
		"resolution": schema.StringAttribute{
			MarkdownDescription: "The resolution tier, such as `1K`, `2K` or `4K`, in any case; the model's own spelling is sent. " +
				"Defaults to the model's default tier, and is null for a model without tiers. A model without tiers in the " +
				"model table above refuses it. Changing it generates a new image.",
			Optional:      true,
			Computed:      true,
			PlanModifiers: []planmodifier.String{replaceUnlessImported.String()},
		},
		"parameters": schema.DynamicAttribute{
			MarkdownDescription: "An object of other request fields, sent with their JSON types, for example " +
				"`{ seed = 42, watermark = false }`: a number stays a number and a bool a bool; nested objects and lists " +
				"are allowed. Keys are not checked, and the API ignores keys it does not know. Keys that the provider " +
				"sets itself or that an argument covers are refused: " + codeList(apimart.ReservedParameterKeys()) +
				". Changing it generates a new image.",
			Optional:      true,
			PlanModifiers: []planmodifier.Dynamic{replaceUnlessImported.Dynamic()},
		},
	}
	for _, name := range apimart.OptionalFieldNames {
		attributes[name] = schema.StringAttribute{
			MarkdownDescription: optionalFieldDescriptions[name] + " The model table above lists the allowed values. " + takenBy(name),
			Optional:            true,
			PlanModifiers:       []planmodifier.String{replaceUnlessImported.String()},
		}
	}
	return attributes
}

func takenBy(field string) string {
	return fmt.Sprintf("Taken by: %s. Changing it generates a new image.", codeList(apimart.ModelsTaking(field)))
}

// validate checks the known arguments against the model. Unknown values are checked once known.
func (a imageArguments) validate(m apimart.Model) []apimart.Problem {
	var problems []apimart.Problem
	if known(a.Resolution) {
		problems = append(problems, m.ValidateResolution(a.Resolution.ValueString())...)
	}
	fields := a.optionalFields()
	for _, name := range apimart.OptionalFieldNames {
		if v := fields[name]; known(v) {
			problems = append(problems, m.ValidateField(name, v.ValueString())...)
		}
	}
	return append(problems, validateParameters(a.Parameters)...)
}

func known(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }

// validateParameters refuses what is not an object and the keys the provider sets itself.
func validateParameters(p types.Dynamic) []apimart.Problem {
	if p.IsNull() || p.IsUnknown() || p.IsUnderlyingValueNull() || p.IsUnderlyingValueUnknown() {
		return nil
	}
	keys, ok := parameterKeys(p.UnderlyingValue())
	if !ok {
		return []apimart.Problem{{Field: apimart.FieldParameters, Summary: "Invalid parameters",
			Detail: fmt.Sprintf("parameters must be an object such as { seed = 42 }, not %s.", p.UnderlyingValue().Type(context.Background()))}}
	}
	reserved := apimart.ReservedParameterKeys()
	var refused []string
	for _, k := range keys {
		if slices.Contains(reserved, k) {
			refused = append(refused, fmt.Sprintf("%q", k))
		}
	}
	if len(refused) == 0 {
		return nil
	}
	slices.Sort(refused)
	return []apimart.Problem{{Field: apimart.FieldParameters, Summary: "Reserved key in parameters",
		Detail: fmt.Sprintf("parameters sets %s, which the provider sets itself or an argument covers. Use the argument of the same name instead; keys reserved: %s.",
			strings.Join(refused, ", "), strings.Join(apimart.ReservedParameterKeys(), ", "))}}
}

func parameterKeys(v attr.Value) ([]string, bool) {
	switch v := v.(type) {
	case basetypes.ObjectValue:
		return mapKeys(v.Attributes()), true
	case basetypes.MapValue:
		return mapKeys(v.Elements()), true
	}
	return nil, false
}

func mapKeys(m map[string]attr.Value) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// applyTo copies the arguments into a request.
func (a imageArguments) applyTo(req *apimart.GenerationRequest) error {
	req.Resolution = a.Resolution.ValueString()
	req.NegativePrompt = a.NegativePrompt.ValueString()
	req.Quality = a.Quality.ValueString()
	req.Background = a.Background.ValueString()
	req.OutputFormat = a.OutputFormat.ValueString()
	params, err := parametersJSON(a.Parameters)
	req.Parameters = params
	return err
}

// parametersJSON turns the parameters object into values that encode with their JSON types.
func parametersJSON(p types.Dynamic) (map[string]any, error) {
	if p.IsNull() || p.IsUnderlyingValueNull() {
		return nil, nil
	}
	value, err := jsonValue(p.UnderlyingValue())
	if err != nil {
		return nil, err
	}
	object, ok := value.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("parameters must be an object, not %T", value)
	}
	return object, nil
}

// jsonValue converts a Terraform value. Numbers keep their exact decimal text, so that 42 is
// sent as 42, never as "42" or 42.0.
func jsonValue(v attr.Value) (any, error) {
	if v.IsUnknown() {
		return nil, fmt.Errorf("a value in parameters is not known yet")
	}
	if v.IsNull() {
		return nil, nil
	}
	switch v := v.(type) {
	case basetypes.DynamicValue:
		return jsonValue(v.UnderlyingValue())
	case basetypes.StringValue:
		return v.ValueString(), nil
	case basetypes.BoolValue:
		return v.ValueBool(), nil
	case basetypes.NumberValue:
		return json.Number(v.ValueBigFloat().Text('g', -1)), nil
	case basetypes.Int64Value:
		return v.ValueInt64(), nil
	case basetypes.Float64Value:
		return v.ValueFloat64(), nil
	case basetypes.ObjectValue:
		return jsonObject(v.Attributes())
	case basetypes.MapValue:
		return jsonObject(v.Elements())
	case basetypes.ListValue:
		return jsonArray(v.Elements())
	case basetypes.SetValue:
		return jsonArray(v.Elements())
	case basetypes.TupleValue:
		return jsonArray(v.Elements())
	}
	return nil, fmt.Errorf("parameters cannot hold a value of type %s", v.Type(context.Background()))
}

func jsonObject(elements map[string]attr.Value) (map[string]any, error) {
	out := make(map[string]any, len(elements))
	for k, e := range elements {
		value, err := jsonValue(e)
		if err != nil {
			return nil, err
		}
		out[k] = value
	}
	return out, nil
}

func jsonArray(elements []attr.Value) ([]any, error) {
	out := make([]any, len(elements))
	for i, e := range elements {
		value, err := jsonValue(e)
		if err != nil {
			return nil, err
		}
		out[i] = value
	}
	return out, nil
}

// argumentInputs are the arguments' part of the handover key.
type argumentInputs struct {
	Resolution     string `json:"resolution"`
	NegativePrompt string `json:"negative_prompt"`
	Quality        string `json:"quality"`
	Background     string `json:"background"`
	OutputFormat   string `json:"output_format"`
	Parameters     string `json:"parameters"`
}

func (a imageArguments) inputs() argumentInputs {
	// Parameters were encoded once already by the plan, so encoding them again cannot fail;
	// map keys come out sorted, which makes the text canonical.
	params, _ := parametersJSON(a.Parameters)
	encoded, _ := json.Marshal(params)
	return argumentInputs{
		Resolution:     a.Resolution.ValueString(),
		NegativePrompt: a.NegativePrompt.ValueString(),
		Quality:        a.Quality.ValueString(),
		Background:     a.Background.ValueString(),
		OutputFormat:   a.OutputFormat.ValueString(),
		Parameters:     string(encoded),
	}
}

// planModelDefaults plans the size and resolution that the API uses when the configuration
// leaves them out: the model's defaults, or null when it has none or is not in the catalog.
// An image made before the provider knew tiers keeps its null resolution, because the API used
// the same default for it, and planning the tier now would replace a paid image for nothing.
func planModelDefaults(ctx context.Context, config tfsdk.Config, state tfsdk.State, plan *imageResourceModel) diag.Diagnostics {
	var configSize, configResolution, priorModel, priorResolution types.String
	diags := config.GetAttribute(ctx, path.Root("size"), &configSize)
	diags.Append(config.GetAttribute(ctx, path.Root("resolution"), &configResolution)...)
	if !state.Raw.IsNull() {
		diags.Append(state.GetAttribute(ctx, path.Root("model"), &priorModel)...)
		diags.Append(state.GetAttribute(ctx, path.Root("resolution"), &priorResolution)...)
	}
	if diags.HasError() || plan.Model.IsUnknown() {
		return diags
	}
	model, _ := apimart.LookupModel(plan.Model.ValueString())
	if configSize.IsNull() {
		plan.Size = stringOrNull(model.DefaultSize)
	}
	if configResolution.IsNull() {
		plan.Resolution = stringOrNull(model.DefaultResolution)
		if priorModel.Equal(plan.Model) && priorResolution.IsNull() {
			plan.Resolution = priorResolution
		}
	}
	return diags
}

// modelProblem turns the catalog's "unsupported model" into a diagnostic, unless the provider
// allows unlisted models. Before the provider is configured (terraform validate), whether it
// does is not known, so nothing is said; the plan checks again.
func (r *imageResource) modelProblem(p apimart.Problem, model string, diags *diag.Diagnostics) {
	switch {
	case r.data == nil:
	case r.data.allowUnlistedModels:
		diags.AddAttributeWarning(path.Root(apimart.FieldModel), "Model not in the catalog",
			fmt.Sprintf("The model %q is not in this provider's catalog, and allow_unlisted_models is set, so it is sent as written. "+
				"Its size, n, resolution, optional arguments and parameters are not checked: the API may refuse them, "+
				"or silently change them and charge for the result.", model))
	default:
		diags.AddAttributeError(path.Root(p.Field), p.Summary, p.Detail)
	}
}
