package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// providerData is what Configure hands to resources and data sources.
type providerData struct {
	// client is nil when no key is configured: that is an error only for operations that call the API.
	client *apimart.Client
	// downloader fetches result files; it needs no key, so it exists whenever the settings are valid.
	downloader    *apimart.Downloader
	apiKey        string
	keySource     string
	configUnknown bool
	handover      *handoverQueue
	// buckets are the storage buckets opened for apimart_image_object, shared by its requests.
	buckets *bucketCache
	// allowUnlistedModels lets apimart_image send a model id that is not in the catalog.
	allowUnlistedModels bool
}

// Client returns the API client, or an error diagnostic that tells the user how to set the key.
func (d *providerData) Client() (*apimart.Client, diag.Diagnostics) {
	diags := d.notReady("the API cannot be called")
	if !diags.HasError() && d.client == nil {
		diags.AddError("Missing APIMart API key",
			"This operation calls the APIMart API, which needs an API key. Set api_key in the provider \"apimart\" block, or set the "+EnvAPIKey+" environment variable.")
	}
	if diags.HasError() {
		return nil, diags
	}
	return d.client, diags
}

// Downloader returns the file downloader, which needs no key.
func (d *providerData) Downloader() (*apimart.Downloader, diag.Diagnostics) {
	diags := d.notReady("nothing can be downloaded")
	if !diags.HasError() && d.downloader == nil {
		diags.AddError("Provider not configured", "The apimart provider has no downloader. This is a bug in the provider; please report it.")
	}
	if diags.HasError() {
		return nil, diags
	}
	return d.downloader, diags
}

// notReady explains why nothing may leave the provider in this run, if so; cannot says what
// cannot happen.
func (d *providerData) notReady(cannot string) diag.Diagnostics {
	var diags diag.Diagnostics
	switch {
	case d == nil:
		diags.AddError("Provider not configured", "The apimart provider was not configured before use. This is a bug in the provider; please report it.")
	case d.configUnknown:
		diags.AddError("Provider configuration not known yet",
			"The apimart provider block uses values that are known only after other resources are applied, so "+cannot+" in this run. Apply those resources first, for example with -target.")
	}
	return diags
}

// configuredData takes the provider's data in a resource's or data source's Configure. It is nil
// before the provider is configured, which the framework does for validation.
func configuredData(raw any, diags *diag.Diagnostics) *providerData {
	if raw == nil {
		return nil
	}
	data, ok := raw.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider.", raw))
	}
	return data
}

// logContext masks the key in every log line written with the returned context.
func (d *providerData) logContext(ctx context.Context) context.Context {
	if d == nil {
		return ctx
	}
	return maskKey(ctx, d.apiKey)
}
