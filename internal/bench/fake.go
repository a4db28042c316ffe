package bench

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// Fake is the fake API served on a loopback port inside the harness process, so that the
// harness reads its task records and read times directly.
type Fake struct {
	*fakeapimart.Server
	URL string
	srv *http.Server
}

// StartFake serves a new fake API; Close stops it.
func StartFake(opts ...fakeapimart.Option) (*Fake, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the fake API: %w", err)
	}
	f := &Fake{Server: fakeapimart.New(opts...), URL: "http://" + ln.Addr().String()}
	f.srv = &http.Server{Handler: f.Server, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := f.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			panic(fmt.Sprintf("the fake API stopped serving: %v", err))
		}
	}()
	return f, nil
}

// Close stops serving and drops open connections.
func (f *Fake) Close() { _ = f.srv.Close() }

// ProviderBlock is an apimart provider block aimed at this fake. alias may be empty; extra
// lines (such as "rate_limit = 20") are added as they are.
func (f *Fake) ProviderBlock(alias string, extra ...string) string {
	block := "provider \"apimart\" {\n"
	if alias != "" {
		block += fmt.Sprintf("  alias    = %q\n", alias)
	}
	block += fmt.Sprintf("  base_url = %q\n  api_key  = %q\n", f.URL, fakeapimart.DefaultKey)
	for _, line := range extra {
		block += "  " + line + "\n"
	}
	return block + "}\n"
}
