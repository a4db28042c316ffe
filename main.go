package main

import (
	"context"
	"flag"
	"log"
	"os"
	"runtime/debug"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"

	"github.com/apimart/terraform-provider-apimart/internal/provider"
)

// version and commit are set by the release build's ldflags.
var (
	version = "dev"
	commit  = "none"
)

// pluginLogLevels are the variables that set the log levels of the plugin libraries and of the
// provider itself. Each defaults to TRACE, so every RPC formats log lines for each attribute,
// which Terraform then reads and throws away unless one of its TF_LOG variables is set. On a
// plan of 1,000 images that wasted work was half the wall time.
var pluginLogLevels = []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK", "TF_LOG_PROVIDER"}

// gcPercent is the collector's target unless the user sets GOGC. Every plan makes the framework
// allocate about half a megabyte per resource, while the provider's live heap stays at a few
// megabytes: with Go's default of 100 the collector took a quarter of the provider's CPU in a
// plan of 200 objects, and 3 % at 400, for about 3 MB more at the peak of ten large copies
// (BENCHMARKS.md, 8a and 8c).
const gcPercent = 400

func main() {
	var debugging bool
	flag.BoolVar(&debugging, "debug", false, "run the provider with support for debuggers such as delve")
	flag.Parse()

	if !debugging && !loggingRequested(os.Environ()) {
		silencePluginLogs()
	}
	collectLessOften()
	opts := providerserver.ServeOpts{Address: provider.Address, Debug: debugging}
	if err := providerserver.Serve(context.Background(), provider.New(version), opts); err != nil {
		log.Fatalf("terraform-provider-apimart %s (%s): %s", version, commit, err)
	}
}

// loggingRequested reports whether the user asked Terraform or the provider for logs. Terraform
// passes its environment on to the provider, so any TF_LOG variable it would act on is seen here.
func loggingRequested(environ []string) bool {
	for _, kv := range environ {
		if strings.HasPrefix(kv, "TF_LOG") {
			return true
		}
	}
	return false
}

// collectLessOften sets gcPercent, unless GOGC says otherwise.
func collectLessOften() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(gcPercent)
	}
}

func silencePluginLogs() {
	for _, name := range pluginLogLevels {
		if err := os.Setenv(name, "off"); err != nil {
			log.Printf("[WARN] cannot set %s: %s", name, err)
		}
	}
}
