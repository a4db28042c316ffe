package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestProtocolOnlyServerAnswersAsTheFramework checks the three answers a plan of an unchanged
// noop_image takes from protocolOnlyServer against the framework's own, so the floor it measures
// is a plan Terraform accepts as "no changes".
func TestProtocolOnlyServerAnswersAsTheFramework(t *testing.T) {
	ctx := context.Background()
	server, ok := newProtocolOnlyServer().(protocolOnlyServer)
	if !ok {
		t.Fatal("newProtocolOnlyServer returned another type")
	}
	framework := newFrameworkServer()
	raw, err := json.Marshal(map[string]any{"id": "task_1", "prompt": "a lighthouse", "model": "imagen-4.0-apimart", "n": 1,
		"status": "completed", "urls": []string{"https://cdn.example/1.png"}, "interrupted": false, "retired_field": "kept by old state"})
	if err != nil {
		t.Fatal(err)
	}
	upgrade := &tfprotov6.UpgradeResourceStateRequest{TypeName: imageTypeName, RawState: &tfprotov6.RawState{JSON: raw}}
	got, err := server.UpgradeResourceState(ctx, upgrade)
	if err != nil {
		t.Fatal(err)
	}
	want, err := framework.UpgradeResourceState(ctx, upgrade)
	if err != nil || len(want.Diagnostics) > 0 {
		t.Fatalf("framework upgrade: %v %v", err, want.Diagnostics)
	}
	state := sameValue(t, server.imageType, "upgrade", got.UpgradedState, want.UpgradedState)

	read, err := server.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: imageTypeName, CurrentState: got.UpgradedState})
	if err != nil {
		t.Fatal(err)
	}
	wantRead, err := framework.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: imageTypeName, CurrentState: got.UpgradedState})
	if err != nil {
		t.Fatal(err)
	}
	sameValue(t, server.imageType, "read", read.NewState, wantRead.NewState)

	plan := &tfprotov6.PlanResourceChangeRequest{TypeName: imageTypeName, PriorState: got.UpgradedState,
		ProposedNewState: got.UpgradedState, Config: got.UpgradedState}
	planned, err := server.PlanResourceChange(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	plannedValue := sameValue(t, server.imageType, "plan", planned.PlannedState, got.UpgradedState)
	if !plannedValue.Equal(state) || len(planned.RequiresReplace) > 0 {
		t.Errorf("an unchanged image plans a change: %v, replace %v", plannedValue, planned.RequiresReplace)
	}
}

func sameValue(t *testing.T, typ tftypes.Type, what string, got, want *tfprotov6.DynamicValue) tftypes.Value {
	t.Helper()
	if got == nil || want == nil {
		t.Fatalf("%s: a state is missing (protocol only %v, framework %v)", what, got, want)
	}
	g, err := got.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	w, err := want.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Equal(w) {
		t.Errorf("%s: protocol only answered %v, the framework %v", what, g, w)
	}
	return g
}
