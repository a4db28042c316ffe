package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

var (
	_ datasource.DataSource              = &balanceDataSource{}
	_ datasource.DataSourceWithConfigure = &balanceDataSource{}
)

// NewBalanceDataSource is the factory of apimart_balance.
func NewBalanceDataSource() datasource.DataSource { return &balanceDataSource{} }

type balanceDataSource struct {
	data *providerData
}

type balanceDataSourceModel struct {
	Scope         types.String  `tfsdk:"scope"`
	RemainBalance types.Float64 `tfsdk:"remain_balance"`
	UsedBalance   types.Float64 `tfsdk:"used_balance"`
	Unlimited     types.Bool    `tfsdk:"unlimited"`
	RemainCredits types.Float64 `tfsdk:"remain_credits"`
	UsedCredits   types.Float64 `tfsdk:"used_credits"`
}

func (d *balanceDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_balance"
}

func (d *balanceDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads the balance of the API key, or of the account that owns it, so that a `check` block " +
			"or a `precondition` can stop spending before an image is paid for. Reading the balance is free. " +
			"Amounts are in the unit of the APIMart deployment (USD, CNY or tokens).",
		Attributes: map[string]schema.Attribute{
			"scope": schema.StringAttribute{
				MarkdownDescription: "Whose balance to read: `key` (the default) reads the quota of the provider's API key " +
					"(`GET /v1/balance`); `account` reads the balance of the account that owns the key " +
					"(`GET /v1/user/balance`).",
				Optional:   true,
				Computed:   true,
				Validators: []validator.String{stringvalidator.OneOf(scopeNames()...)},
			},
			"remain_balance": schema.Float64Attribute{
				MarkdownDescription: "What is left to spend. The API reports `-1` when the quota is unlimited; test " +
					"`unlimited` rather than this number.",
				Computed: true,
			},
			"used_balance": schema.Float64Attribute{
				MarkdownDescription: "What has been spent so far.",
				Computed:            true,
			},
			"unlimited": schema.BoolAttribute{
				MarkdownDescription: "True when the API reports an unlimited quota, or a `remain_balance` of `-1`. A guard " +
					"should always let an unlimited balance pass.",
				Computed: true,
			},
			"remain_credits": schema.Float64Attribute{
				MarkdownDescription: "The credits left, when the deployment reports credits; null otherwise.",
				Computed:            true,
			},
			"used_credits": schema.Float64Attribute{
				MarkdownDescription: "The credits spent, when the deployment reports credits; null otherwise.",
				Computed:            true,
			},
		},
	}
}

func scopeNames() []string {
	var names []string
	for _, s := range apimart.BalanceScopes() {
		names = append(names, string(s))
	}
	return names
}

func (d *balanceDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	if data := configuredData(req.ProviderData, &resp.Diagnostics); data != nil {
		d.data = data
	}
}

func (d *balanceDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var config balanceDataSourceModel
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
	scope := apimart.ScopeKey
	if !config.Scope.IsNull() {
		scope = apimart.BalanceScope(config.Scope.ValueString())
	}
	balance, err := client.Balance(ctx, scope)
	if err != nil {
		resp.Diagnostics.Append(balanceErrorDiagnostics(err, scope, d.data)...)
		return
	}
	tflog.Info(ctx, "read the APIMart balance", map[string]any{
		"scope": string(scope), "remain_balance": balance.Remaining, "unlimited": balance.Unlimited,
	})
	resp.Diagnostics.Append(resp.State.Set(ctx, newBalanceModel(scope, balance))...)
}

func newBalanceModel(scope apimart.BalanceScope, b *apimart.Balance) balanceDataSourceModel {
	return balanceDataSourceModel{
		Scope:         types.StringValue(string(scope)),
		RemainBalance: types.Float64Value(b.Remaining),
		UsedBalance:   types.Float64Value(b.Used),
		Unlimited:     types.BoolValue(b.Unlimited),
		RemainCredits: types.Float64PointerValue(b.RemainingCredits),
		UsedCredits:   types.Float64PointerValue(b.UsedCredits),
	}
}
