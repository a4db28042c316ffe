package main

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/dynamicplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/setplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// twins are the floors of apimart's resources, with the attributes each one's Create leaves null.
var twins = []struct {
	twin interface {
		resource.Resource
		original() resource.Resource
	}
	null map[string]bool
}{
	{newNoopImage(), nullWhenCompleted},
	{newNoopObject(), nullWhenStored},
}

// TestTwinsHaveTheSchemaWithoutItsLogic guards the comparisons the benchmarks draw: each floor has
// the same type as its resource, attribute for attribute, and no code left to run.
func TestTwinsHaveTheSchemaWithoutItsLogic(t *testing.T) {
	ctx := context.Background()
	for _, c := range twins {
		var original, bare resource.SchemaResponse
		c.twin.original().Schema(ctx, resource.SchemaRequest{}, &original)
		c.twin.Schema(ctx, resource.SchemaRequest{}, &bare)
		name := fmt.Sprintf("%T", c.twin)
		if bare.Diagnostics.HasError() {
			t.Fatalf("%s schema: %v", name, bare.Diagnostics)
		}
		if want, got := original.Schema.Type().TerraformType(ctx), bare.Schema.Type().TerraformType(ctx); !got.Equal(want) {
			t.Fatalf("%s's type differs from its resource's:\n got %s\nwant %s", name, got, want)
		}
		for attrName, attr := range original.Schema.Attributes {
			b := bare.Schema.Attributes[attrName]
			if b.IsComputed() != attr.IsComputed() || b.IsOptional() != attr.IsOptional() || b.IsRequired() != attr.IsRequired() {
				t.Errorf("%s: %s differs in being required, optional or computed", name, attrName)
			}
		}
		if logic := logicIn(reflect.ValueOf(bare.Schema), "schema"); len(logic) > 0 {
			t.Errorf("%s kept logic at %v", name, logic)
		}
		if logic := logicIn(reflect.ValueOf(original.Schema), "schema"); len(logic) == 0 {
			t.Errorf("%s's resource has no plan modifiers, defaults or validators: the comparison would show nothing", name)
		}
		for attrName := range c.null {
			if _, ok := original.Schema.Attributes[attrName]; !ok {
				t.Errorf("%s leaves %q null, which its resource does not have", name, attrName)
			}
		}
	}
}

// TestWithoutLogicReachesEveryKind strips kinds of attribute apimart_image does not have yet, and
// leaves the original alone.
func TestWithoutLogicReachesEveryKind(t *testing.T) {
	original := schema.Schema{Attributes: map[string]schema.Attribute{
		"parameters": schema.DynamicAttribute{Optional: true, PlanModifiers: []planmodifier.Dynamic{dynamicplanmodifier.RequiresReplace()}},
		"references": schema.SetNestedAttribute{
			Optional:      true,
			PlanModifiers: []planmodifier.Set{setplanmodifier.RequiresReplace()},
			NestedObject: schema.NestedAttributeObject{Attributes: map[string]schema.Attribute{
				"digest": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("x"),
					Validators: []validator.String{nil}},
			}},
		},
		"note": schema.StringAttribute{Optional: true},
	}, Blocks: map[string]schema.Block{
		"limits": schema.SingleNestedBlock{Attributes: map[string]schema.Attribute{
			"count": schema.Int64Attribute{Optional: true, Validators: []validator.Int64{nil}},
		}},
	}}
	stripped := withoutLogic(original)
	if logic := logicIn(reflect.ValueOf(stripped), "schema"); len(logic) > 0 {
		t.Errorf("logic left at %v", logic)
	}
	if len(logicIn(reflect.ValueOf(original), "schema")) != 5 {
		t.Error("withoutLogic changed the schema it copied")
	}
	if got := stripped.Type().TerraformType(context.Background()); !got.Equal(original.Type().TerraformType(context.Background())) {
		t.Errorf("the copy has another type: %s", got)
	}
	if _, ok := stripped.Attributes["references"].(schema.SetNestedAttribute); !ok || stripped.Attributes["note"].GetType() != types.StringType {
		t.Errorf("attribute kinds changed: %#v", stripped.Attributes)
	}
}

// logicIn lists the paths below v whose plan modifiers, validators or default are set.
func logicIn(v reflect.Value, at string) []string {
	var found []string
	switch v.Kind() {
	case reflect.Interface:
		if !v.IsNil() {
			found = logicIn(v.Elem(), at)
		}
	case reflect.Struct:
		for _, name := range logicFields {
			if f := v.FieldByName(name); f.IsValid() && !f.IsZero() {
				found = append(found, at+"."+name)
			}
		}
		for _, name := range []string{"Attributes", "Blocks", "NestedObject"} {
			if f := v.FieldByName(name); f.IsValid() {
				found = append(found, logicIn(f, at)...)
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			found = append(found, logicIn(it.Value(), fmt.Sprintf("%s.%v", at, it.Key()))...)
		}
	}
	return found
}

// TestFilledPlanStoresWhatTheResourceWould keeps the floors' state as full as their resources':
// known values kept, unknown ones filled, and the named ones null.
func TestFilledPlanStoresWhatTheResourceWould(t *testing.T) {
	typ := tftypes.Object{AttributeTypes: map[string]tftypes.Type{
		"key": tftypes.String, "sha256": tftypes.String, "bytes": tftypes.Number, "drift": tftypes.String,
	}}
	plan := tftypes.NewValue(typ, map[string]tftypes.Value{
		"key":    tftypes.NewValue(tftypes.String, "a.png"),
		"sha256": tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
		"bytes":  tftypes.NewValue(tftypes.Number, tftypes.UnknownValue),
		"drift":  tftypes.NewValue(tftypes.String, tftypes.UnknownValue),
	})
	state, err := filledPlan(plan, nullWhenStored)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]tftypes.Value
	if err := state.As(&got); err != nil {
		t.Fatal(err)
	}
	var key, sha256 string
	if err := got["key"].As(&key); err != nil || key != "a.png" {
		t.Errorf("key = %q (%v), want the planned a.png", key, err)
	}
	if err := got["sha256"].As(&sha256); err != nil || sha256 == "" {
		t.Errorf("sha256 = %q (%v), want it filled", sha256, err)
	}
	if !got["bytes"].IsKnown() || got["bytes"].IsNull() {
		t.Errorf("bytes = %s, want a number", got["bytes"])
	}
	if !got["drift"].IsNull() {
		t.Errorf("drift = %s, want null as an intact object has it", got["drift"])
	}
}
