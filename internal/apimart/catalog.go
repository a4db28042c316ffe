package apimart

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultModel is the model used when a configuration names none.
const DefaultModel = "imagen-4.0-apimart"

// Model is one row of the model catalog: what the API accepts for that model.
type Model struct {
	// ID is the exact value of the request's "model" field.
	ID string
	// Summary is a one-line description for docs.
	Summary string
	// Sizes lists the accepted aspect ratios, in documentation order.
	Sizes []string
	// DefaultSize is the ratio the API uses when none is sent.
	DefaultSize string
	// Counts lists every accepted value of n.
	Counts []int64
	// References says what the model accepts in image_urls.
	References ReferenceRules
	// MaxPromptLength is the documented prompt limit in characters; 0 means none is documented.
	MaxPromptLength int
	// SilentSizeFallback is set when the API replaces an unsupported size without an error,
	// which is why plan-time validation matters most for these models.
	SilentSizeFallback bool
}

// ReferenceRules say which reference images (image_urls) a model accepts.
type ReferenceRules struct {
	// Max is the most references one request may carry; 0 means the model is text-to-image only.
	Max int
	// Min is the fewest a request must carry: 1 for models that only edit, 0 otherwise.
	Min int
	// URLOnly is set when the model refuses data: URIs and takes public http(s) URLs only.
	URLOnly bool
}

// Accepted reports whether the model takes reference images at all.
func (r ReferenceRules) Accepted() bool { return r.Max > 0 }

// catalog is the single source of truth for plan-time validation, docs and examples.
// Adding a model is adding a row here.
var catalog = []Model{
	{
		ID:                 "imagen-4.0-apimart",
		Summary:            "Google Imagen 4, text-to-image only.",
		Sizes:              []string{"1:1", "4:3", "3:4", "16:9", "9:16"},
		DefaultSize:        "16:9",
		Counts:             []int64{1},
		SilentSizeFallback: true,
	},
	{
		ID:              "gpt-4o-image",
		Summary:         "OpenAI GPT-4o image generation; n is pre-charged.",
		Sizes:           []string{"1:1", "2:3", "3:2"},
		DefaultSize:     "1:1",
		Counts:          []int64{1, 2, 4},
		References:      ReferenceRules{Max: 5},
		MaxPromptLength: 1000,
	},
	{
		ID:              "qwen-image-2.0",
		Summary:         "Alibaba Qwen Image 2.0.",
		Sizes:           []string{"1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3"},
		DefaultSize:     "1:1",
		Counts:          []int64{1, 2, 3, 4, 5, 6},
		References:      ReferenceRules{Max: 3, URLOnly: true},
		MaxPromptLength: 800,
	},
	{
		ID:              "qwen-image-2.0-pro",
		Summary:         "Alibaba Qwen Image 2.0 Pro.",
		Sizes:           []string{"1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3"},
		DefaultSize:     "1:1",
		Counts:          []int64{1, 2, 3, 4, 5, 6},
		References:      ReferenceRules{Max: 3, URLOnly: true},
		MaxPromptLength: 800,
	},
	{
		ID:              "z-image-turbo",
		Summary:         "Z-Image Turbo, text-to-image.",
		Sizes:           []string{"1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3"},
		DefaultSize:     "1:1",
		Counts:          []int64{1},
		MaxPromptLength: 800,
	},
}

// Models returns a copy of the catalog in its documented order.
func Models() []Model {
	models := make([]Model, len(catalog))
	for i, m := range catalog {
		models[i] = m.clone()
	}
	return models
}

// clone copies the lists too, so that a caller cannot change the catalog through them.
func (m Model) clone() Model {
	m.Sizes = slices.Clone(m.Sizes)
	m.Counts = slices.Clone(m.Counts)
	return m
}

// ModelIDs returns the id of every catalog model, in catalog order.
func ModelIDs() []string {
	ids := make([]string, len(catalog))
	for i, m := range catalog {
		ids[i] = m.ID
	}
	return ids
}

// LookupModel finds a model by its exact id.
func LookupModel(id string) (Model, bool) {
	i := slices.IndexFunc(catalog, func(m Model) bool { return m.ID == id })
	if i < 0 {
		return Model{}, false
	}
	return catalog[i].clone(), true
}

// Field names used in Problem.Field; they match the request's JSON field names.
const (
	FieldModel     = "model"
	FieldPrompt    = "prompt"
	FieldSize      = "size"
	FieldN         = "n"
	FieldImageURLs = "image_urls"
)

// Problem is one field-level reason a request would be rejected or silently changed by the API.
type Problem struct {
	Field   string
	Summary string
	Detail  string
}

func (p Problem) Error() string { return p.Field + ": " + p.Detail }

// ValidateModel reports a problem when id is not in the catalog.
func ValidateModel(id string) []Problem {
	if _, ok := LookupModel(id); ok {
		return nil
	}
	return []Problem{{
		Field:   FieldModel,
		Summary: "Unsupported model",
		Detail:  fmt.Sprintf("The model %q is not supported. Allowed values: %s.", id, quoteList(ModelIDs())),
	}}
}

// ValidateSize reports a problem when size is not one of the model's ratios.
func (m Model) ValidateSize(size string) []Problem {
	if slices.Contains(m.Sizes, size) {
		return nil
	}
	detail := fmt.Sprintf("The size %q is not supported by model %q. Allowed values: %s.", size, m.ID, quoteList(m.Sizes))
	if m.SilentSizeFallback {
		detail += fmt.Sprintf(" The API would silently generate a %s image instead, and charge for it.", m.DefaultSize)
	}
	return []Problem{{Field: FieldSize, Summary: "Unsupported size", Detail: detail}}
}

// ValidateCount reports a problem when n is not an accepted image count.
func (m Model) ValidateCount(n int64) []Problem {
	if slices.Contains(m.Counts, n) {
		return nil
	}
	return []Problem{{
		Field:   FieldN,
		Summary: "Unsupported image count",
		Detail:  fmt.Sprintf("The image count n = %d is not supported by model %q. Allowed values: %s.", n, m.ID, m.CountsText()),
	}}
}

// ValidatePrompt reports a problem when the prompt is empty or longer than the documented limit.
func (m Model) ValidatePrompt(prompt string) []Problem {
	if strings.TrimSpace(prompt) == "" {
		return []Problem{{Field: FieldPrompt, Summary: "Empty prompt", Detail: "The prompt must contain at least one non-space character."}}
	}
	if m.MaxPromptLength == 0 {
		return nil
	}
	if n := utf8.RuneCountInString(prompt); n > m.MaxPromptLength {
		return []Problem{{
			Field:   FieldPrompt,
			Summary: "Prompt too long",
			Detail:  fmt.Sprintf("The prompt has %d characters; model %q accepts at most %d.", n, m.ID, m.MaxPromptLength),
		}}
	}
	return nil
}

// ValidateReferenceImages reports a problem when reference images are sent to a text-only model.
func (m Model) ValidateReferenceImages(urls []string) []Problem {
	if len(urls) == 0 || m.References.Accepted() {
		return nil
	}
	return []Problem{{
		Field:   FieldImageURLs,
		Summary: "Reference images not supported",
		Detail:  fmt.Sprintf("Model %q is text-to-image only and rejects reference images. Remove them or choose one of: %s.", m.ID, quoteList(modelsWithReferenceImages())),
	}}
}

// Validate checks a whole request against the catalog. An empty Size or a zero N means
// "the model's default" and is accepted.
func Validate(req GenerationRequest) []Problem {
	m, ok := LookupModel(req.Model)
	if !ok {
		return ValidateModel(req.Model)
	}
	var problems []Problem
	problems = append(problems, m.ValidatePrompt(req.Prompt)...)
	if req.Size != "" {
		problems = append(problems, m.ValidateSize(req.Size)...)
	}
	if req.N != 0 {
		problems = append(problems, m.ValidateCount(req.N)...)
	}
	return append(problems, m.ValidateReferenceImages(req.ImageURLs)...)
}

// CountsText renders the accepted image counts for messages and docs, e.g. "1" or "1, 2, 4".
func (m Model) CountsText() string {
	parts := make([]string, len(m.Counts))
	for i, c := range m.Counts {
		parts[i] = strconv.FormatInt(c, 10)
	}
	return strings.Join(parts, ", ")
}

func modelsWithReferenceImages() []string {
	var ids []string
	for _, m := range catalog {
		if m.References.Accepted() {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

func quoteList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(v)
	}
	return strings.Join(quoted, ", ")
}
