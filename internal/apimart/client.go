// Package apimart is a client for the APIMart image-generation API. It knows nothing of Terraform.
package apimart

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultBaseURL is the public API endpoint.
const DefaultBaseURL = "https://api.apimart.ai"

// DefaultMaxRetries is the retry count a caller without an opinion should pass; MaxRetriesLimit
// is the most NewClient accepts, so that a typo cannot make one request retry for hours.
const (
	DefaultMaxRetries = 4
	MaxRetriesLimit   = 20
)

// Defaults for the Config fields whose zero value means "the default".
const (
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

// Config configures a Client.
type Config struct {
	// BaseURL is checked by ParseBaseURL; empty means DefaultBaseURL.
	BaseURL   string
	APIKey    string
	UserAgent string
	// MaxRetries is how often one request is retried, from 0 (never) to MaxRetriesLimit.
	MaxRetries int
	// RetryWaitMin and RetryWaitMax bound the backoff between retries; zero means the default.
	RetryWaitMin time.Duration
	RetryWaitMax time.Duration
	// RequestTimeout bounds one attempt, its body included; zero means the default.
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

// ErrNoAPIKey is NewClient's answer to a blank key when the rest of the Config is valid, so that
// a caller can check its settings before it has a key.
var ErrNoAPIKey = errors.New("no API key is set")

// ConfigError is a Config value that NewClient refuses.
type ConfigError struct {
	// Field is the Config field, such as "BaseURL".
	Field string
	Err   error
}

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// Client talks to the APIMart API. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	apiKey     string
	userAgent  string
	http       *http.Client
	limiter    *sharedLimiter
	logger     Logger
	clock      Clock
	timeout    time.Duration
	maxRetries int
	waitMin    time.Duration
	waitMax    time.Duration
}

// NewClient checks the configuration and builds a client. It sends no request.
func NewClient(cfg Config) (*Client, error) {
	base, err := ParseBaseURL(cfg.BaseURL)
	if err != nil {
		return nil, &ConfigError{Field: "BaseURL", Err: err}
	}
	if err := checkLimits(cfg); err != nil {
		return nil, err
	}
	if strings.TrimSpace(cfg.APIKey) == "" {
		return nil, ErrNoAPIKey
	}
	c := newClient(cfg, cfg.RateLimit, cfg.RateBurst)
	c.base, c.apiKey = base, cfg.APIKey
	// The API does not redirect; following one could re-send a paid request or the key elsewhere.
	c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c, nil
}

func checkLimits(cfg Config) error {
	switch {
	case cfg.MaxRetries < 0 || cfg.MaxRetries > MaxRetriesLimit:
		return &ConfigError{Field: "MaxRetries",
			Err: fmt.Errorf("max retries %d is not a whole number from 0 (no retries) to %d", cfg.MaxRetries, MaxRetriesLimit)}
	case math.IsNaN(cfg.RateLimit) || cfg.RateLimit < 0:
		return &ConfigError{Field: "RateLimit",
			Err: fmt.Errorf("rate limit %g is not a number of requests per second of 0 (no ceiling) or more", cfg.RateLimit)}
	case cfg.RateBurst < 0:
		return &ConfigError{Field: "RateBurst",
			Err: fmt.Errorf("rate burst %d is negative; 0 picks one second's worth of requests", cfg.RateBurst)}
	}
	return nil
}

// newClient builds what the API client and the Downloader share: the retry settings, the
// transport, the logger, the clock, and a limiter under the given ceiling (see Config.RateLimit).
func newClient(cfg Config, ceiling float64, burst int) *Client {
	c := &Client{
		userAgent:  cmp.Or(cfg.UserAgent, "terraform-provider-apimart"),
		http:       newHTTPClient(cfg.HTTPClient),
		logger:     cmp.Or[Logger](cfg.Logger, discardLogger{}),
		clock:      cmp.Or[Clock](cfg.Clock, realClock{}),
		timeout:    orDefault(cfg.RequestTimeout, DefaultRequestTimeout),
		maxRetries: max(cfg.MaxRetries, 0),
		waitMin:    orDefault(cfg.RetryWaitMin, DefaultRetryWaitMin),
	}
	c.waitMax = max(orDefault(cfg.RetryWaitMax, DefaultRetryWaitMax), c.waitMin)
	c.limiter = newSharedLimiter(ceiling, burst, c.clock)
	return c
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

type discardLogger struct{}

func (discardLogger) Log(context.Context, LogLevel, string, map[string]any) {}

// newHTTPClient copies the supplied client, so that the caller's value is not changed, and gives
// it a transport with its own connection pool unless it brings one.
func newHTTPClient(supplied *http.Client) *http.Client {
	var hc http.Client
	if supplied != nil {
		hc = *supplied
	}
	if hc.Transport == nil {
		hc.Transport = ownTransport()
	}
	return &hc
}

func ownTransport() http.RoundTripper {
	if t, ok := http.DefaultTransport.(*http.Transport); ok {
		return t.Clone()
	}
	return http.DefaultTransport
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

func isSuccess(status int) bool { return status >= 200 && status < 300 }
