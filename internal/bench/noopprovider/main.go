// Command noopprovider is the floor the benchmarks compare apimart against: a
// terraform-plugin-framework provider "noop" whose resources do no work at all.
//
// noop_thing is the floor itself: one input and an id. Whatever a plan or apply of it costs is
// the price of Terraform and the plugin protocol, so the time apimart_image takes beyond it is
// what the apimart provider adds. noop_image has apimart_image's schema and none of its code,
// which splits that addition into the part the schema's size causes and the part its code does:
// noop_image is the fair floor of apimart_image, and noop_object, in the same way, of
// apimart_image_object.
//
// The benchmark harness builds it as terraform-provider-noop and serves it through dev_overrides
// under the address in Address.
package main

import (
	"context"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// Address is where Terraform finds the provider; the harness's dev_overrides map it to the binary.
const Address = "registry.terraform.io/apimart/noop"

func main() {
	if err := providerserver.Serve(context.Background(), newProvider, providerserver.ServeOpts{Address: Address}); err != nil {
		log.Fatal(err)
	}
}

// imageTypeName is noop_image's resource type.
const imageTypeName = "noop_image"

type noopProvider struct{}

func newProvider() provider.Provider { return noopProvider{} }

func (noopProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "noop"
}

func (noopProvider) Schema(context.Context, provider.SchemaRequest, *provider.SchemaResponse) {}

func (noopProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (noopProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		func() resource.Resource { return noopThing{} },
		func() resource.Resource { return newNoopImage() },
		func() resource.Resource { return newNoopObject() },
	}
}

func (noopProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

// noopThing has one input, like a prompt, and an id; it keeps whatever it is given.
type noopThing struct{}

type thingModel struct {
	ID   types.String `tfsdk:"id"`
	Name types.String `tfsdk:"name"`
}

func (noopThing) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_thing"
}

func (noopThing) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		Description: "Does nothing; a baseline for benchmarks.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				Computed:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				Required:      true,
				PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
			},
		},
	}
}

func (noopThing) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m thingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	m.ID = m.Name
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}

// Read leaves the state as it is, which the framework does when nothing is set.
func (noopThing) Read(context.Context, resource.ReadRequest, *resource.ReadResponse) {}

func (noopThing) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m thingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, m)...)
}

func (noopThing) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}
