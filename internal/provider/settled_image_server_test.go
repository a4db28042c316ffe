package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// frameworkCalls counts the calls that reach the framework behind settledImageServer.
type frameworkCalls struct {
	tfprotov6.ProviderServer
	reads, plans int
}

func (f *frameworkCalls) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	f.reads++
	return f.ProviderServer.ReadResource(ctx, req)
}

func (f *frameworkCalls) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	f.plans++
	return f.ProviderServer.PlanResourceChange(ctx, req)
}

func frameworkServer() tfprotov6.ProviderServer {
	return providerserver.NewProtocol6(New("test")())()
}

// imageObject builds an apimart_image value: a completed image made with the defaults, changed by
// the given attributes.
func imageObject(t *testing.T, shape imageShape, changes map[string]tftypes.Value) tftypes.Value {
	t.Helper()
	objectType, ok := shape.objectType.(tftypes.Object)
	if !ok {
		t.Fatalf("apimart_image's type is %T, not an object", shape.objectType)
	}
	attrs := map[string]tftypes.Value{}
	for name, typ := range objectType.AttributeTypes {
		attrs[name] = tftypes.NewValue(typ, nil)
	}
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	for name, v := range map[string]tftypes.Value{
		"id": str("task_1"), "task_id": str("task_1"), "prompt": str("a lighthouse"),
		"model": str(apimart.DefaultModel), "size": str("16:9"), "n": tftypes.NewValue(tftypes.Number, 1),
		"status": str(apimart.StatusCompleted), "progress": tftypes.NewValue(tftypes.Number, 100),
		"url": str("https://cdn.example/1.png"), "interrupted": tftypes.NewValue(tftypes.Bool, false),
		"urls": tftypes.NewValue(tftypes.List{ElementType: tftypes.String}, []tftypes.Value{str("https://cdn.example/1.png")}),
	} {
		attrs[name] = v
	}
	for name, v := range changes {
		if _, ok := attrs[name]; !ok {
			t.Fatalf("apimart_image has no attribute %q", name)
		}
		attrs[name] = v
	}
	return tftypes.NewValue(objectType, attrs)
}

// configOf keeps only what a configuration can set: the other attributes are null in it.
func configOf(t *testing.T, shape imageShape, v tftypes.Value, set ...string) tftypes.Value {
	t.Helper()
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, name := range set {
		keep[name] = true
	}
	// As shares the value's own map, so the configuration gets a new one.
	config := map[string]tftypes.Value{}
	for name, value := range attrs {
		config[name] = tftypes.NewValue(value.Type(), nil)
		if keep[name] {
			config[name] = value
		}
	}
	return tftypes.NewValue(shape.objectType, config)
}

func dynamicValue(t *testing.T, shape imageShape, v tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(shape.objectType, v)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

func TestImageTypeNameIsTheResourceName(t *testing.T) {
	var resp resource.MetadataResponse
	NewImageResource().Metadata(context.Background(), resource.MetadataRequest{ProviderTypeName: "apimart"}, &resp)
	if resp.TypeName != imageTypeName {
		t.Fatalf("apimart_image is named %q, the short cut looks for %q", resp.TypeName, imageTypeName)
	}
}

func TestSchemaDefaultsComeFromTheSchema(t *testing.T) {
	shape := newImageShape()
	want := map[string]tftypes.Value{
		"model":       tftypes.NewValue(tftypes.String, apimart.DefaultModel),
		"n":           tftypes.NewValue(tftypes.Number, 1),
		"interrupted": tftypes.NewValue(tftypes.Bool, false),
	}
	if len(shape.defaults) != len(want) {
		t.Errorf("defaults: got %v, want %v", shape.defaults, want)
	}
	for name, w := range want {
		if got, ok := shape.defaults[name]; !ok || !got.Equal(w) {
			t.Errorf("default of %s: got %v, want %v", name, got, w)
		}
	}
}

// TestSettledImageServerAgreesWithTheFramework sends the same plans and reads to the short cut and to
// the framework alone, and requires the same answers, and the short cut to be taken exactly where
// expected.
func TestSettledImageServerAgreesWithTheFramework(t *testing.T) {
	shape := newImageShape()
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	done := imageObject(t, shape, nil)
	gpt := imageObject(t, shape, map[string]tftypes.Value{"model": str("gpt-4o-image"), "size": str("1:1")})
	running := imageObject(t, shape, map[string]tftypes.Value{"status": str("processing")})
	interrupted := imageObject(t, shape, map[string]tftypes.Value{"status": str("processing"), "interrupted": tftypes.NewValue(tftypes.Bool, true)})
	failed := imageObject(t, shape, map[string]tftypes.Value{"status": str(apimart.StatusFailed)})
	fourImages := imageObject(t, shape, map[string]tftypes.Value{"model": str("gpt-4o-image"), "n": tftypes.NewValue(tftypes.Number, 4)})
	newPrompt := imageObject(t, shape, map[string]tftypes.Value{"prompt": str("a quay")})

	cases := []struct {
		name                    string
		prior, config, proposed tftypes.Value
		shortCut                bool
	}{
		{"unchanged, defaults left out", done, configOf(t, shape, done, "prompt"), done, true},
		{"unchanged, every input set", gpt, configOf(t, shape, gpt, "prompt", "model", "size", "n"), gpt, true},
		{"a failed task is settled too", failed, configOf(t, shape, failed, "prompt"), failed, true},
		{"model left out, stored model is not the default", gpt, configOf(t, shape, gpt, "prompt", "size"), gpt, false},
		{"n left out, stored n is not the default", fourImages, configOf(t, shape, fourImages, "prompt", "model"), fourImages, false},
		{"prompt changed", done, configOf(t, shape, newPrompt, "prompt"), newPrompt, false},
		{"task still running", running, configOf(t, shape, running, "prompt"), running, false},
		{"create was interrupted", interrupted, configOf(t, shape, interrupted, "prompt"), interrupted, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			calls := &frameworkCalls{ProviderServer: frameworkServer()}
			fast := &settledImageServer{ProviderServer: calls, image: shape}
			plan := &tfprotov6.PlanResourceChangeRequest{
				TypeName: imageTypeName, PriorState: dynamicValue(t, shape, c.prior),
				Config: dynamicValue(t, shape, c.config), ProposedNewState: dynamicValue(t, shape, c.proposed),
			}
			got, err := fast.PlanResourceChange(ctx, plan)
			if err != nil {
				t.Fatal(err)
			}
			want, err := frameworkServer().PlanResourceChange(ctx, plan)
			if err != nil {
				t.Fatal(err)
			}
			if tookShortCut := calls.plans == 0; tookShortCut != c.shortCut {
				t.Errorf("plan: short cut taken = %v, want %v", tookShortCut, c.shortCut)
			}
			comparePlans(t, shape, got, want)

			read := &tfprotov6.ReadResourceRequest{TypeName: imageTypeName, CurrentState: dynamicValue(t, shape, c.prior)}
			if !settledAttributesOf(t, c.prior) {
				// The framework reads an unfinished task from the API, which the acceptance tests cover.
				if shape.settled(read.CurrentState) {
					t.Error("read: an unfinished image would take the short cut")
				}
				return
			}
			gotRead, err := fast.ReadResource(ctx, read)
			if err != nil {
				t.Fatal(err)
			}
			wantRead, err := frameworkServer().ReadResource(ctx, read)
			if err != nil {
				t.Fatal(err)
			}
			if calls.reads != 0 {
				t.Error("read: a settled image did not take the short cut")
			}
			compareStates(t, shape, "read", gotRead.NewState, wantRead.NewState)
			if len(wantRead.Diagnostics) != 0 || len(gotRead.Diagnostics) != 0 {
				t.Errorf("read diagnostics: framework %v, short cut %v", wantRead.Diagnostics, gotRead.Diagnostics)
			}
		})
	}
}

func settledAttributesOf(t *testing.T, v tftypes.Value) bool {
	t.Helper()
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		t.Fatal(err)
	}
	return settledAttributes(attrs)
}

func comparePlans(t *testing.T, shape imageShape, got, want *tfprotov6.PlanResourceChangeResponse) {
	t.Helper()
	compareStates(t, shape, "plan", got.PlannedState, want.PlannedState)
	if fmt.Sprint(got.RequiresReplace) != fmt.Sprint(want.RequiresReplace) {
		t.Errorf("requires replace: framework %v, short cut %v", want.RequiresReplace, got.RequiresReplace)
	}
	if len(got.Diagnostics) != len(want.Diagnostics) {
		t.Errorf("diagnostics: framework %v, short cut %v", want.Diagnostics, got.Diagnostics)
	}
}

func compareStates(t *testing.T, shape imageShape, what string, got, want *tfprotov6.DynamicValue) {
	t.Helper()
	gotValue, err := got.Unmarshal(shape.objectType)
	if err != nil {
		t.Fatal(err)
	}
	wantValue, err := want.Unmarshal(shape.objectType)
	if err != nil {
		t.Fatal(err)
	}
	if !gotValue.Equal(wantValue) {
		t.Errorf("%s: the short cut answered\n%v\nthe framework answered\n%v", what, gotValue, wantValue)
	}
}
