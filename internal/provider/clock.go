package provider

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// newWithClock is New with the clock the client waits on, as terraform-provider-time hands its
// Clock to its resources: nil, the wall clock, when Terraform runs the provider; in unit tests
// the clock the fake server reads too, so that a task is done as soon as the provider has waited
// for it, and no test waits in real time.
func newWithClock(version string, clock apimart.Clock) func() provider.Provider {
	return func() provider.Provider {
		return &apimartProvider{version: version, handover: newHandoverQueue(), buckets: newBucketCache(), clock: clock}
	}
}
