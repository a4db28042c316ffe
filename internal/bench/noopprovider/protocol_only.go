package main

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// EnvProtocolOnly switches noop_image's refresh and plan to protocolOnlyServer.
const EnvProtocolOnly = "NOOP_PROTOCOL_ONLY"

// protocolOnlyServer answers the four calls a plan makes for each noop_image in state straight
// from the request, without the framework: whatever such a plan still costs is Terraform's own
// work on the schema and the plugin protocol's, which no provider with that schema can avoid.
// It answers nothing else differently, and it is no provider to apply with.
type protocolOnlyServer struct {
	tfprotov6.ProviderServer
	imageType tftypes.Type
}

func newProtocolOnlyServer() tfprotov6.ProviderServer {
	var resp resource.SchemaResponse
	noopImage{}.Schema(context.Background(), resource.SchemaRequest{}, &resp)
	return protocolOnlyServer{
		ProviderServer: newFrameworkServer(),
		imageType:      resp.Schema.Type().TerraformType(context.Background()),
	}
}

func (s protocolOnlyServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	if req.TypeName != imageTypeName {
		return s.ProviderServer.ValidateResourceConfig(ctx, req)
	}
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

// UpgradeResourceState converts the stored JSON as the framework does for a current schema.
func (s protocolOnlyServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	if req.TypeName != imageTypeName || req.RawState == nil {
		return s.ProviderServer.UpgradeResourceState(ctx, req)
	}
	v, err := req.RawState.UnmarshalWithOpts(s.imageType, tfprotov6.UnmarshalOpts{
		ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true},
	})
	if err != nil {
		return nil, err
	}
	state, err := tfprotov6.NewDynamicValue(s.imageType, v)
	if err != nil {
		return nil, err
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &state}, nil
}

func (s protocolOnlyServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	if req.TypeName != imageTypeName {
		return s.ProviderServer.ReadResource(ctx, req)
	}
	return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
}

// PlanResourceChange plans what Terraform proposes, which for a resource in state with an
// unchanged configuration is the prior state.
func (s protocolOnlyServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	if req.TypeName != imageTypeName {
		return s.ProviderServer.PlanResourceChange(ctx, req)
	}
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: req.ProposedNewState, PlannedPrivate: req.PriorPrivate}, nil
}
