// Package provider implements the apimart Terraform provider on terraform-plugin-framework.
package provider

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/float64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
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
	// buckets outlive Configure too: a bucket is opened once for the life of the provider process.
	buckets *bucketCache
}

// New returns a factory for the provider, as providerserver expects.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &apimartProvider{version: version, handover: newHandoverQueue(), buckets: newBucketCache()}
	}
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
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 20)},
			},
			"rate_limit": schema.Float64Attribute{
				MarkdownDescription: fmt.Sprintf("A ceiling on the requests per second this provider sends, shared by "+
					"all its resources and data sources, retries included. Defaults to the `%s` environment variable, "+
					"then `0`, which sets no ceiling: the API publishes no limit, so the provider sends as fast as "+
					"Terraform's parallelism asks. Whatever the ceiling, an HTTP 429 holds every request back for the "+
					"API's `Retry-After` and slows the provider down to the rate the API has just accepted; it then "+
					"speeds up by 10 %% every 2 seconds without a 429. Fractions such as `0.5` are allowed.",
					EnvRateLimit),
				Optional:   true,
				Validators: []validator.Float64{float64validator.AtLeast(0)},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("How long one HTTP request may take, a file download to its last byte included, as a Go duration such as `30s` or "+
					"`2m`. Defaults to the `%s` environment variable, then `%s`. Waiting for a task is bounded by the "+
					"resource's `timeouts` instead.", EnvRequestTimeout, apimart.DefaultRequestTimeout),
				Optional:   true,
				Validators: []validator.String{durationValidator{}},
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
	settings, diags := resolveSettings(config)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	data.keySource = settings.keySource
	userAgent := fmt.Sprintf("terraform-provider-apimart/%s terraform/%s", p.version, req.TerraformVersion)
	data.downloader = apimart.NewDownloader(apimart.Config{
		UserAgent:      userAgent,
		MaxRetries:     settings.maxRetries,
		RequestTimeout: settings.requestTimeout,
		Logger:         tflogLogger{},
	})
	// A blank key is a missing key, reported as such by the first operation that needs one; the
	// client would refuse it anyway, and that error must not read as a base_url problem.
	if settings.apiKey == "" {
		return
	}
	ctx = maskKey(ctx, settings.apiKey)
	client, err := apimart.NewClient(apimart.Config{
		BaseURL:        settings.baseURL,
		APIKey:         settings.apiKey,
		UserAgent:      userAgent,
		MaxRetries:     settings.maxRetries,
		RateLimit:      settings.rateLimit,
		RequestTimeout: settings.requestTimeout,
		Logger:         tflogLogger{},
	})
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("base_url"), "Invalid APIMart base URL", err.Error())
		return
	}
	data.client = client
	data.apiKey = settings.apiKey
	tflog.Debug(ctx, "configured APIMart client", map[string]any{"base_url": settings.baseURL, "key_source": settings.keySource})
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

// settings are the provider's arguments after configuration, environment and defaults.
type settings struct {
	apiKey         string
	keySource      string
	baseURL        string
	maxRetries     int
	rateLimit      float64
	requestTimeout time.Duration
}

func resolveSettings(c providerModel) (settings, diag.Diagnostics) {
	var s settings
	var diags diag.Diagnostics
	s.apiKey, s.keySource = stringSetting(c.APIKey, EnvAPIKey, "", "the provider's api_key argument")
	// A key read with file() keeps its trailing newline, which no HTTP header may carry.
	s.apiKey = strings.TrimSpace(s.apiKey)
	s.baseURL, _ = stringSetting(c.BaseURL, EnvBaseURL, apimart.DefaultBaseURL, "")
	if _, err := apimart.ParseBaseURL(s.baseURL); err != nil {
		diags.AddAttributeError(path.Root("base_url"), "Invalid APIMart base URL", err.Error())
	}

	retries, err := intSetting(c.MaxRetries, EnvMaxRetries, apimart.DefaultMaxRetries)
	addEnvError(&diags, EnvMaxRetries, err)
	s.maxRetries = retries
	if retries == 0 {
		s.maxRetries = -1 // the client reads 0 as "default"
	}

	s.rateLimit, err = floatSetting(c.RateLimit, EnvRateLimit, 0)
	addEnvError(&diags, EnvRateLimit, err)

	timeout, _ := stringSetting(c.RequestTimeout, EnvRequestTimeout, apimart.DefaultRequestTimeout.String(), "")
	s.requestTimeout, err = time.ParseDuration(timeout)
	if err != nil || s.requestTimeout <= 0 {
		diags.AddAttributeError(path.Root("request_timeout"), "Invalid request timeout",
			fmt.Sprintf("%q is not a positive Go duration such as \"30s\" or \"2m\" (set in configuration or %s).", timeout, EnvRequestTimeout))
	}
	return s, diags
}

func addEnvError(diags *diag.Diagnostics, env string, err error) {
	if err != nil {
		diags.AddError("Invalid "+env+" environment variable", err.Error()+". Fix or unset the variable, or set the argument in the provider block.")
	}
}

// stringSetting applies the order configuration, environment, default, and says where the value came from.
func stringSetting(v types.String, env, def, configSource string) (string, string) {
	if !v.IsNull() {
		return v.ValueString(), configSource
	}
	if e, ok := os.LookupEnv(env); ok && e != "" {
		return e, "the " + env + " environment variable"
	}
	return def, "the default"
}

func intSetting(v types.Int64, env string, def int) (int, error) {
	if !v.IsNull() {
		return int(v.ValueInt64()), nil
	}
	e := os.Getenv(env)
	if e == "" {
		return def, nil
	}
	n, err := strconv.Atoi(e)
	if err != nil || n < 0 || n > 20 {
		return def, fmt.Errorf("%q is not a whole number from 0 to 20", e)
	}
	return n, nil
}

func floatSetting(v types.Float64, env string, def float64) (float64, error) {
	if !v.IsNull() {
		return v.ValueFloat64(), nil
	}
	e := os.Getenv(env)
	if e == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(e, 64)
	if err != nil || math.IsNaN(f) || f < 0 {
		return def, fmt.Errorf("%q is not a number of requests per second of 0 or more", e)
	}
	return f, nil
}
