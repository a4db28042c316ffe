package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/imagebytes"
)

// apimart_image, top to bottom: schema, model, ValidateConfig, ModifyPlan, Create, Read, Update,
// Delete, ImportState. Reference files are read and uploaded in image_references.go; the values
// the API reports about a task are shared with apimart_task in task_result.go.

// Default waits. A task usually takes seconds to a few minutes; the margin covers a busy queue.
const (
	defaultCreateTimeout = 20 * time.Minute
	defaultUpdateTimeout = 20 * time.Minute
)

var (
	_ resource.Resource                   = &imageResource{}
	_ resource.ResourceWithConfigure      = &imageResource{}
	_ resource.ResourceWithIdentity       = &imageResource{}
	_ resource.ResourceWithImportState    = &imageResource{}
	_ resource.ResourceWithModifyPlan     = &imageResource{}
	_ resource.ResourceWithValidateConfig = &imageResource{}
)

// NewImageResource is the factory of apimart_image.
func NewImageResource() resource.Resource { return &imageResource{} }

type imageResource struct {
	data *providerData
}

func (r *imageResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image"
}

func (r *imageResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := configuredData(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

// ---- Schema ----

func (r *imageResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	// Model and n default in the schema, so that leaving them out of the configuration again is a
	// change; size and resolution depend on the model, and ModifyPlan plans them.
	defaults := defaultsFor(types.StringNull())
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "The task id, the same as `task_id`.",
			Computed:            true,
		},
		"task_id": schema.StringAttribute{
			MarkdownDescription: "The APIMart task id. It is saved in state as soon as the task exists, so a paid task is never lost.",
			Computed:            true,
		},
		"prompt": schema.StringAttribute{
			MarkdownDescription: promptDescription() + " Changing it generates a new image.",
			Required:            true,
			PlanModifiers:       []planmodifier.String{replaceUnlessImported.String()},
		},
		"model": schema.StringAttribute{
			MarkdownDescription: modelDescription() + " Changing it generates a new image.",
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString(defaults.Model.ValueString()),
			PlanModifiers:       []planmodifier.String{replaceUnlessImported.String()},
		},
		"size": schema.StringAttribute{
			MarkdownDescription: sizeDescription() + " Changing it generates a new image.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			PlanModifiers:       []planmodifier.String{replaceUnlessImported.String()},
		},
		"n": schema.Int64Attribute{
			MarkdownDescription: countDescription() + " Changing it generates a new image.",
			Optional:            true,
			Computed:            true,
			Default:             int64default.StaticInt64(defaults.N.ValueInt64()),
			Validators:          []validator.Int64{int64validator.AtLeast(1)},
			PlanModifiers:       []planmodifier.Int64{replaceUnlessImported.Int64()},
		},
		"resolution": schema.StringAttribute{
			MarkdownDescription: "The resolution tier, such as `1K`, `2K` or `4K`, in any case; the model's own spelling is sent. " +
				"Defaults to the model's default tier, and is null for a model without tiers. A model without tiers in the " +
				"model table above refuses it. Changing it generates a new image.",
			Optional:      true,
			Computed:      true,
			Validators:    []validator.String{stringvalidator.LengthAtLeast(1)},
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
		"keepers": schema.MapAttribute{
			MarkdownDescription: "Arbitrary values that, when changed, generate a new image with the same inputs. " +
				"Use it to regenerate on purpose, for example when a release number changes.",
			ElementType:   types.StringType,
			Optional:      true,
			PlanModifiers: []planmodifier.Map{replaceUnlessImported.Map()},
		},
		attrReferenceImages: schema.ListAttribute{
			MarkdownDescription: "Images the model edits or draws on, in order; the References column of the model table " +
				"says which models take them and how many. Each element is an `http://` or `https://` URL, " +
				"sent as it is, or the path of a local " + imagebytes.Formats + " file of at most 20 MB, judged by its content " +
				"rather than its name. A relative path is resolved against the directory Terraform runs in, so write " +
				"`\"${path.module}/photo.png\"`. Each local file is uploaded once, during create, with the API's free upload " +
				"endpoint. `data:` URIs are refused: save the image to a file and give its path. The plan fails when the model " +
				"takes no reference images, or not this many, or when a file is missing, unreadable, too large or not an image. A new image is made when the content of a file changes; touching a file, or moving it to another path, " +
				"is an in-place update that sends nothing. See `reference_sha256`.",
			ElementType: types.StringType,
			Optional:    true,
		},
		attrReferenceURLs: schema.ListAttribute{
			MarkdownDescription: "The URLs sent to the API as `image_urls`, in the order of `reference_images`: a URL as it was " +
				"given, a local file as the URL its upload returned. Upload URLs expire after about 72 hours; that never makes " +
				"a new image, and refresh uploads nothing.",
			ElementType:   types.StringType,
			Computed:      true,
			PlanModifiers: []planmodifier.List{referenceURLsModifier{}},
		},
		attrReferenceSHA256: schema.ListAttribute{
			MarkdownDescription: "One value per element of `reference_images`: the hex SHA-256 of a local file's content, or the " +
				"URL itself for a URL, which the provider never fetches. It is read at every plan; when it changes, a new image " +
				"is made.",
			ElementType:   types.StringType,
			Computed:      true,
			PlanModifiers: []planmodifier.List{referenceDigestsModifier{}, replaceUnlessImported.List()},
		},
		"interrupted": schema.BoolAttribute{
			MarkdownDescription: "Whether the apply that submitted this task stopped before the image was collected " +
				"(timeout, Ctrl-C or a lost connection). The next apply collects the same task instead of paying for a new one. " +
				"It is false again once the image is collected, or once a refresh finds that the API no longer knows the task.",
			Computed: true,
			Default:  booldefault.StaticBool(false),
		},
	}
	for _, a := range apimart.Arguments {
		attributes[a.Name] = schema.StringAttribute{
			MarkdownDescription: a.Description + " The model table above lists the allowed values. " + takenBy(a.Name),
			Optional:            true,
			Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			PlanModifiers:       []planmodifier.String{replaceUnlessImported.String()},
		}
	}
	for _, a := range taskResultAttributes {
		attributes[a.name] = computedResultAttribute(a)
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Generates an image from a prompt with the APIMart API and keeps the result URLs in state. " +
			"Every input forces a new image, because the API cannot change a finished task. Each image is charged by APIMart.\n\n" +
			modelTable(),
		Attributes: attributes,
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{Create: true, Update: true}),
		},
	}
}

func takenBy(field string) string {
	return fmt.Sprintf("Taken by: %s. Changing it generates a new image.", codeList(apimart.ModelsTaking(field)))
}

// computedResultAttribute declares a value the API reports. ModifyPlan decides in one step what a
// plan says of all of them (see planUpdate), so they carry no plan modifiers of their own.
func computedResultAttribute(a resultAttribute) schema.Attribute {
	switch a.kind {
	case kindStringList:
		return schema.ListAttribute{MarkdownDescription: a.description, Computed: true, ElementType: types.StringType}
	case kindInt64:
		return schema.Int64Attribute{MarkdownDescription: a.description, Computed: true}
	default:
		return schema.StringAttribute{MarkdownDescription: a.description, Computed: true}
	}
}

// IdentitySchema makes the task id the object's identity: an image is its task, and Terraform 1.12
// and later can import an image by it.
func (r *imageResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"task_id": identityschema.StringAttribute{
				Description:       "The APIMart task id of the image.",
				RequiredForImport: true,
			},
		},
	}
}

// ---- Model ----

type imageResourceModel struct {
	ID         types.String `tfsdk:"id"`
	TaskID     types.String `tfsdk:"task_id"`
	Prompt     types.String `tfsdk:"prompt"`
	Model      types.String `tfsdk:"model"`
	Size       types.String `tfsdk:"size"`
	N          types.Int64  `tfsdk:"n"`
	Resolution types.String `tfsdk:"resolution"`
	// Arguments are the catalog's typed arguments by name (apimart.Arguments), so that adding one
	// is a row of that table; getImage and setImage carry them.
	Arguments       map[string]types.String `tfsdk:"-"`
	Parameters      types.Dynamic           `tfsdk:"parameters"`
	Keepers         types.Map               `tfsdk:"keepers"`
	ReferenceImages types.List              `tfsdk:"reference_images"`
	ReferenceURLs   types.List              `tfsdk:"reference_urls"`
	ReferenceSHA256 types.List              `tfsdk:"reference_sha256"`
	Interrupted     types.Bool              `tfsdk:"interrupted"`
	Timeouts        timeouts.Value          `tfsdk:"timeouts"`
	taskResultModel
}

// getImage reads a configuration, plan or state into the model: the typed arguments into
// Arguments, everything else into the fields.
func getImage(ctx context.Context, from interface {
	Get(context.Context, any) diag.Diagnostics
}) (imageResourceModel, diag.Diagnostics) {
	var whole types.Object
	diags := from.Get(ctx, &whole)
	if diags.HasError() {
		return imageResourceModel{}, diags
	}
	values, attrTypes := whole.Attributes(), whole.AttributeTypes(ctx)
	arguments := map[string]types.String{}
	for _, a := range apimart.Arguments {
		arguments[a.Name], _ = values[a.Name].(types.String)
		delete(values, a.Name)
		delete(attrTypes, a.Name)
	}
	var m imageResourceModel
	rest, d := types.ObjectValue(attrTypes, values)
	diags.Append(d...)
	if !diags.HasError() {
		diags.Append(rest.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	}
	m.Arguments = arguments
	return m, diags
}

// imageAttributeTypes are the types of every attribute of apimart_image, for setImage.
var imageAttributeTypes = sync.OnceValue(func() map[string]attr.Type {
	var resp resource.SchemaResponse
	(&imageResource{}).Schema(context.Background(), resource.SchemaRequest{}, &resp)
	object, _ := resp.Schema.Type().(attr.TypeWithAttributeTypes) // a schema is an object type
	return object.AttributeTypes()
})

// setImage writes the model into a plan or state.
func setImage(ctx context.Context, to interface {
	Set(context.Context, any) diag.Diagnostics
}, m imageResourceModel) diag.Diagnostics {
	attrTypes := imageAttributeTypes()
	fixed := maps.Clone(attrTypes)
	for _, a := range apimart.Arguments {
		delete(fixed, a.Name)
	}
	rest, diags := types.ObjectValueFrom(ctx, fixed, m)
	if diags.HasError() {
		return diags
	}
	values := rest.Attributes()
	for _, a := range apimart.Arguments {
		values[a.Name] = types.StringNull()
		if v, ok := m.Arguments[a.Name]; ok {
			values[a.Name] = v
		}
	}
	whole, d := types.ObjectValue(attrTypes, values)
	diags.Append(d...)
	if !diags.HasError() {
		diags.Append(to.Set(ctx, whole)...)
	}
	return diags
}

func (m *imageResourceModel) startedTask(sub *apimart.Submission) {
	m.ID = types.StringValue(sub.TaskID)
	m.TaskID = types.StringValue(sub.TaskID)
	m.taskResultModel = pendingTaskResult(sub)
	m.Interrupted = types.BoolValue(false)
}

// imageInputs are the inputs that decide which image a task makes: the one value that the
// request, its validation and the handover key are built from.
type imageInputs struct {
	Prompt     string            `json:"prompt"`
	Model      string            `json:"model"`
	Size       string            `json:"size"`
	N          int64             `json:"n"`
	Resolution string            `json:"resolution"`
	Arguments  map[string]string `json:"arguments,omitempty"`
	Parameters map[string]any    `json:"parameters,omitempty"`
	Keepers    map[string]string `json:"keepers"`
	// References are the content digests of the reference images (a URL stands for itself), so a
	// moved file or a new upload URL is the same input.
	References []string `json:"references,omitempty"`
}

// inputs reads the inputs of a plan or state. The error is that of parameters that are not an
// object, or not known yet.
func (m imageResourceModel) inputs() (imageInputs, error) {
	params, err := parametersJSON(m.Parameters)
	in := imageInputs{
		Prompt:     m.Prompt.ValueString(),
		Model:      m.Model.ValueString(),
		Size:       m.Size.ValueString(),
		N:          m.N.ValueInt64(),
		Resolution: m.Resolution.ValueString(),
		Arguments:  map[string]string{},
		Parameters: params,
		Keepers:    map[string]string{},
		References: listStrings(m.ReferenceSHA256),
	}
	for name, v := range m.Arguments {
		if v.ValueString() != "" {
			in.Arguments[name] = v.ValueString()
		}
	}
	for k, v := range m.Keepers.Elements() {
		if s, ok := v.(types.String); ok {
			in.Keepers[k] = s.ValueString()
		}
	}
	return in, err
}

// request is what the API is sent for these inputs, with the reference images at imageURLs.
func (in imageInputs) request(imageURLs []string) apimart.GenerationRequest {
	return apimart.GenerationRequest{
		Model:      in.Model,
		Prompt:     in.Prompt,
		Size:       in.Size,
		N:          in.N,
		Resolution: in.Resolution,
		Arguments:  in.Arguments,
		ImageURLs:  imageURLs,
		Parameters: in.Parameters,
	}
}

// imageDefaults are what model, n, size and resolution are when the configuration leaves them
// out: the default model, one image, and the model's default size and tier, or null where the
// model documents none and the API chooses. They are decided here only: the schema declares the
// first two, ModifyPlan plans the others, ValidateConfig checks a configuration with all four, and
// the request sends what was planned.
type imageDefaults struct {
	Model, Size, Resolution types.String
	N                       types.Int64
}

func defaultsFor(configModel types.String) imageDefaults {
	model := configModel
	if model.IsNull() {
		model = types.StringValue(apimart.DefaultModel)
	}
	m, _ := apimart.LookupModel(model.ValueString())
	return imageDefaults{Model: model, N: types.Int64Value(1), Size: stringOrNull(m.DefaultSize), Resolution: stringOrNull(m.DefaultResolution)}
}

// ---- ValidateConfig ----

func (r *imageResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	config, diags := getImage(ctx, req.Config)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	for _, p := range validateImageConfig(config) {
		if p.Field == apimart.FieldModel {
			r.modelProblem(p, config.Model.ValueString(), &resp.Diagnostics)
			continue
		}
		resp.Diagnostics.AddAttributeError(path.Root(p.Field), p.Summary, p.Detail)
	}
	resp.Diagnostics.Append(validateReferenceForms(config.ReferenceImages)...)
}

// validateImageConfig checks a configuration with apimart.Validate, the check the fuzz targets
// fuzz. Arguments left out are checked with their defaults; a value not known yet is pending, and
// is checked when it is known.
func validateImageConfig(c imageResourceModel) []apimart.Problem {
	d := defaultsFor(c.Model)
	c.Model = d.Model
	if c.N.IsNull() {
		c.N = d.N
	}
	if c.Size.IsNull() {
		c.Size = d.Size
	}
	if c.Resolution.IsNull() {
		c.Resolution = d.Resolution
	}
	var pending []string
	values := map[string]attr.Value{
		apimart.FieldModel: c.Model, apimart.FieldPrompt: c.Prompt, apimart.FieldSize: c.Size, apimart.FieldN: c.N,
		apimart.FieldResolution: c.Resolution, apimart.FieldImageURLs: c.ReferenceImages,
	}
	for name, v := range c.Arguments {
		values[name] = v
	}
	for field, v := range values {
		if v.IsUnknown() {
			pending = append(pending, field)
		}
	}
	in, err := c.inputs()
	var problems []apimart.Problem
	switch {
	case errors.Is(err, errParametersNotKnown):
		pending = append(pending, apimart.FieldParameters)
	case err != nil:
		problems = append(problems, apimart.Problem{Field: apimart.FieldParameters, Summary: "Invalid parameters", Detail: err.Error() + "."})
	}
	for _, p := range apimart.Validate(in.request(listStrings(c.ReferenceImages)), pending...) {
		// The catalog speaks of the request's image_urls, the resource of reference_images.
		if p.Field == apimart.FieldImageURLs {
			p.Field = attrReferenceImages
		}
		problems = append(problems, p)
	}
	return problems
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

// ---- ModifyPlan ----

// ModifyPlan reads only the attributes it decides on. Terraform plans every image in state on
// every plan, and a whole-model Get or Set walks every attribute by reflection.
func (r *imageResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	resp.Diagnostics.Append(planDefaults(ctx, req.Config, req.State, &resp.Plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if req.State.Raw.IsNull() {
		// A create: the framework plans every computed value as known after apply.
		resp.Diagnostics.Append(r.warnIfReplacingForgottenTask(ctx, resp.Plan)...)
		return
	}
	forgotten := hasPrivateMark(ctx, req.Private, privateForgottenKey)
	if forgotten {
		resp.Diagnostics.Append(forgottenTaskWarning(ctx, req.State)...)
	}
	resp.Diagnostics.Append(planUpdate(ctx, req.State, &resp.Plan, forgotten)...)
}

// planDefaults plans the size and resolution that the configuration leaves out. It plans only a
// value the framework left unknown: a known one is the state's, kept because nothing changed, and
// reading no more than that is what keeps a plan of many finished images cheap. An image made
// before the provider knew tiers keeps its null resolution, because the API used the same default
// for it, and planning the tier now would replace a paid image for nothing.
func planDefaults(ctx context.Context, config tfsdk.Config, state tfsdk.State, plan *tfsdk.Plan) diag.Diagnostics {
	var size, resolution types.String
	diags := plan.GetAttribute(ctx, path.Root("size"), &size)
	diags.Append(plan.GetAttribute(ctx, path.Root("resolution"), &resolution)...)
	if diags.HasError() || !size.IsUnknown() && !resolution.IsUnknown() {
		return diags
	}
	var model, configSize, configResolution, priorModel, priorResolution types.String
	diags.Append(plan.GetAttribute(ctx, path.Root("model"), &model)...)
	diags.Append(config.GetAttribute(ctx, path.Root("size"), &configSize)...)
	diags.Append(config.GetAttribute(ctx, path.Root("resolution"), &configResolution)...)
	if !state.Raw.IsNull() {
		diags.Append(state.GetAttribute(ctx, path.Root("model"), &priorModel)...)
		diags.Append(state.GetAttribute(ctx, path.Root("resolution"), &priorResolution)...)
	}
	if diags.HasError() || model.IsUnknown() {
		return diags // the model's defaults are planned once the model is known
	}
	d := defaultsFor(model)
	if size.IsUnknown() && configSize.IsNull() {
		diags.Append(plan.SetAttribute(ctx, path.Root("size"), d.Size)...)
	}
	if resolution.IsUnknown() && configResolution.IsNull() {
		planned := d.Resolution
		if priorModel.Equal(model) && priorResolution.IsNull() {
			planned = priorResolution
		}
		diags.Append(plan.SetAttribute(ctx, path.Root("resolution"), planned)...)
	}
	return diags
}

// planUpdate keeps, in the plan of an object in state, what no update changes: the task id, and
// a terminal task's results. An unfinished task's results are known only after the apply that
// collects it, after an interrupted create, an untaint or an import. A task the API has forgotten
// has nothing left to collect, so its object plans as a finished one does.
func planUpdate(ctx context.Context, state tfsdk.State, plan *tfsdk.Plan, forgotten bool) diag.Diagnostics {
	terminal, diags := stateIsTerminal(ctx, state)
	terminal = terminal || forgotten
	if diags.HasError() || terminal && plan.Raw.Equal(state.Raw) {
		return diags // keeping the state's values in a plan that already is the state changes nothing
	}
	planned, d := getImage(ctx, plan)
	diags.Append(d...)
	prior, d := getImage(ctx, state)
	diags.Append(d...)
	if diags.HasError() {
		return diags
	}
	planned.ID, planned.TaskID = prior.ID, prior.TaskID
	planned.taskResultModel = prior.taskResultModel
	if !terminal {
		planned.taskResultModel = unknownTaskResult()
	}
	diags.Append(setImage(ctx, plan, planned)...)
	return diags
}

// stateIsTerminal reads only the status, which refresh and plan ask of every image in state.
func stateIsTerminal(ctx context.Context, state tfsdk.State) (bool, diag.Diagnostics) {
	var status types.String
	diags := state.GetAttribute(ctx, path.Root("status"), &status)
	return taskResultModel{Status: status}.isTerminal(), diags
}

// forgottenTaskWarning explains the plan of an object whose unfinished task the API has
// forgotten, in place (as after terraform untaint): nothing is paid for unless asked.
func forgottenTaskWarning(ctx context.Context, state tfsdk.State) diag.Diagnostics {
	var taskID types.String
	diags := state.GetAttribute(ctx, path.Root("task_id"), &taskID)
	diags.AddAttributeWarning(path.Root("task_id"), "Image task forgotten by APIMart",
		fmt.Sprintf("Task %s was still unfinished when APIMart stopped knowing it, so its image can never be collected. "+
			"The object stays in state, and this plan submits no new image, so nothing is charged. To pay for a new "+
			"image, run terraform apply -replace=ADDRESS with the address of this resource, shown above.", taskID.ValueString()))
	return diags
}

// warnIfReplacingForgottenTask explains the plan that replaces a tainted object whose unfinished
// task the API has forgotten. Terraform plans that replacement as a create, with no prior state;
// the refresh before it noted the forgotten task under the object's inputs.
func (r *imageResource) warnIfReplacingForgottenTask(ctx context.Context, plan tfsdk.Plan) diag.Diagnostics {
	if r.data == nil || !r.data.handover.anyForgotten() {
		return nil
	}
	planned, diags := getImage(ctx, plan)
	if diags.HasError() {
		return diags
	}
	in, err := planned.inputs()
	if err != nil {
		return diags // parameters not known yet: this is not the image of a task in state
	}
	if taskID, ok := r.data.handover.forgottenTask(in.handoverKey()); ok {
		diags.AddWarning("Replacing an image whose task APIMart forgot",
			fmt.Sprintf("Task %s was still unfinished when APIMart stopped knowing it, so no apply can collect it. "+
				"This replacement submits a new, paid image, because the old task is gone. To keep the object without "+
				"an image instead, run terraform untaint on it before you apply.", taskID))
	}
	return diags
}

// ---- Create ----

func (r *imageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	plan, diags := getImage(ctx, req.Plan)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	in, err := plan.inputs()
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("parameters"), "Invalid parameters", err.Error()+". Nothing was submitted or charged.")
		return
	}
	ctx = r.data.logContext(ctx)
	client, diags := r.data.Client()
	resp.Diagnostics.Append(diags...)
	timeout, diags := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	wait, ok := r.startTask(ctx, client, in, &plan, &resp.Diagnostics)
	if !ok {
		return
	}
	// The task id goes into the response state before the wait, so that no way out of the wait,
	// including one added later, can return without it.
	resp.Diagnostics.Append(setImage(ctx, &resp.State, plan)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, plan.TaskID)...)
	task, err := client.WaitForTask(ctx, plan.TaskID.ValueString(), wait)
	resp.Diagnostics.Append(recordWaitOutcome(&plan, task, err, r.data, "create")...)
	resp.Diagnostics.Append(setImage(ctx, &resp.State, plan)...)
}

// startTask takes over the task of an interrupted object that this one replaces, or else uploads
// the reference files and submits a new, paid task. It fills the task id, the first status and
// the reference URLs into plan.
func (r *imageResource) startTask(ctx context.Context, client *apimart.Client, in imageInputs, plan *imageResourceModel, diags *diag.Diagnostics) (apimart.WaitOptions, bool) {
	if queued, ok := r.data.handover.pop(in.handoverKey()); ok {
		tflog.Info(ctx, "collecting the task of the interrupted image this one replaces, instead of paying for a new one",
			map[string]any{"task_id": queued.TaskID})
		plan.startedTask(&apimart.Submission{TaskID: queued.TaskID})
		plan.ReferenceURLs = stringListOrNull(queued.ReferenceURLs)
		return apimart.WaitOptions{SubmittedAt: queued.SubmittedAt, OnProgress: logProgress(ctx)}, true
	}
	urls, d := uploadReferences(ctx, client, r.data, listStrings(plan.ReferenceImages), in.References)
	diags.Append(d...)
	if d.HasError() {
		return apimart.WaitOptions{}, false
	}
	sub, err := client.Submit(ctx, in.request(urls))
	if err != nil {
		diags.Append(submitErrorDiagnostics(err, r.data)...)
		return apimart.WaitOptions{}, false
	}
	tflog.Info(ctx, "submitted image task", map[string]any{"task_id": sub.TaskID, "estimated_time": sub.EstimatedTime.String()})
	plan.startedTask(sub)
	plan.ReferenceURLs = stringListOrNull(urls)
	return apimart.WaitOptions{EstimatedTime: sub.EstimatedTime, OnProgress: logProgress(ctx)}, true
}

// recordWaitOutcome stores what the wait learned and explains a wait that did not end in a
// completed task. A wait that stopped early marks the object interrupted, so the next apply
// collects the same task.
func recordWaitOutcome(m *imageResourceModel, task *apimart.Task, err error, data *providerData, operation string) diag.Diagnostics {
	if task != nil {
		m.taskResultModel = newTaskResult(task)
	}
	m.Interrupted = types.BoolValue(err != nil && !isTaskFailure(err))
	if err == nil {
		return nil
	}
	return waitErrorDiagnostics(err, m.TaskID.ValueString(), data, operation)
}

func logProgress(ctx context.Context) func(*apimart.Task) {
	return func(t *apimart.Task) {
		tflog.Info(ctx, fmt.Sprintf("image task %s is %s (%d%%)", t.ID, t.Status, t.Progress),
			map[string]any{"task_id": t.ID, "status": t.Status, "progress": t.Progress})
	}
}

// ---- Read ----

// Read makes no API call for a finished task: a finished task never changes, and the API forgets
// tasks after some days, which must not turn into a new paid image. An unfinished task that the
// API has forgotten stays in state with a private mark; the plan then says what it costs.
func (r *imageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	terminal, diags := stateIsTerminal(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(identityFromState(ctx, req.State, resp.Identity)...)
	if resp.Diagnostics.HasError() || terminal {
		return
	}
	state, diags := getImage(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	if hasPrivateMark(ctx, req.Private, privateForgottenKey) {
		r.noteForgotten(ctx, state)
		return
	}
	ctx = r.data.logContext(ctx)
	client, diags := r.data.Client()
	if diags.HasError() {
		resp.Diagnostics.AddWarning("Unfinished image task not refreshed",
			fmt.Sprintf("Task %s was still running at the last refresh, and it cannot be read now: %s",
				state.TaskID.ValueString(), diags[0].Detail()))
		return
	}
	importing := state.Status.IsNull()
	task, err := client.GetTask(ctx, state.TaskID.ValueString())
	switch {
	case err == nil:
		state.taskResultModel = newTaskResult(task)
		resp.Diagnostics.Append(setImage(ctx, &resp.State, state)...)
	case apimart.IsNotFound(err) && !importing:
		// Nothing is left to collect, so the object is no longer interrupted, and no Delete hands
		// the task over to a replacement. The mark spares later refreshes the call.
		state.Interrupted = types.BoolValue(false)
		resp.Diagnostics.Append(setImage(ctx, &resp.State, state)...)
		resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateForgottenKey, []byte("true"))...)
		r.noteForgotten(ctx, state)
	default:
		resp.Diagnostics.Append(readErrorDiagnostics(err, state.TaskID.ValueString(), r.data)...)
	}
}

// noteForgotten remembers, for the plan that follows this refresh, that the task of an object
// with these inputs is gone; see warnIfReplacingForgottenTask.
func (r *imageResource) noteForgotten(ctx context.Context, state imageResourceModel) {
	fields := map[string]any{"task_id": state.TaskID.ValueString()}
	tflog.Warn(ctx, "APIMart no longer knows this unfinished image task; the object is kept in state", fields)
	in, err := state.inputs()
	if err != nil {
		tflog.Warn(ctx, "the inputs of the forgotten task cannot be read: "+err.Error(), fields)
		return
	}
	r.data.handover.noteForgotten(in.handoverKey(), state.TaskID.ValueString())
}

// ---- Update ----

// Update changes no remote object: the inputs that would need one force replacement. It clears
// the import mark, collects an unfinished task, and otherwise records the new timeouts and the
// adopted inputs.
func (r *imageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	plan, diags := getImage(ctx, req.Plan)
	resp.Diagnostics.Append(diags...)
	state, diags := getImage(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportedKey, nil)...)
	plan.ID, plan.TaskID = state.ID, state.TaskID
	plan.taskResultModel = state.taskResultModel
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, state.TaskID)...)
	if state.isTerminal() || hasPrivateMark(ctx, req.Private, privateForgottenKey) {
		resp.Diagnostics.Append(setImage(ctx, &resp.State, plan)...)
		return
	}
	r.collect(ctx, &plan, resp)
}

// collect waits for the task of an object that an earlier apply left unfinished.
func (r *imageResource) collect(ctx context.Context, plan *imageResourceModel, resp *resource.UpdateResponse) {
	ctx = r.data.logContext(ctx)
	client, diags := r.data.Client()
	resp.Diagnostics.Append(diags...)
	timeout, diags := plan.Timeouts.Update(ctx, defaultUpdateTimeout)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tflog.Info(ctx, "collecting an image task submitted by an earlier apply", map[string]any{"task_id": plan.TaskID.ValueString()})
	task, err := client.WaitForTask(ctx, plan.TaskID.ValueString(), apimart.WaitOptions{OnProgress: logProgress(ctx)})
	resp.Diagnostics.Append(recordWaitOutcome(plan, task, err, r.data, "update")...)
	resp.Diagnostics.Append(setImage(ctx, &resp.State, *plan)...)
}

// ---- Delete ----

// Delete only forgets the image: the API has no delete. The task of an interrupted object is
// handed to the Create that replaces it, so that replacement does not pay again. A task the API
// has forgotten is not interrupted any more (see Read), since nothing can be collected from it.
func (r *imageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	state, diags := getImage(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	taskID := state.TaskID.ValueString()
	if state.Interrupted.ValueBool() && taskID != "" {
		in, err := state.inputs()
		if err != nil {
			resp.Diagnostics.AddWarning("Unfinished image task not handed over",
				fmt.Sprintf("Task %s cannot be handed to the image that replaces this one, because its parameters cannot be read: %s. "+
					"A replacement submits a new, paid task.", taskID, err))
			return
		}
		tflog.Info(ctx, "keeping the interrupted image task for its replacement", map[string]any{"task_id": taskID})
		r.data.handover.push(in.handoverKey(), handedOverTask{TaskID: taskID, ReferenceURLs: listStrings(state.ReferenceURLs)})
	}
	tflog.Debug(ctx, "APIMart has no delete API; the image is only removed from state", map[string]any{"task_id": taskID})
}

// ---- ImportState and identity ----

// ImportState takes an existing task into state, by the task id given as import id or as
// identity. The API cannot report the prompt, model or size, so the first plan takes them from
// configuration instead of replacing the image.
func (r *imageResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	taskID := types.StringValue(req.ID)
	if req.ID == "" && req.Identity != nil {
		resp.Diagnostics.Append(req.Identity.GetAttribute(ctx, path.Root("task_id"), &taskID)...)
	}
	if taskID.ValueString() == "" {
		resp.Diagnostics.AddError("Missing task id", "Import an image by its APIMart task id, for example: "+
			"terraform import apimart_image.hero task_01K8AYYM6R03TGZ3Q2P0TZVNPX, or, with Terraform 1.12 and later, "+
			"an import block with identity = { task_id = \"task_01K8AYYM6R03TGZ3Q2P0TZVNPX\" }.")
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), taskID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("task_id"), taskID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("interrupted"), false)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, taskID)...)
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportedKey, []byte("true"))...)
}

// setIdentity records the task id as the object's identity. The framework passes no identity to
// a resource type without one, so identity may be nil.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, taskID types.String) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	return identity.SetAttribute(ctx, path.Root("task_id"), taskID)
}

// identityFromState gives an object the identity that Terraform before 1.12, or a provider
// version before identities, did not store.
func identityFromState(ctx context.Context, state tfsdk.State, identity *tfsdk.ResourceIdentity) diag.Diagnostics {
	if identity == nil || !identity.Raw.IsFullyNull() {
		return nil
	}
	var taskID types.String
	diags := state.GetAttribute(ctx, path.Root("task_id"), &taskID)
	diags.Append(setIdentity(ctx, identity, taskID)...)
	return diags
}

// ---- parameters ----

var errParametersNotKnown = errors.New("a value in parameters is not known yet")

// parametersJSON turns the parameters object into values that encode with their JSON types.
func parametersJSON(p types.Dynamic) (map[string]any, error) {
	switch {
	case p.IsNull() || p.IsUnderlyingValueNull():
		return nil, nil
	case p.IsUnknown() || p.IsUnderlyingValueUnknown():
		return nil, errParametersNotKnown
	}
	switch v := p.UnderlyingValue().(type) {
	case basetypes.ObjectValue:
		return jsonObject(v.Attributes())
	case basetypes.MapValue:
		return jsonObject(v.Elements())
	default:
		return nil, fmt.Errorf("parameters must be an object such as { seed = 42 }, not %s", v.Type(context.Background()))
	}
}

// jsonValue converts a Terraform value. Numbers keep their exact decimal text, so that 42 is
// sent as 42, never as "42" or 42.0.
func jsonValue(v attr.Value) (any, error) {
	if v.IsUnknown() {
		return nil, errParametersNotKnown
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
