package provider

import (
	"fmt"
	"strings"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// The schema descriptions below are rendered from the model catalog, so the generated docs can
// never list a model, size or count that validation does not accept.

func modelDescription() string {
	return fmt.Sprintf("The model that generates the image. Defaults to `%s`. One of: %s. "+
		"Each model's sizes and image counts are listed under `size` and `n`.",
		apimart.DefaultModel, codeList(apimart.ModelIDs()))
}

func sizeDescription() string {
	var b strings.Builder
	b.WriteString("The aspect ratio of the image. Defaults to the model's default size. It is checked at plan time, " +
		"because the API silently replaces some unsupported sizes. Allowed values per model: ")
	for i, m := range apimart.Models() {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "`%s`: %s (default `%s`)", m.ID, codeList(m.Sizes), m.DefaultSize)
	}
	b.WriteString(".")
	return b.String()
}

func countDescription() string {
	var b strings.Builder
	b.WriteString("How many images one task generates. Defaults to `1`. Allowed values per model: ")
	for i, m := range apimart.Models() {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "`%s`: %s", m.ID, m.CountsText())
	}
	b.WriteString(".")
	return b.String()
}

func promptDescription() string {
	var limits []string
	for _, m := range apimart.Models() {
		if m.MaxPromptLength > 0 {
			limits = append(limits, fmt.Sprintf("`%s`: %d", m.ID, m.MaxPromptLength))
		}
	}
	return "The text that describes the image. It must not be blank. Documented length limits, in characters: " +
		strings.Join(limits, "; ") + "."
}

func codeList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	return strings.Join(quoted, ", ")
}
