package provider

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

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

type imageResourceModel struct {
	ID          types.String   `tfsdk:"id"`
	TaskID      types.String   `tfsdk:"task_id"`
	Prompt      types.String   `tfsdk:"prompt"`
	Model       types.String   `tfsdk:"model"`
	Size        types.String   `tfsdk:"size"`
	N           types.Int64    `tfsdk:"n"`
	Keepers     types.Map      `tfsdk:"keepers"`
	Interrupted types.Bool     `tfsdk:"interrupted"`
	Timeouts    timeouts.Value `tfsdk:"timeouts"`
	imageArguments
	taskResultModel
	referenceImagesModel
}

func (m imageResourceModel) inputs(ctx context.Context) imageInputs {
	keepers := map[string]string{}
	// Keepers are a map of strings by schema, so the conversion cannot fail.
	_ = m.Keepers.ElementsAs(ctx, &keepers, false)
	return imageInputs{
		Prompt:         m.Prompt.ValueString(),
		Model:          m.Model.ValueString(),
		Size:           m.Size.ValueString(),
		N:              m.N.ValueInt64(),
		Keepers:        keepers,
		argumentInputs: m.imageArguments.inputs(),
		References:     m.referenceIdentities(),
	}
}

func (m imageResourceModel) request() (apimart.GenerationRequest, error) {
	req := apimart.GenerationRequest{
		Model:  m.Model.ValueString(),
		Prompt: m.Prompt.ValueString(),
		Size:   m.Size.ValueString(),
		N:      m.N.ValueInt64(),
	}
	return req, m.applyTo(&req)
}

func (m *imageResourceModel) setTaskID(id string) {
	m.ID = types.StringValue(id)
	m.TaskID = types.StringValue(id)
}

func (r *imageResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image"
}

func (r *imageResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
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
			Default:             stringdefault.StaticString(apimart.DefaultModel),
			PlanModifiers:       []planmodifier.String{replaceUnlessImported.String()},
		},
		"size": schema.StringAttribute{
			MarkdownDescription: sizeDescription() + " Changing it generates a new image.",
			Optional:            true,
			Computed:            true,
			PlanModifiers:       []planmodifier.String{replaceUnlessImported.String()},
		},
		"n": schema.Int64Attribute{
			MarkdownDescription: countDescription() + " Changing it generates a new image.",
			Optional:            true,
			Computed:            true,
			Default:             int64default.StaticInt64(1),
			PlanModifiers:       []planmodifier.Int64{replaceUnlessImported.Int64()},
		},
		"keepers": schema.MapAttribute{
			MarkdownDescription: "Arbitrary values that, when changed, generate a new image with the same inputs. " +
				"Use it to regenerate on purpose, for example when a release number changes.",
			ElementType:   types.StringType,
			Optional:      true,
			PlanModifiers: []planmodifier.Map{replaceUnlessImported.Map()},
		},
		"interrupted": schema.BoolAttribute{
			MarkdownDescription: "Whether the apply that submitted this task stopped before the image was collected " +
				"(timeout, Ctrl-C or a lost connection). The next apply collects the same task instead of paying for a new one.",
			Computed: true,
			Default:  booldefault.StaticBool(false),
		},
	}
	for name, a := range argumentAttributes() {
		attributes[name] = a
	}
	for _, a := range taskResultAttributes {
		attributes[a.name] = computedResultAttribute(a)
	}
	maps.Copy(attributes, referenceAttributes())
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

// setIdentity records the task id as the object's identity. The framework passes no identity to
// a resource type without one, so identity may be nil.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, taskID types.String) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	return identity.SetAttribute(ctx, path.Root("task_id"), taskID)
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

func (r *imageResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if data := configuredData(req.ProviderData, &resp.Diagnostics); data != nil {
		r.data = data
	}
}

func (r *imageResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var config imageResourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
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
	resp.Diagnostics.Append(validateReferenceConfig(config)...)
}

// validateImageConfig checks the known values against the model catalog. A value that is not
// known yet is never rejected; it is checked again when it is.
func validateImageConfig(c imageResourceModel) []apimart.Problem {
	if c.Model.IsUnknown() {
		return nil
	}
	modelID := apimart.DefaultModel
	if !c.Model.IsNull() {
		modelID = c.Model.ValueString()
	}
	model, ok := apimart.LookupModel(modelID)
	if !ok {
		return apimart.ValidateModel(modelID)
	}
	var problems []apimart.Problem
	if !c.Prompt.IsUnknown() && !c.Prompt.IsNull() {
		problems = append(problems, model.ValidatePrompt(c.Prompt.ValueString())...)
	}
	if !c.Size.IsUnknown() && !c.Size.IsNull() {
		problems = append(problems, model.ValidateSize(c.Size.ValueString())...)
	}
	if !c.N.IsUnknown() && !c.N.IsNull() {
		problems = append(problems, model.ValidateCount(c.N.ValueInt64())...)
	}
	problems = append(problems, c.validate(model)...)
	// The number of reference images decides sizes such as "auto" too.
	if !c.Size.IsUnknown() && !c.ReferenceImages.IsUnknown() {
		problems = append(problems, referenceCountProblems(model, c)...)
	}
	return problems
}

// ModifyPlan reads only the attributes it decides on. Terraform plans every image in state on
// every plan, and a whole-model Get or Set walks every attribute by reflection.
func (r *imageResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() {
		return // destroy
	}
	resp.Diagnostics.Append(planModelDefaults(ctx, req.Config, req.State, &resp.Plan)...)
	if req.State.Raw.IsNull() || resp.Diagnostics.HasError() {
		return // create: the framework plans every computed value as known after apply
	}
	resp.Diagnostics.Append(planUpdate(ctx, req.State, &resp.Plan)...)
}

// planUpdate keeps, in the plan of an object in state, what no update changes: the task id, and
// a terminal task's results. An unfinished task's results are known only after the apply that
// collects it, after an interrupted create, an untaint or an import.
func planUpdate(ctx context.Context, state tfsdk.State, plan *tfsdk.Plan) diag.Diagnostics {
	terminal, diags := stateIsTerminal(ctx, state)
	if diags.HasError() || terminal && plan.Raw.Equal(state.Raw) {
		return diags // keeping the state's values in a plan that already is the state changes nothing
	}
	var planned, prior imageResourceModel
	diags.Append(plan.Get(ctx, &planned)...)
	diags.Append(state.Get(ctx, &prior)...)
	if diags.HasError() {
		return diags
	}
	planned.ID, planned.TaskID = prior.ID, prior.TaskID
	planned.taskResultModel = prior.taskResultModel
	if !terminal {
		planned.taskResultModel = unknownTaskResult()
	}
	diags.Append(plan.Set(ctx, planned)...)
	return diags
}

// stateIsTerminal reads only the status, which refresh and plan ask of every image in state.
func stateIsTerminal(ctx context.Context, state tfsdk.State) (bool, diag.Diagnostics) {
	var status types.String
	diags := state.GetAttribute(ctx, path.Root("status"), &status)
	return taskResultModel{Status: status}.isTerminal(), diags
}

func (r *imageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
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

	wait, ok := r.startTask(ctx, client, &plan, resp)
	if !ok {
		return
	}
	// The task id goes into the response state before the wait, so that no way out of the wait,
	// including one added later, can return without it.
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, plan.TaskID)...)
	task, err := client.WaitForTask(ctx, plan.TaskID.ValueString(), wait)
	resp.Diagnostics.Append(recordWaitOutcome(&plan, task, err, r.data, "create")...)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// startTask takes over the task of an interrupted object that this one replaces, or else submits a
// new, paid task. It fills the task id and first status into plan.
func (r *imageResource) startTask(ctx context.Context, client *apimart.Client, plan *imageResourceModel, resp *resource.CreateResponse) (apimart.WaitOptions, bool) {
	if queued, ok := r.data.handover.pop(plan.inputs(ctx).handoverKey()); ok {
		tflog.Info(ctx, "collecting the task of the interrupted image this one replaces, instead of paying for a new one",
			map[string]any{"task_id": queued.TaskID})
		plan.setTaskID(queued.TaskID)
		plan.taskResultModel = pendingTaskResult(&apimart.Submission{TaskID: queued.TaskID})
		plan.takeHandedOverURLs(queued.ReferenceURLs)
		plan.Interrupted = types.BoolValue(false)
		return apimart.WaitOptions{SubmittedAt: queued.SubmittedAt, OnProgress: logProgress(ctx)}, true
	}
	genReq, err := plan.request()
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("parameters"), "Invalid parameters", err.Error())
		return apimart.WaitOptions{}, false
	}
	if diags := plan.uploadReferences(ctx, client, r.data); diags.HasError() {
		resp.Diagnostics.Append(diags...)
		return apimart.WaitOptions{}, false
	}
	genReq.ImageURLs = plan.imageURLs()
	sub, err := client.Submit(ctx, genReq)
	if err != nil {
		resp.Diagnostics.Append(submitErrorDiagnostics(err, r.data)...)
		return apimart.WaitOptions{}, false
	}
	tflog.Info(ctx, "submitted image task", map[string]any{"task_id": sub.TaskID, "estimated_time": sub.EstimatedTime.String()})
	plan.setTaskID(sub.TaskID)
	plan.taskResultModel = pendingTaskResult(sub)
	plan.Interrupted = types.BoolValue(false)
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

// Read makes no API call for a finished task: a finished task never changes, and the API forgets
// tasks after some days, which must not turn into a new paid image.
func (r *imageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	terminal, diags := stateIsTerminal(ctx, req.State)
	resp.Diagnostics.Append(diags...)
	resp.Diagnostics.Append(identityFromState(ctx, req.State, resp.Identity)...)
	if resp.Diagnostics.HasError() || terminal {
		return
	}
	var state imageResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
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
		resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
	case apimart.IsNotFound(err) && !importing:
		tflog.Warn(ctx, "unfinished image task no longer exists; removing it from state so that it is created again",
			map[string]any{"task_id": state.TaskID.ValueString()})
		resp.State.RemoveResource(ctx)
	default:
		resp.Diagnostics.Append(readErrorDiagnostics(err, state.TaskID.ValueString(), r.data)...)
	}
}

// Update changes no remote object: the inputs that would need one force replacement. It collects
// an unfinished task, and otherwise records the new timeouts and adopted inputs.
func (r *imageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state imageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateImportedKey, nil)...)
	plan.ID, plan.TaskID = state.ID, state.TaskID
	plan.taskResultModel = state.taskResultModel
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, state.TaskID)...)
	if state.isTerminal() {
		resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
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
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

// Delete only forgets the image: the API has no delete. The task of an interrupted object is
// handed to the Create that replaces it, so that replacement does not pay again.
func (r *imageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state imageResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state.Interrupted.ValueBool() && state.TaskID.ValueString() != "" {
		tflog.Info(ctx, "keeping the interrupted image task for its replacement", map[string]any{"task_id": state.TaskID.ValueString()})
		r.data.handover.push(state.inputs(ctx).handoverKey(),
			handedOverTask{TaskID: state.TaskID.ValueString(), ReferenceURLs: state.imageURLs()})
	}
	tflog.Debug(ctx, "APIMart has no delete API; the image is only removed from state", map[string]any{"task_id": state.TaskID.ValueString()})
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
