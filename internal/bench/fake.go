package bench

import (
	"fmt"

	"github.com/apimart/terraform-provider-apimart/internal/fakeapimart"
)

// Fake is the fake API served on a loopback port inside the harness process, so that the
// harness reads its task records and read times directly. Close stops it.
type Fake struct {
	*fakeapimart.Server
	URL   string
	Close func()
}

// StartFake serves a new fake API.
func StartFake(opts ...fakeapimart.Option) *Fake {
	s, url, stop := fakeapimart.Serve(opts...)
	return &Fake{Server: s, URL: url, Close: stop}
}

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
