// Package provider implements the apimart Terraform provider on terraform-plugin-framework.
package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// Address is the provider's registry address.
const Address = "registry.terraform.io/apimart/apimart"

// Environment variables read when the matching argument is not set in configuration.
const (
	EnvAPIKey         = "APIMART_API_KEY"
	EnvBaseURL        = "APIMART_BASE_URL"
	EnvMaxRetries     = "APIMART_MAX_RETRIES"
	EnvRateLimit      = "APIMART_RATE_LIMIT"
	EnvRequestTimeout = "APIMART_REQUEST_TIMEOUT"
)

var _ provider.Provider = &apimartProvider{}

type apimartProvider struct {
	version string
	// handover outlives Configure so that a Delete and the Create that replaces it, which
	// Terraform runs in one provider process, share it.
	handover *handoverQueue
	clock    apimart.Clock       // see newProvider
	getenv   func(string) string // reads the APIMART_* variables; see newProvider
	// buckets outlive Configure too: a bucket is opened once for the life of the provider process.
	buckets *bucketCache
}

// New returns a factory for the provider, as providerserver expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider { return newProvider(version, nil, os.Getenv) }
}

// newProvider is the provider with the clock its client waits on and the function that reads its
// environment, as terraform-provider-time hands its Clock to its resources: the wall clock (nil)
// and os.Getenv when Terraform runs it. Unit tests give it the clock the fake server reads too, so
// that a task is done as soon as the provider has waited for it and no test waits in real time,
// and variables of their own, so that the tests that set them run side by side.
func newProvider(version string, clock apimart.Clock, getenv func(string) string) *apimartProvider {
	return &apimartProvider{version: version, handover: newHandoverQueue(), buckets: newBucketCache(), clock: clock, getenv: getenv}
}

type providerModel struct {
	APIKey         types.String  `tfsdk:"api_key"`
	BaseURL        types.String  `tfsdk:"base_url"`
	MaxRetries     types.Int64   `tfsdk:"max_retries"`
	RateLimit      types.Float64 `tfsdk:"rate_limit"`
	RequestTimeout types.String  `tfsdk:"request_timeout"`
	AllowUnlisted  types.Bool    `tfsdk:"allow_unlisted_models"`
}

func (p *apimartProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "apimart"
	resp.Version = p.version
}

func (p *apimartProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The APIMart provider declares generated images as infrastructure: it submits prompts to the " +
			"[APIMart](https://apimart.ai) image-generation API, waits for the tasks and keeps the result URLs in state.",
		Attributes: map[string]schema.Attribute{
			"api_key": schema.StringAttribute{
				MarkdownDescription: "The APIMart API key (`sk-...`), sent as a bearer token. Defaults to the `" + EnvAPIKey +
					"` environment variable. It is needed only by operations that call the API, so `terraform validate` " +
					"works without it.",
				Optional:  true,
				Sensitive: true,
			},
			"base_url": schema.StringAttribute{
				MarkdownDescription: "The API endpoint. Defaults to the `" + EnvBaseURL + "` environment variable, then `" +
					apimart.DefaultBaseURL + "`. Plain `http://` is accepted only for loopback hosts, because the key " +
					"would otherwise travel in clear text.",
				Optional: true,
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How often one request is retried after a transient failure (connection "+
					"errors, HTTP 429 and 5xx for task reads and file downloads; only 408, 429, 503 and failed connections for "+
					"a paid submit). "+
					"Defaults to the `%s` environment variable, then %d. `0` disables retries.", EnvMaxRetries, apimart.DefaultMaxRetries),
				Optional: true,
			},
			"rate_limit": schema.Float64Attribute{
				MarkdownDescription: fmt.Sprintf("A ceiling on the requests per second this provider sends, shared by "+
					"all its resources and data sources, retries included. Defaults to the `%s` environment variable, "+
					"then `0`, which sets no ceiling: the API publishes no limit, so the provider sends as fast as "+
					"Terraform's parallelism asks. Whatever the ceiling, an HTTP 429 holds every request back for the "+
					"API's `Retry-After` and slows the provider down to the rate the API has just accepted; it then "+
					"speeds up by 10 %% every 2 seconds without a 429. Fractions such as `0.5` are allowed.",
					EnvRateLimit),
				Optional: true,
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("How long one HTTP request may take, a file download to its last byte included, as a Go duration such as `30s` or "+
					"`2m`. Defaults to the `%s` environment variable, then `%s`. Waiting for a task is bounded by the "+
					"resource's `timeouts` instead.", EnvRequestTimeout, apimart.DefaultRequestTimeout),
				Optional: true,
			},
			"allow_unlisted_models": schema.BoolAttribute{
				MarkdownDescription: "Whether `apimart_image` may use a model that is not in this provider's catalog, such as " +
					"one newer than this provider version. Defaults to `false`: an unknown model is a plan error that names " +
					"the closest catalog ids. When `true`, such a model plans with a warning and is sent as written; its " +
					"`size`, `n`, `resolution`, optional arguments and `parameters` are not checked.",
				Optional: true,
			},
		},
	}
}

func (p *apimartProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var config providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &config)...)
	if resp.Diagnostics.HasError() {
		return
	}
	data := &providerData{handover: p.handover, buckets: p.buckets, allowUnlistedModels: config.AllowUnlisted.ValueBool()}
	resp.DataSourceData = data
	resp.ResourceData = data
	if anyUnknown(config) {
		// Values from resources not yet created: nothing may call the API in this run.
		data.configUnknown = true
		return
	}
	userAgent := fmt.Sprintf("terraform-provider-apimart/%s terraform/%s", p.version, req.TerraformVersion)
	settings, diags := resolveSettings(config, apimart.Config{UserAgent: userAgent, Logger: tflogLogger{}, Clock: p.clock}, p.getenv)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	data.client, data.downloader = settings.client, apimart.NewDownloader(settings.config)
	data.apiKey, data.keySource = settings.config.APIKey, settings.keySource
	tflog.Debug(maskKey(ctx, data.apiKey), "configured APIMart client",
		map[string]any{"base_url": settings.config.BaseURL, "key_source": settings.keySource})
}

func anyUnknown(c providerModel) bool {
	return c.APIKey.IsUnknown() || c.BaseURL.IsUnknown() || c.MaxRetries.IsUnknown() ||
		c.RateLimit.IsUnknown() || c.RequestTimeout.IsUnknown()
}

func (p *apimartProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{NewImageResource, NewImageFileResource, NewImageObjectResource}
}

func (p *apimartProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{NewTaskDataSource, NewBalanceDataSource}
}

// argument is a setting of the provider block, read from the configuration, else from its
// environment variable, else its default.
type argument struct {
	name  string
	env   string
	title string // what an error summary calls it
	field string // the apimart.Config field it sets, which the client's errors name
}

var (
	argAPIKey         = argument{name: "api_key", env: EnvAPIKey, title: "APIMart API key", field: "APIKey"}
	argBaseURL        = argument{name: "base_url", env: EnvBaseURL, title: "APIMart base URL", field: "BaseURL"}
	argMaxRetries     = argument{name: "max_retries", env: EnvMaxRetries, title: "max_retries", field: "MaxRetries"}
	argRateLimit      = argument{name: "rate_limit", env: EnvRateLimit, title: "rate limit", field: "RateLimit"}
	argRequestTimeout = argument{name: "request_timeout", env: EnvRequestTimeout, title: "request timeout", field: "RequestTimeout"}
	arguments         = []argument{argAPIKey, argBaseURL, argMaxRetries, argRateLimit, argRequestTimeout}
)

// settings are the provider's arguments as the client takes them.
type settings struct {
	config    apimart.Config
	keySource string
	// client is nil when no key is set.
	client *apimart.Client
}

// resolveSettings reads each argument once and parses it once into cfg, then builds the client,
// whose own checks are the only ones on the values it takes. A missing key is no error here: it
// is reported by the first operation that needs one, so that validate and a plan of finished
// images work without it.
func resolveSettings(c providerModel, cfg apimart.Config, getenv func(string) string) (settings, diag.Diagnostics) {
	r := settingsReader{getenv: getenv, fromEnv: map[string]bool{}}
	key, keySource := r.text(argAPIKey, c.APIKey, "")
	// A key read with file() keeps its trailing newline, which no HTTP header may carry.
	cfg.APIKey = strings.TrimSpace(key)
	cfg.BaseURL, _ = r.text(argBaseURL, c.BaseURL, apimart.DefaultBaseURL)

	var err error
	retries, _ := r.text(argMaxRetries, c.MaxRetries, strconv.Itoa(apimart.DefaultMaxRetries))
	if cfg.MaxRetries, err = strconv.Atoi(retries); err != nil {
		r.fail(argMaxRetries, fmt.Errorf("%q is not a whole number from 0 to %d", retries, apimart.MaxRetriesLimit))
	}
	limit, _ := r.text(argRateLimit, c.RateLimit, "0")
	if cfg.RateLimit, err = strconv.ParseFloat(limit, 64); err != nil {
		r.fail(argRateLimit, fmt.Errorf("%q is not a number of requests per second of 0 (no ceiling) or more", limit))
	}
	timeout, _ := r.text(argRequestTimeout, c.RequestTimeout, apimart.DefaultRequestTimeout.String())
	if cfg.RequestTimeout, err = time.ParseDuration(timeout); err != nil || cfg.RequestTimeout <= 0 {
		r.fail(argRequestTimeout, fmt.Errorf("%q is not a positive Go duration such as \"30s\" or \"2m\"", timeout))
	}

	client, err := apimart.NewClient(cfg)
	var bad *apimart.ConfigError
	switch {
	case errors.Is(err, apimart.ErrNoAPIKey):
		// Every other value is valid; the key is checked where it is needed.
	case errors.As(err, &bad):
		r.fail(argumentFor(bad.Field), bad.Err)
	case err != nil:
		r.diags.AddError("Invalid provider configuration", err.Error())
	}
	return settings{config: cfg, keySource: keySource, client: client}, r.diags
}

func argumentFor(field string) argument {
	for _, a := range arguments {
		if a.field == field {
			return a
		}
	}
	return argument{title: field}
}

// settingsReader reads arguments and remembers where each value came from, for the errors.
type settingsReader struct {
	getenv  func(string) string
	fromEnv map[string]bool
	diags   diag.Diagnostics
}

// text returns the value of an argument as text, and where it came from.
func (r *settingsReader) text(a argument, v attr.Value, def string) (string, string) {
	if !v.IsNull() {
		return configText(v), "the provider's " + a.name + " argument"
	}
	if env := r.getenv(a.env); env != "" {
		r.fromEnv[a.name] = true
		return env, "the " + a.env + " environment variable"
	}
	return def, "the default"
}

func configText(v attr.Value) string {
	switch v := v.(type) {
	case types.Int64:
		return strconv.FormatInt(v.ValueInt64(), 10)
	case types.Float64:
		return strconv.FormatFloat(v.ValueFloat64(), 'g', -1, 64)
	case types.String:
		return v.ValueString()
	}
	return v.String()
}

// fail reports a bad value on its argument, with where it came from and how to correct it.
func (r *settingsReader) fail(a argument, err error) {
	summary, fix := "Invalid "+a.title, "Correct "+a.name+" in the provider block."
	if r.fromEnv[a.name] {
		summary += " in " + a.env
		fix = "Correct or unset the " + a.env + " environment variable, or set " + a.name + " in the provider block."
	}
	r.diags.AddAttributeError(path.Root(a.name), summary, err.Error()+". "+fix)
}
