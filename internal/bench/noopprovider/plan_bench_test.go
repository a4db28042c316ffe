package main

import (
	"context"
	"encoding/json"
	"math/big"
	"testing"

	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/provider"
)

// BenchmarkPlanOfACompletedImage makes, in process, the four calls a terraform plan makes for
// each completed image in state, for apimart_image and for noop_image, its schema without its
// code. The difference is what the provider's code costs the framework per image, without the
// noise of Terraform and of the other processes on the machine; the harness's benchmark 3
// measures the whole plan.
//
//	go test ./internal/bench/noopprovider -run '^$' -bench PlanOfACompletedImage -cpuprofile cpu.out
func BenchmarkPlanOfACompletedImage(b *testing.B) {
	cases := []struct {
		typeName string
		provider fwprovider.Provider
	}{
		{"apimart_image", provider.New("bench")()},
		{imageTypeName, newProvider()},
	}
	for _, c := range cases {
		b.Run(c.typeName, func(b *testing.B) {
			ctx := context.Background()
			server := providerserver.NewProtocol6(c.provider)()
			calls := newPlanCalls(b, c.typeName)
			b.ReportAllocs()
			for b.Loop() {
				calls.run(ctx, b, server)
			}
		})
	}
}

// planCalls are the requests Terraform sends for one unchanged resource during a plan.
type planCalls struct {
	validate *tfprotov6.ValidateResourceConfigRequest
	upgrade  *tfprotov6.UpgradeResourceStateRequest
	read     *tfprotov6.ReadResourceRequest
	plan     *tfprotov6.PlanResourceChangeRequest
}

func newPlanCalls(tb testing.TB, typeName string) planCalls {
	tb.Helper()
	var schema resource.SchemaResponse
	provider.NewImageResource().Schema(context.Background(), resource.SchemaRequest{}, &schema)
	typ, ok := schema.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	if !ok {
		tb.Fatal("the image schema is not an object")
	}
	state, config := completedImage(typ)
	raw, err := json.Marshal(jsonValue(state))
	if err != nil {
		tb.Fatal(err)
	}
	stateValue := mustDynamicValue(tb, typ, state)
	configValue := mustDynamicValue(tb, typ, config)
	return planCalls{
		validate: &tfprotov6.ValidateResourceConfigRequest{TypeName: typeName, Config: configValue},
		upgrade:  &tfprotov6.UpgradeResourceStateRequest{TypeName: typeName, RawState: &tfprotov6.RawState{JSON: raw}},
		read:     &tfprotov6.ReadResourceRequest{TypeName: typeName, CurrentState: stateValue},
		// With every optional input left unset, Terraform's proposed new state is the prior state.
		plan: &tfprotov6.PlanResourceChangeRequest{TypeName: typeName, PriorState: stateValue, ProposedNewState: stateValue, Config: configValue},
	}
}

func (c planCalls) run(ctx context.Context, tb testing.TB, server tfprotov6.ProviderServer) {
	validated, err := server.ValidateResourceConfig(ctx, c.validate)
	failOn(tb, "validate", err, validated.Diagnostics)
	upgraded, err := server.UpgradeResourceState(ctx, c.upgrade)
	failOn(tb, "upgrade", err, upgraded.Diagnostics)
	read, err := server.ReadResource(ctx, c.read)
	failOn(tb, "read", err, read.Diagnostics)
	planned, err := server.PlanResourceChange(ctx, c.plan)
	failOn(tb, "plan", err, planned.Diagnostics)
	if len(planned.RequiresReplace) > 0 {
		tb.Fatalf("an unchanged image plans a replacement of %v", planned.RequiresReplace)
	}
}

func failOn(tb testing.TB, call string, err error, diags []*tfprotov6.Diagnostic) {
	if err != nil {
		tb.Fatalf("%s: %v", call, err)
	}
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			tb.Fatalf("%s: %s: %s", call, d.Summary, d.Detail)
		}
	}
}

// completedImage is the state of a completed image, as Create leaves it, and the configuration
// that gave it: a prompt and nothing else.
func completedImage(typ tftypes.Object) (state, config tftypes.Value) {
	inputs := map[string]tftypes.Value{
		"prompt":      tftypes.NewValue(tftypes.String, "image 1"),
		"model":       tftypes.NewValue(tftypes.String, apimart.DefaultModel),
		"n":           tftypes.NewValue(tftypes.Number, 1),
		"status":      tftypes.NewValue(tftypes.String, apimart.StatusCompleted),
		"interrupted": tftypes.NewValue(tftypes.Bool, false),
	}
	stateAttrs := map[string]tftypes.Value{}
	configAttrs := map[string]tftypes.Value{}
	for name, attrType := range typ.AttributeTypes {
		configAttrs[name] = tftypes.NewValue(attrType, nil)
		switch v, ok := inputs[name]; {
		case ok:
			stateAttrs[name] = v
		case name == "keepers" || name == "timeouts":
			stateAttrs[name] = tftypes.NewValue(attrType, nil)
		default:
			stateAttrs[name] = completedValue(tftypes.NewAttributePath().WithAttributeName(name), attrType)
		}
	}
	configAttrs["prompt"] = inputs["prompt"]
	return tftypes.NewValue(typ, stateAttrs), tftypes.NewValue(typ, configAttrs)
}

func mustDynamicValue(tb testing.TB, typ tftypes.Type, v tftypes.Value) *tfprotov6.DynamicValue {
	tb.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		tb.Fatal(err)
	}
	return &dv
}

// jsonValue is v as Terraform writes it into a state file.
func jsonValue(v tftypes.Value) any {
	if v.IsNull() {
		return nil
	}
	switch typ := v.Type(); {
	case typ.Is(tftypes.String):
		var s string
		_ = v.As(&s)
		return s
	case typ.Is(tftypes.Bool):
		var b bool
		_ = v.As(&b)
		return b
	case typ.Is(tftypes.Number):
		var n big.Float
		_ = v.As(&n)
		f, _ := n.Float64()
		return f
	case typ.Is(tftypes.List{}), typ.Is(tftypes.Set{}), typ.Is(tftypes.Tuple{}):
		var elems []tftypes.Value
		_ = v.As(&elems)
		out := make([]any, len(elems))
		for i, e := range elems {
			out[i] = jsonValue(e)
		}
		return out
	default:
		var attrs map[string]tftypes.Value
		_ = v.As(&attrs)
		out := make(map[string]any, len(attrs))
		for k, e := range attrs {
			out[k] = jsonValue(e)
		}
		return out
	}
}
