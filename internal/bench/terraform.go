package bench

import (
	"context"
	"fmt"

	"github.com/apimart/terraform-provider-apimart/internal/tfharness"
)

// noopProvider does no work; its resources are the floors the benchmarks compare against.
var noopProvider = tfharness.Provider{Source: "apimart/noop", Package: "./internal/bench/noopprovider"}

// apply runs terraform apply with the machine-readable UI, whose events carry the time each
// resource started and finished.
func apply(ctx context.Context, ws *tfharness.Workspace, parallelism int) (tfharness.Result, error) {
	r := ws.Run(ctx, "apply", "-auto-approve", "-input=false", "-json", fmt.Sprintf("-parallelism=%d", parallelism))
	return r, r.Err
}

// plan runs terraform plan with a refresh, as a user's plan would.
func plan(ctx context.Context, ws *tfharness.Workspace) (tfharness.Result, error) {
	r := ws.Run(ctx, "plan", "-input=false")
	return r, r.Err
}
