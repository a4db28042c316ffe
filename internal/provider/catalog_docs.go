package provider

import (
	"fmt"
	"strings"

	"github.com/apimart/terraform-provider-apimart/internal/apimart"
)

// The model table and the schema descriptions are rendered from the model catalog, so the
// generated docs can never list a model, size or value that validation does not accept.

const seeModelTable = "See the model table above."

func modelDescription() string {
	return fmt.Sprintf("The model that generates the image, by id or alias. Defaults to `%s`. "+
		"An id outside the catalog is a plan error unless the provider sets `allow_unlisted_models`. %s",
		apimart.DefaultModel, seeModelTable)
}

func sizeDescription() string {
	return "The aspect ratio of the image, such as `16:9`. Defaults to the model's default size, or null when the model " +
		"documents none and the API chooses. It is checked at plan time, because the API silently replaces some " +
		"unsupported sizes. Grok Imagine models get it as `aspect_ratio`. " + seeModelTable
}

func countDescription() string {
	return "How many images one task generates. Defaults to `1`. " + seeModelTable
}

func promptDescription() string {
	return "The text that describes the image. It must not be blank; documented length limits are in the model table."
}

// modelTable renders one row per catalog model for the resource's documentation.
func modelTable() string {
	var b strings.Builder
	b.WriteString("## Models\n\n" +
		"Every value below is checked at plan time, before anything is sent or charged. Defaults are in bold; " +
		"resolution tiers may be written in any case. Where the API reference's revisions disagree, the provider " +
		"accepts the union and the notes say so. Keys of `parameters` are not checked.\n\n" +
		"| Model (aliases) | Sizes | n | Resolution | References | Arguments | Notes |\n" +
		"|---|---|---|---|---|---|---|\n")
	for _, m := range apimart.Models() {
		cells := []string{modelCell(m), sizesCell(m), m.CountsText(), resolutionCell(m), referencesCell(m), argumentsCell(m), notesCell(m)}
		b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
	}
	return b.String()
}

func modelCell(m apimart.Model) string {
	cell := "`" + m.ID + "`"
	if len(m.Aliases) > 0 {
		cell += " (" + codeList(m.Aliases) + ")"
	}
	return cell
}

func sizesCell(m apimart.Model) string {
	cell := listWithDefault(m.Sizes, m.DefaultSize)
	if m.PixelSizes {
		cell += ", `WxH`"
	}
	return cell
}

func resolutionCell(m apimart.Model) string {
	if len(m.Resolutions) == 0 {
		return "none"
	}
	return listWithDefault(m.Resolutions, m.DefaultResolution)
}

func referencesCell(m apimart.Model) string {
	r := m.References
	if !r.Accepted() {
		return "none"
	}
	cell := fmt.Sprintf("up to %d", r.Max)
	if r.Min > 0 {
		cell = fmt.Sprintf("%d to %d", r.Min, r.Max)
	}
	if r.URLOnly {
		cell += ", URLs only"
	}
	if m.MaxReferencesAndImages > 0 {
		cell += fmt.Sprintf("; references + n ≤ %d", m.MaxReferencesAndImages)
	}
	return cell
}

func argumentsCell(m apimart.Model) string {
	var args []string
	for _, f := range m.Fields {
		arg := "`" + f.Name + "`"
		switch {
		case len(f.Values) > 0:
			arg += " (" + codeList(f.Values) + ")"
		case f.MaxLength > 0:
			arg += fmt.Sprintf(" (≤ %d characters)", f.MaxLength)
		}
		args = append(args, arg)
	}
	if len(args) == 0 {
		return "—"
	}
	return strings.Join(args, "; ")
}

func notesCell(m apimart.Model) string {
	var notes []string
	if m.MaxPromptLength > 0 {
		notes = append(notes, fmt.Sprintf("Prompt ≤ %d characters.", m.MaxPromptLength))
	}
	if len(m.SizesNeedingReferences) > 0 {
		notes = append(notes, codeList(m.SizesNeedingReferences)+" needs reference images.")
	}
	if m.SilentSizeFallback {
		notes = append(notes, fmt.Sprintf("The API silently turns another size into %s; the provider refuses it.", m.DefaultSize))
	}
	if m.SilentResolutionFallback {
		notes = append(notes, fmt.Sprintf("The API silently turns another tier into %s; the provider refuses it.", m.DefaultResolution))
	}
	if m.SilentCountClamp {
		notes = append(notes, fmt.Sprintf("The API silently clamps n to %s; the provider refuses other values.", m.CountsText()))
	}
	notes = append(notes, m.Notes...)
	return strings.ReplaceAll(strings.Join(notes, " "), "|", `\|`)
}

func listWithDefault(values []string, def string) string {
	cells := make([]string, len(values))
	for i, v := range values {
		cells[i] = "`" + v + "`"
		if v == def {
			cells[i] = "**" + cells[i] + "**"
		}
	}
	return strings.Join(cells, ", ")
}

func codeList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "`" + v + "`"
	}
	return strings.Join(quoted, ", ")
}
