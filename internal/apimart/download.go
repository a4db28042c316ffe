package apimart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// MaxDownloadBytes bounds one result file. Generated images are tens of MiB at most, so a body
// far above that is a misbehaving server rather than an image.
const MaxDownloadBytes = 512 << 20

// maxRedirects bounds the redirects a download follows, as the standard client does.
const maxRedirects = 10

// Downloader fetches result files. Result URLs live on other hosts than the API (a CDN), so it
// never sends the API key or any Authorization header, and it needs no key to exist. Transient
// failures are retried with the retry settings of Config, as reads of the API are.
type Downloader struct {
	c *Client
}

// NewDownloader builds a downloader from the retry, timeout, transport, logging and clock fields
// of cfg; BaseURL, APIKey and the rate-limit fields are not used. Its requests are paced by their
// own limiter, which learns only from the file host's 429s.
func NewDownloader(cfg Config) *Downloader {
	c := newClient(cfg, 0, 0)
	// Unlike the API, file hosts do redirect, and with no key on the request a redirect leaks
	// nothing; each hop must still pass the rule on plain http.
	c.http.CheckRedirect = checkDownloadRedirect
	return &Downloader{c: c}
}

// GoneError is a result URL that answers 403, 404 or 410: it has expired, or its file was
// removed. Downloading it again cannot succeed.
type GoneError struct {
	URL        string // without its query, which may hold a signature
	StatusCode int
}

func (e *GoneError) Error() string {
	return fmt.Sprintf("the image URL %s has expired or is gone (HTTP %d %s)", e.URL, e.StatusCode, http.StatusText(e.StatusCode))
}

// IsGone reports whether err means the URL will never serve its file again.
func IsGone(err error) bool {
	var gone *GoneError
	return errors.As(err, &gone)
}

// Downloaded describes a body that was copied out.
type Downloaded struct {
	Bytes       int64
	ContentType string // as the server labeled it
}

// Download copies the file at rawURL into w as it arrives, so memory does not grow with the
// file. A body cut off before its end is an error; what w received by then is incomplete.
func (d *Downloader) Download(ctx context.Context, rawURL string, w io.Writer) (Downloaded, error) {
	resp, shown, err := d.fetch(ctx, http.MethodGet, rawURL)
	if err != nil {
		return Downloaded{}, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, io.LimitReader(resp.Body, MaxDownloadBytes+1))
	switch {
	case n > MaxDownloadBytes:
		return Downloaded{}, fmt.Errorf("downloading %s: the file is larger than %d MiB, far above any generated image", shown, MaxDownloadBytes>>20)
	case err != nil:
		return Downloaded{}, fmt.Errorf("downloading %s: the download was cut off after %d bytes: %w", shown, n, err)
	}
	return Downloaded{Bytes: n, ContentType: resp.Header.Get("Content-Type")}, nil
}

// Check asks with one HEAD whether rawURL still serves its file: nil when it does, a
// *GoneError when it has expired or is gone, another error when the host could not say.
func (d *Downloader) Check(ctx context.Context, rawURL string) error {
	resp, _, err := d.fetch(ctx, http.MethodHead, rawURL)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}

// fetch sends one request, retries included, and returns a 2xx answer with the URL as errors
// show it. Any other answer becomes an error.
func (d *Downloader) fetch(ctx context.Context, method, rawURL string) (*http.Response, string, error) {
	u, err := ParseDownloadURL(rawURL)
	if err != nil {
		return nil, rawURL, err
	}
	shown := shownURL(u)
	resp, err := d.c.send(ctx, request{kind: kindDownload, method: method, url: u})
	if err != nil {
		return nil, shown, fmt.Errorf("%s %s: %w", method, shown, err)
	}
	if isSuccess(resp.StatusCode) {
		return resp, shown, nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBodyBytes))
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusForbidden, http.StatusNotFound, http.StatusGone:
		return nil, shown, &GoneError{URL: shown, StatusCode: resp.StatusCode}
	}
	return nil, shown, fmt.Errorf("%s %s: the file host answered HTTP %d %s", method, shown, resp.StatusCode, http.StatusText(resp.StatusCode))
}

// ParseDownloadURL validates a result URL with the rule of ParseBaseURL: https, or plain http
// to a loopback host only. A user name or password is refused, since it would travel as an
// Authorization header.
func ParseDownloadURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("image URL %q is not a valid URL: %w", raw, err)
	}
	if err := checkDownloadURL(u); err != nil {
		return nil, err
	}
	return u, nil
}

func checkDownloadURL(u *url.URL) error {
	shown := shownURL(u)
	switch {
	case u.Hostname() == "":
		return fmt.Errorf("image URL %q has no host", shown)
	case u.User != nil:
		return fmt.Errorf("image URL %q carries a user name or password; downloads send no credentials", shown)
	case u.Scheme == "https":
		return nil
	case u.Scheme == "http" && isLoopback(u.Hostname()):
		return nil
	case u.Scheme == "http":
		return fmt.Errorf("image URL %q uses plain http on the non-loopback host %q; use https (plain http is allowed only for localhost, 127.0.0.1 or ::1)", shown, u.Hostname())
	}
	return fmt.Errorf("image URL %q has scheme %q; only https (and http for loopback hosts) is allowed", shown, u.Scheme)
}

func checkDownloadRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return fmt.Errorf("stopped after %d redirects", maxRedirects)
	}
	req.Header.Del("Authorization")
	return checkDownloadURL(req.URL)
}

// shownURL is the URL without its query or fragment: a CDN may sign its URLs there.
func shownURL(u *url.URL) string {
	s := *u
	s.RawQuery, s.Fragment, s.RawFragment, s.User = "", "", "", nil
	return strings.TrimSuffix(s.String(), "?")
}
