package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/defaults"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// imageTypeName is apimart_image's resource type, as Terraform names it in every RPC.
const imageTypeName = "apimart_image"

// NewProtocol6Server returns the provider's protocol server: the framework's, with a short cut for
// the images that need nothing.
//
// Every refresh and every plan reads and plans each image in state, and the framework walks all of
// apimart_image's attributes several times in each of those two calls: on a plan of 1,000
// finished images that was most of the provider's time. For an image whose task is finished and
// whose configuration has not changed, the framework's answer is always the state it was given,
// so this server gives that answer without the walk. Anything else, and every other call, goes to
// the framework. TestSettledImageServerAgreesWithTheFramework holds the two answers equal.
func NewProtocol6Server(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		return &settledImageServer{
			ProviderServer: providerserver.NewProtocol6(New(version)())(),
			image:          newImageShape(),
		}
	}
}

type settledImageServer struct {
	tfprotov6.ProviderServer
	image imageShape
}

// ReadResource keeps a finished image as it is, which is what the resource's Read does.
func (s *settledImageServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	if req.TypeName == imageTypeName && s.image.settled(req.CurrentState) {
		return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
	}
	return s.ProviderServer.ReadResource(ctx, req)
}

// PlanResourceChange plans no change for a finished image whose configuration has not changed.
func (s *settledImageServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	if req.TypeName == imageTypeName && s.image.unchangedAndSettled(req) {
		return &tfprotov6.PlanResourceChangeResponse{PlannedState: req.PriorState, PlannedPrivate: req.PriorPrivate}, nil
	}
	return s.ProviderServer.PlanResourceChange(ctx, req)
}

// imageShape is what the short cut needs to know of apimart_image's schema.
type imageShape struct {
	objectType tftypes.Type
	// defaults are the values the framework plans for an attribute left out of the configuration.
	defaults map[string]tftypes.Value
}

func newImageShape() imageShape {
	ctx := context.Background()
	var resp resource.SchemaResponse
	NewImageResource().Schema(ctx, resource.SchemaRequest{}, &resp)
	attrDefaults, err := schemaDefaults(ctx, resp.Schema)
	if err != nil {
		// The schema is fixed at build time, and the tests build it.
		panic(err)
	}
	return imageShape{objectType: resp.Schema.Type().TerraformType(ctx), defaults: attrDefaults}
}

// settled reports whether a stored image is finished and was not interrupted.
func (s imageShape) settled(state *tfprotov6.DynamicValue) bool {
	attrs, ok := s.attributes(state)
	return ok && settledAttributes(attrs)
}

// settledAttributes is the one test of a settled image, for the resource and for the short cut.
func settledAttributes(attrs map[string]tftypes.Value) bool {
	var status string
	var interrupted bool
	if !attrs["status"].IsKnown() || attrs["status"].As(&status) != nil ||
		!attrs["interrupted"].IsKnown() || attrs["interrupted"].As(&interrupted) != nil {
		return false
	}
	return (&apimart.Task{Status: status}).IsTerminal() && !interrupted
}

// unchangedAndSettled reports whether the framework would plan exactly the prior state: the image
// is settled, Terraform proposes no change, and no attribute left out of the configuration has a
// default that differs from the stored value.
func (s imageShape) unchangedAndSettled(req *tfprotov6.PlanResourceChangeRequest) bool {
	prior, ok := s.attributes(req.PriorState)
	if !ok || !settledAttributes(prior) {
		return false
	}
	proposed, ok := s.value(req.ProposedNewState)
	if !ok || !proposed.Equal(tftypes.NewValue(s.objectType, prior)) {
		return false
	}
	config, ok := s.attributes(req.Config)
	if !ok {
		return false
	}
	for name, value := range s.defaults {
		if config[name].IsNull() && !prior[name].Equal(value) {
			return false
		}
	}
	return true
}

func (s imageShape) value(dv *tfprotov6.DynamicValue) (tftypes.Value, bool) {
	if dv == nil {
		return tftypes.Value{}, false
	}
	v, err := dv.Unmarshal(s.objectType)
	if err != nil || v.IsNull() || !v.IsKnown() {
		return tftypes.Value{}, false
	}
	return v, true
}

func (s imageShape) attributes(dv *tfprotov6.DynamicValue) (map[string]tftypes.Value, bool) {
	v, ok := s.value(dv)
	if !ok {
		return nil, false
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		return nil, false
	}
	return attrs, true
}

// schemaDefaults asks each attribute's Default for the value the framework would plan.
func schemaDefaults(ctx context.Context, s schema.Schema) (map[string]tftypes.Value, error) {
	out := map[string]tftypes.Value{}
	for name, attr := range s.Attributes {
		v, err := attributeDefault(ctx, attr)
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", name, err)
		}
		if v != nil {
			out[name] = *v
		}
	}
	return out, nil
}

func attributeDefault(ctx context.Context, attr schema.Attribute) (*tftypes.Value, error) {
	var value interface {
		ToTerraformValue(context.Context) (tftypes.Value, error)
	}
	switch a := attr.(type) {
	case schema.StringAttribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.StringResponse
		a.Default.DefaultString(ctx, defaults.StringRequest{}, &resp)
		value = resp.PlanValue
	case schema.Int64Attribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.Int64Response
		a.Default.DefaultInt64(ctx, defaults.Int64Request{}, &resp)
		value = resp.PlanValue
	case schema.BoolAttribute:
		if a.Default == nil {
			return nil, nil
		}
		var resp defaults.BoolResponse
		a.Default.DefaultBool(ctx, defaults.BoolRequest{}, &resp)
		value = resp.PlanValue
	case schema.ListAttribute:
		return nil, errorIfDefault(a.Default != nil, attr)
	case schema.MapAttribute:
		return nil, errorIfDefault(a.Default != nil, attr)
	default:
		return nil, fmt.Errorf("attribute type %T is not handled", attr)
	}
	v, err := value.ToTerraformValue(ctx)
	return &v, err
}

func errorIfDefault(hasDefault bool, attr schema.Attribute) error {
	if hasDefault {
		return fmt.Errorf("a default on %T is not handled", attr)
	}
	return nil
}
