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

	"github.com/apimart/terraform-provider-apimart/internal/provider"
)

// TestNoopImageHasTheImageSchemaWithoutItsLogic guards the comparison the benchmarks draw: the
// same type as apimart_image, attribute for attribute, and no code left to run.
func TestNoopImageHasTheImageSchemaWithoutItsLogic(t *testing.T) {
	ctx := context.Background()
	var image, bare resource.SchemaResponse
	provider.NewImageResource().Schema(ctx, resource.SchemaRequest{}, &image)
	noopImage{}.Schema(ctx, resource.SchemaRequest{}, &bare)
	if bare.Diagnostics.HasError() {
		t.Fatalf("noop_image schema: %v", bare.Diagnostics)
	}
	if want, got := image.Schema.Type().TerraformType(ctx), bare.Schema.Type().TerraformType(ctx); !got.Equal(want) {
		t.Fatalf("noop_image's type differs from apimart_image's:\n got %s\nwant %s", got, want)
	}
	for name, attr := range image.Schema.Attributes {
		b := bare.Schema.Attributes[name]
		if b.IsComputed() != attr.IsComputed() || b.IsOptional() != attr.IsOptional() || b.IsRequired() != attr.IsRequired() {
			t.Errorf("%s differs in being required, optional or computed", name)
		}
	}
	if logic := logicIn(reflect.ValueOf(bare.Schema), "schema"); len(logic) > 0 {
		t.Errorf("noop_image kept logic at %v", logic)
	}
	if logic := logicIn(reflect.ValueOf(image.Schema), "schema"); len(logic) == 0 {
		t.Error("apimart_image has no plan modifiers, defaults or validators: the comparison would show nothing")
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

func TestNullWhenCompletedNamesImageAttributes(t *testing.T) {
	var image resource.SchemaResponse
	provider.NewImageResource().Schema(context.Background(), resource.SchemaRequest{}, &image)
	for name := range nullWhenCompleted {
		if _, ok := image.Schema.Attributes[name]; !ok {
			t.Errorf("apimart_image has no attribute %q", name)
		}
	}
}
