package main

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"

	"github.com/apimart/terraform-provider-apimart/internal/provider"
)

// TestNoopImageHasTheImageSchemaWithoutItsLogic guards the comparison the benchmarks draw: if
// apimart_image gains an attribute of a kind withoutLogic does not know, this fails instead of
// the harness measuring a different shape.
func TestNoopImageHasTheImageSchemaWithoutItsLogic(t *testing.T) {
	ctx := context.Background()
	var image, bare resource.SchemaResponse
	provider.NewImageResource().Schema(ctx, resource.SchemaRequest{}, &image)
	noopImage{}.Schema(ctx, resource.SchemaRequest{}, &bare)
	if bare.Diagnostics.HasError() {
		t.Fatalf("noop_image schema: %v", bare.Diagnostics)
	}
	if len(bare.Schema.Attributes) != len(image.Schema.Attributes) || len(bare.Schema.Blocks) != len(image.Schema.Blocks) {
		t.Fatalf("noop_image has %d attributes and %d blocks; apimart_image has %d and %d",
			len(bare.Schema.Attributes), len(bare.Schema.Blocks), len(image.Schema.Attributes), len(image.Schema.Blocks))
	}
	modifiers := 0
	for name, attr := range image.Schema.Attributes {
		b, ok := bare.Schema.Attributes[name]
		if !ok {
			t.Errorf("noop_image lacks %s", name)
			continue
		}
		if b.GetType() != attr.GetType() || b.IsComputed() != attr.IsComputed() || b.IsOptional() != attr.IsOptional() || b.IsRequired() != attr.IsRequired() {
			t.Errorf("%s differs in type or in being required, optional or computed", name)
		}
		if s, ok := attr.(schema.StringAttribute); ok {
			modifiers += len(s.PlanModifiers)
		}
		if s, ok := b.(schema.StringAttribute); ok && (len(s.PlanModifiers) > 0 || s.Default != nil) {
			t.Errorf("noop_image kept plan logic on %s", name)
		}
	}
	if modifiers == 0 {
		t.Error("apimart_image has no string plan modifiers: the comparison would show nothing")
	}
}

func TestWithoutLogicRefusesUnknownAttributeKinds(t *testing.T) {
	if _, err := withoutLogic(schema.SetAttribute{}); err == nil {
		t.Error("a set attribute was copied without complaint")
	}
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
