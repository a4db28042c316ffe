package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

var (
	_ datasource.DataSource              = &taskDataSource{}
	_ datasource.DataSourceWithConfigure = &taskDataSource{}
)

// NewTaskDataSource is the factory of apimart_task.
func NewTaskDataSource() datasource.DataSource { return &taskDataSource{} }

type taskDataSource struct {
	data *providerData
}

type taskDataSourceModel struct {
	ID     types.String `tfsdk:"id"`
	TaskID types.String `tfsdk:"task_id"`
	taskResultModel
}

func (d *taskDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_task"
}

func (d *taskDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attributes := map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "The task id, the same as `task_id`.",
			Computed:            true,
		},
		"task_id": schema.StringAttribute{
			MarkdownDescription: "The id of the APIMart task to look up, such as `task_01K8AYYM6R03TGZ3Q2P0TZVNPX`. " +
				"Only tasks created with the same API key can be read.",
			Required:   true,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		},
	}
	for _, a := range taskResultAttributes {
		attributes[a.name] = dataSourceResultAttribute(a)
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up an APIMart task by its id, for example one created outside Terraform, and reports " +
			"its status and result URLs. Reading a task is free.",
		Attributes: attributes,
	}
}

func dataSourceResultAttribute(a resultAttribute) schema.Attribute {
	switch a.kind {
	case kindStringList:
		return schema.ListAttribute{MarkdownDescription: a.description, Computed: true, ElementType: types.StringType}
	case kindInt64:
		return schema.Int64Attribute{MarkdownDescription: a.description, Computed: true}
	default:
		return schema.StringAttribute{MarkdownDescription: a.description, Computed: true}
	}
}

func (d *taskDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := configuredData(req.ProviderData, &resp.Diagnostics); data != nil {
		d.data = data
	}
}

func (d *taskDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config taskDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = d.data.logContext(ctx)
	client, diags := d.data.Client()
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	taskID := config.TaskID.ValueString()
	task, err := client.GetTask(ctx, taskID)
	if err != nil {
		resp.Diagnostics.Append(readErrorDiagnostics(err, taskID, d.data)...)
		return
	}
	state := taskDataSourceModel{
		ID:              types.StringValue(taskID),
		TaskID:          config.TaskID,
		taskResultModel: newTaskResult(task),
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}
