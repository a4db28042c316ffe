package main

import (
	"context"
	"encoding/json"
	"math/big"
	"net/http/httptest"
	"testing"

	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
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

// BenchmarkApplyOfAnImage plans and applies the creation of one image, as terraform apply does for
// each, for apimart_image against a fake API whose tasks end at once and for noop_image. What
// apimart_image takes beyond noop_image is its code, the client and the fake's answers included.
//
//	go test ./internal/bench/noopprovider -run '^$' -bench ApplyOfAnImage -cpuprofile cpu.out
func BenchmarkApplyOfAnImage(b *testing.B) {
	fake := httptest.NewServer(fakeapimart.New(func(set *fakeapimart.Settings) { set.TaskDuration = 0 }))
	b.Cleanup(fake.Close)
	cases := []struct {
		typeName string
		provider fwprovider.Provider
		config   map[string]tftypes.Value
	}{
		{"apimart_image", provider.New("bench")(), map[string]tftypes.Value{
			"base_url": tftypes.NewValue(tftypes.String, fake.URL),
			"api_key":  tftypes.NewValue(tftypes.String, fakeapimart.DefaultKey),
		}},
		{imageTypeName, newProvider(), nil},
	}
	for _, c := range cases {
		b.Run(c.typeName, func(b *testing.B) {
			ctx := context.Background()
			server := providerserver.NewProtocol6(c.provider)()
			configureProvider(ctx, b, server, c.config)
			calls := newPlanCalls(b, c.typeName)
			create := &tfprotov6.PlanResourceChangeRequest{TypeName: c.typeName, PriorState: calls.nullState,
				ProposedNewState: calls.plan.Config, Config: calls.plan.Config}
			b.ReportAllocs()
			for b.Loop() {
				planned, err := server.PlanResourceChange(ctx, create)
				failOn(b, "plan", err, planned.Diagnostics)
				applied, err := server.ApplyResourceChange(ctx, &tfprotov6.ApplyResourceChangeRequest{TypeName: c.typeName,
					PriorState: calls.nullState, PlannedState: planned.PlannedState, Config: calls.plan.Config,
					PlannedPrivate: planned.PlannedPrivate, PlannedIdentity: planned.PlannedIdentity})
				failOn(b, "apply", err, applied.Diagnostics)
			}
		})
	}
}

// configureProvider sends the provider its configuration: the values given, the rest null.
func configureProvider(ctx context.Context, tb testing.TB, server tfprotov6.ProviderServer, values map[string]tftypes.Value) {
	tb.Helper()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		tb.Fatal(err)
	}
	typ, ok := schemas.Provider.ValueType().(tftypes.Object)
	if !ok {
		tb.Fatal("the provider schema is not an object")
	}
	attrs := map[string]tftypes.Value{}
	for name, attrType := range typ.AttributeTypes {
		attrs[name] = tftypes.NewValue(attrType, nil)
		if v, ok := values[name]; ok {
			attrs[name] = v
		}
	}
	configured, err := server.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: mustDynamicValue(tb, typ, tftypes.NewValue(typ, attrs))})
	if err != nil {
		tb.Fatal(err)
	}
	failOn(tb, "configure", nil, configured.Diagnostics)
}

// planCalls are the requests Terraform sends for one unchanged resource during a plan.
type planCalls struct {
	validate  *tfprotov6.ValidateResourceConfigRequest
	upgrade   *tfprotov6.UpgradeResourceStateRequest
	read      *tfprotov6.ReadResourceRequest
	plan      *tfprotov6.PlanResourceChangeRequest
	nullState *tfprotov6.DynamicValue
}

func newPlanCalls(tb testing.TB, typeName string) planCalls {
	typ := schemaType(tb, provider.NewImageResource())
	state, config := completedImage(typ)
	return callsFor(tb, typeName, typ, state, config)
}

// schemaType is the object type of r's schema.
func schemaType(tb testing.TB, r resource.Resource) tftypes.Object {
	tb.Helper()
	var schema resource.SchemaResponse
	r.Schema(context.Background(), resource.SchemaRequest{}, &schema)
	typ, ok := schema.Schema.Type().TerraformType(context.Background()).(tftypes.Object)
	if !ok {
		tb.Fatal("the schema is not an object")
	}
	return typ
}

// callsFor are the calls for a resource of type typeName whose state and configuration are given.
func callsFor(tb testing.TB, typeName string, typ tftypes.Object, state, config tftypes.Value) planCalls {
	tb.Helper()
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
		plan:      &tfprotov6.PlanResourceChangeRequest{TypeName: typeName, PriorState: stateValue, ProposedNewState: stateValue, Config: configValue},
		nullState: mustDynamicValue(tb, typ, tftypes.NewValue(typ, nil)),
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
		case nullWhenCompleted[name] || name == "keepers" || name == "timeouts":
			stateAttrs[name] = tftypes.NewValue(attrType, nil)
		default:
			stateAttrs[name] = completedValue(attrType)
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
