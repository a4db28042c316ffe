package main

import (
	"context"
	"flag"
	"log"
	"os"
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

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers such as delve")
	flag.Parse()

	if !debug && !loggingRequested(os.Environ()) {
		silencePluginLogs()
	}
	opts := providerserver.ServeOpts{Address: provider.Address, Debug: debug}
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

func silencePluginLogs() {
	for _, name := range pluginLogLevels {
		if err := os.Setenv(name, "off"); err != nil {
			log.Printf("[WARN] cannot set %s: %s", name, err)
		}
	}
}
