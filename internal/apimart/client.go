// Package apimart is a client for the APIMart image-generation API. It knows nothing of Terraform.
package apimart

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// DefaultBaseURL is the public API endpoint.
const DefaultBaseURL = "https://api.apimart.ai"

// Defaults for Config fields left at their zero value.
const (
	DefaultMaxRetries     = 4
	DefaultRetryWaitMin   = 1 * time.Second
	DefaultRetryWaitMax   = 30 * time.Second
	DefaultRequestTimeout = 60 * time.Second
)

// Logger receives the client's log lines with the context of the call each belongs to, so that a
// caller can route them through a context-bound logger such as tflog. Field values are strings or
// numbers, and never contain the API key.
type Logger interface {
	Log(ctx context.Context, level LogLevel, msg string, fields map[string]any)
}

// LogLevel is the severity of a log line.
type LogLevel int

// The levels the client logs at.
const (
	LogDebug LogLevel = iota
	LogWarn
)

// Config configures a Client. Zero values take the defaults above.
type Config struct {
	BaseURL   string
	APIKey    string
	UserAgent string
	// MaxRetries bounds the retries of one request; a negative value disables retries.
	MaxRetries     int
	RetryWaitMin   time.Duration
	RetryWaitMax   time.Duration
	RequestTimeout time.Duration
	// RateLimit is a ceiling in requests per second shared by every request of the client,
	// retries included; 0 means none. With or without it, a 429 slows the client down to what
	// the server admits, and a quiet server lets it speed up again.
	RateLimit float64
	// RateBurst is how many requests may go at once under the ceiling; 0 means max(1, ceil(RateLimit)).
	RateBurst int
	// HTTPClient supplies the transport; nil means a fresh pooled transport.
	HTTPClient *http.Client
	// Logger receives request and retry logs; nil discards them.
	Logger Logger
	// Clock is what retries, the rate limiter and task waits wait on; nil means the wall clock.
	Clock Clock
}

// Client talks to the APIMart API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	apiKey    string
	userAgent string
	http      *retryablehttp.Client
	limiter   *sharedLimiter
	logger    Logger
	clock     Clock
	timeout   time.Duration
	maxRetry  int
}

// NewClient checks the configuration and builds a client. It sends no request.
func NewClient(cfg Config) (*Client, error) {
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, errors.New("no API key is set")
	}
	if err := checkRateLimit(cfg); err != nil {
		return nil, err
	}
	cfg = withDefaults(cfg)
	c := &Client{
		base:      base,
		apiKey:    cfg.APIKey,
		userAgent: cfg.UserAgent,
		logger:    cfg.Logger,
		clock:     cfg.Clock,
		timeout:   cfg.RequestTimeout,
		maxRetry:  cfg.MaxRetries,
		limiter:   newSharedLimiter(cfg.RateLimit, cfg.RateBurst, cfg.Clock),
	}
	c.http = c.newRetryableClient(cfg)
	return c, nil
}

// ParseBaseURL validates a base URL. Plain http is accepted only for loopback hosts, because the
// key would otherwise travel in clear text.
func ParseBaseURL(raw string) (*url.URL, error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("base URL %q is not a valid URL: %w", raw, err)
	}
	shown := u.Redacted()
	if u.Host == "" || u.Hostname() == "" {
		return nil, fmt.Errorf("base URL %q has no host; expected a form such as %s", shown, DefaultBaseURL)
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("base URL %q uses plain http on the non-loopback host %q; the API key would travel in clear text. Use https, or http only with localhost, 127.0.0.1 or ::1", shown, u.Hostname())
		}
	default:
		return nil, fmt.Errorf("base URL %q has scheme %q; only https (and http for loopback hosts) is allowed", shown, u.Scheme)
	}
	if u.User != nil {
		return nil, fmt.Errorf("base URL %q must not carry a user name or password; the API key is the only credential", shown)
	}
	if u.RawQuery != "" || u.ForceQuery || strings.Contains(raw, "#") {
		return nil, fmt.Errorf("base URL %q must not carry a query or fragment", shown)
	}
	u.Path, u.RawPath = strings.TrimRight(u.Path, "/"), strings.TrimRight(u.RawPath, "/")
	return u, nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func checkRateLimit(cfg Config) error {
	if math.IsNaN(cfg.RateLimit) || cfg.RateLimit < 0 {
		return fmt.Errorf("rate limit %g is not a number of requests per second of 0 (no ceiling) or more", cfg.RateLimit)
	}
	if cfg.RateBurst < 0 {
		return fmt.Errorf("rate burst %d is negative; 0 picks one second's worth of requests", cfg.RateBurst)
	}
	return nil
}

func withDefaults(cfg Config) Config {
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = DefaultMaxRetries
	} else if cfg.MaxRetries < 0 {
		cfg.MaxRetries = 0
	}
	if cfg.RetryWaitMin <= 0 {
		cfg.RetryWaitMin = DefaultRetryWaitMin
	}
	if cfg.RetryWaitMax <= 0 {
		cfg.RetryWaitMax = DefaultRetryWaitMax
	}
	if cfg.RetryWaitMax < cfg.RetryWaitMin {
		cfg.RetryWaitMax = cfg.RetryWaitMin
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "terraform-provider-apimart"
	}
	if cfg.Logger == nil {
		cfg.Logger = discardLogger{}
	}
	if cfg.Clock == nil {
		cfg.Clock = realClock{}
	}
	return cfg
}

type discardLogger struct{}

func (discardLogger) Log(context.Context, LogLevel, string, map[string]any) {}

// newRetryableClient builds the one retryablehttp client of c. The policy differs per request
// kind (reads versus paid submits) through the call carried by each request's context.
func (c *Client) newRetryableClient(cfg Config) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   c.newHTTPClient(cfg.HTTPClient),
		RetryWaitMin: cfg.RetryWaitMin,
		RetryWaitMax: cfg.RetryWaitMax,
		RetryMax:     cfg.MaxRetries,
		CheckRetry:   c.checkRetry,
		// The backoff is waited in the transport, on the client's clock (see checkRetry).
		Backoff: noBackoff,
		// The caller decodes the last answer itself, so it needs it unchanged.
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// newHTTPClient copies the supplied client (so the caller's value is not changed) and wraps its
// transport with the per-attempt work.
func (c *Client) newHTTPClient(supplied *http.Client) *http.Client {
	var hc http.Client
	if supplied != nil {
		hc = *supplied
	}
	base := hc.Transport
	if base == nil {
		base = ownTransport()
	}
	hc.Transport = &attemptTransport{base: base, limiter: c.limiter, timeout: c.timeout, logger: c.logger, clock: c.clock}
	// The API does not redirect; following one could re-send a paid request or the key elsewhere.
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &hc
}

// ownTransport returns a transport with its own connection pool, so that closing idle connections
// after a failure does not touch anyone else's.
func ownTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return http.DefaultTransport
}

// endpoint joins the base URL and path segments, escaping each segment on its own so that an
// opaque id cannot add path elements.
func (c *Client) endpoint(segments ...string) *url.URL {
	u := *c.base
	path, rawPath := strings.TrimRight(u.Path, "/"), strings.TrimRight(u.EscapedPath(), "/")
	for _, s := range segments {
		path += "/" + s
		rawPath += "/" + url.PathEscape(s)
	}
	u.Path, u.RawPath = path, rawPath
	return &u
}

// send performs one logical request, retries included, and returns the last answer. The caller
// closes the body.
func (c *Client) send(ctx context.Context, kind requestKind, method string, u *url.URL, body []byte, header http.Header) (*http.Response, error) {
	var rawBody interface{}
	if body != nil {
		rawBody = body
		header = withDefault(header, "Content-Type", "application/json")
	}
	return c.sendBody(ctx, kind, method, u, rawBody, header)
}

// sendBody is send for any body retryablehttp can replay, such as a ReaderFunc that streams a
// file anew for every attempt; header must name the Content-Type of a body.
func (c *Client) sendBody(ctx context.Context, kind requestKind, method string, u *url.URL, rawBody interface{}, header http.Header) (*http.Response, error) {
	req, err := retryablehttp.NewRequestWithContext(withCall(ctx, &call{kind: kind}), method, u.String(), rawBody)
	if err != nil {
		return nil, fmt.Errorf("building the %s %s request: %w", method, u.EscapedPath(), err)
	}
	for name, values := range header {
		req.Header[name] = values
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		if resp != nil {
			resp.Body.Close()
		}
		return nil, err
	}
	return resp, nil
}

// withDefault returns a copy of header that has value under name unless header already sets one.
func withDefault(header http.Header, name, value string) http.Header {
	out := header.Clone()
	if out == nil {
		out = http.Header{}
	}
	if out.Get(name) == "" {
		out.Set(name, value)
	}
	return out
}

func isSuccess(status int) bool { return status >= 200 && status < 300 }
