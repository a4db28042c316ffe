package main

import (
	"context"
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// schemaTwin is what the floors of apimart's resources share: the schema of the resource they
// stand for without any of its logic (no plan modifiers, defaults or validators), served as the
// noop provider's type with the same suffix. Comparing a resource with its twin separates what
// the size of its schema costs (in Terraform and in the framework) from what its own code costs.
type schemaTwin struct {
	suffix string
	of     func() resource.Resource
}

func (t schemaTwin) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + t.suffix
}

// original is the resource the twin stands for.
func (t schemaTwin) original() resource.Resource { return t.of() }

func (t schemaTwin) Schema(ctx context.Context, req resource.SchemaRequest, resp *resource.SchemaResponse) {
	t.original().Schema(ctx, req, resp)
	resp.Schema = withoutLogic(resp.Schema)
}

// logicFields are the fields of the framework's schema attributes, blocks and nested objects that
// run code at plan or validation time.
var logicFields = []string{"PlanModifiers", "Validators", "Default"}

// withoutLogic returns a copy of a schema, attribute or block with every logic field emptied, at
// any depth. It works by reflection, so that an attribute of any kind a resource gains is
// copied without a line changed here.
func withoutLogic[T any](x T) T {
	v := reflect.ValueOf(&x).Elem()
	stripLogic(v)
	return x
}

func stripLogic(v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return
		}
		inner := reflect.New(v.Elem().Type()).Elem()
		inner.Set(v.Elem())
		stripLogic(inner)
		v.Set(inner)
	case reflect.Struct:
		for _, name := range logicFields {
			if f := v.FieldByName(name); f.IsValid() && f.CanSet() {
				f.SetZero()
			}
		}
		for _, name := range []string{"Attributes", "Blocks", "NestedObject"} {
			if f := v.FieldByName(name); f.IsValid() && f.CanSet() {
				stripLogic(f)
			}
		}
	case reflect.Map:
		if v.IsNil() {
			return
		}
		stripped := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			elem := reflect.New(v.Type().Elem()).Elem()
			elem.Set(it.Value())
			stripLogic(elem)
			stripped.SetMapIndex(it.Key(), elem)
		}
		v.Set(stripped)
	}
}

// storeFilledPlan stores the plan of a create as filledPlan fills it, and reports whether it could.
func storeFilledPlan(req resource.CreateRequest, resp *resource.CreateResponse, null map[string]bool) bool {
	state, err := filledPlan(req.Plan.Raw, null)
	if err != nil {
		resp.Diagnostics.AddError("Cannot store the plan", err.Error())
		return false
	}
	resp.State.Raw = state
	return true
}

// filledPlan is a plan with every value not known yet replaced by completedValue, or by null for
// the top-level attributes named in null.
func filledPlan(plan tftypes.Value, null map[string]bool) (tftypes.Value, error) {
	return tftypes.Transform(plan, func(p *tftypes.AttributePath, v tftypes.Value) (tftypes.Value, error) {
		if v.IsKnown() {
			return v, nil
		}
		if steps := p.Steps(); len(steps) == 1 {
			if name, ok := steps[0].(tftypes.AttributeName); ok && null[string(name)] {
				return tftypes.NewValue(v.Type(), nil), nil
			}
		}
		return completedValue(v.Type()), nil
	})
}

// completedValue stands in for a value the API would report: a string as long as a result URL,
// a number, false, or a list of one such string.
func completedValue(typ tftypes.Type) tftypes.Value {
	const url = "https://cdn.example/f/image/20261125/0123456789abcdef.png"
	switch {
	case typ.Is(tftypes.String):
		return tftypes.NewValue(typ, url)
	case typ.Is(tftypes.Number):
		return tftypes.NewValue(typ, 100)
	case typ.Is(tftypes.Bool):
		return tftypes.NewValue(typ, false)
	case typ.Is(tftypes.List{ElementType: tftypes.String}):
		return tftypes.NewValue(typ, []tftypes.Value{tftypes.NewValue(tftypes.String, url)})
	}
	return tftypes.NewValue(typ, nil)
}
