package apimart

import (
	"slices"
	"strings"
)

// DefaultModel is the model used when a configuration names none.
const DefaultModel = "imagen-4.0-apimart"

// Model is one row of the model catalog: what the API accepts for that model and what it
// silently changes. The catalog drives plan-time validation, the docs, the examples and the fake.
type Model struct {
	// ID is the model's main id, a value of the request's "model" field.
	ID string
	// Aliases are other ids the API serves with the same limits; they are sent as written.
	Aliases []string
	// Summary is a one-line description for docs.
	Summary string
	// Sizes lists the accepted aspect ratios (and words such as "auto"), in documentation order.
	Sizes []string
	// DefaultSize is the ratio the API uses when none is sent; empty when the reference names
	// none, in which case the provider sends no size and the API chooses.
	DefaultSize string
	// SizesNeedingReferences are sizes that only make sense with reference images, such as
	// "auto" on Seedream 4.5, which takes the ratio of the input.
	SizesNeedingReferences []string
	// PixelSizes is set when raw "WxH" pixel sizes such as "1881x836" are accepted too.
	PixelSizes bool
	// SizeField is the JSON field that carries the size: "size" unless set.
	SizeField string
	// Counts lists every accepted value of n.
	Counts []int64
	// Resolutions lists the resolution tiers in the model's own spelling; empty when the model
	// has no tiers.
	Resolutions []string
	// DefaultResolution is the tier the API uses when none is sent; empty when none is documented.
	DefaultResolution string
	// ResolutionsIgnoreCase is set when the API itself reads the tier in any case.
	ResolutionsIgnoreCase bool
	// References says what the model accepts in image_urls.
	References ReferenceRules
	// MaxReferencesAndImages, when > 0, bounds the reference images plus the images generated.
	MaxReferencesAndImages int
	// MaxPromptLength is the documented prompt limit in characters; 0 means none is documented.
	MaxPromptLength int
	// Fields are the optional typed request fields the model takes.
	Fields []OptionalField
	// SilentSizeFallback is set when the API replaces an unsupported size by DefaultSize without
	// an error, which is why plan-time validation matters most for these models.
	SilentSizeFallback bool
	// SilentResolutionFallback is set when the API replaces an unsupported tier by
	// DefaultResolution without an error.
	SilentResolutionFallback bool
	// SilentCountClamp is set when the API clamps n into the range of Counts without an error.
	SilentCountClamp bool
	// Dimensions are the pixel sizes the reference gives for a size and a tier.
	Dimensions []Dimension
	// Notes say where the reference's revisions disagree and what this catalog accepts.
	Notes []string
}

// OptionalField is an optional typed request field, such as quality, that a model takes.
type OptionalField struct {
	// Name is the JSON field name, which is also the argument's name in Terraform.
	Name string
	// Values lists the documented values; empty means any string is passed on.
	Values []string
	// MaxLength is the documented limit in characters; 0 means none.
	MaxLength int
}

// Dimension is the pixel size of an image of a given size and resolution tier.
type Dimension struct {
	Size, Resolution string
	Width, Height    int
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

// Field names used in Problem.Field and OptionalField.Name; they match the request's JSON field
// names, and the apimart_image arguments of the same names.
const (
	FieldModel          = "model"
	FieldPrompt         = "prompt"
	FieldSize           = "size"
	FieldN              = "n"
	FieldImageURLs      = "image_urls"
	FieldResolution     = "resolution"
	FieldNegativePrompt = "negative_prompt"
	FieldQuality        = "quality"
	FieldBackground     = "background"
	FieldOutputFormat   = "output_format"
	FieldAspectRatio    = "aspect_ratio"
	FieldParameters     = "parameters"
)

// Argument is a typed optional request field, such as quality. One row of Arguments makes the
// apimart_image argument of the same name, its docs, its validation and its place in the request
// body; a model takes it when its row lists an OptionalField of that name.
type Argument struct {
	// Name is the JSON field name, which is also the argument's name in Terraform.
	Name string
	// Description says what the field does; the docs add the models that take it.
	Description string
}

// Arguments are the typed optional fields, in the order the docs show them.
var Arguments = []Argument{
	{Name: FieldNegativePrompt, Description: "What the image should not show."},
	{Name: FieldQuality, Description: "The rendering quality, which the API bills by."},
	{Name: FieldBackground, Description: "The background, for example `transparent`."},
	{Name: FieldOutputFormat, Description: "The file format of the result."},
}

// ReservedParameterKeys are the request fields that free-form parameters may not set, because
// the provider sets them itself or a typed argument covers them.
func ReservedParameterKeys() []string {
	keys := []string{FieldModel, FieldPrompt, FieldN, FieldSize, FieldImageURLs, FieldResolution, FieldAspectRatio}
	for _, a := range Arguments {
		keys = append(keys, a.Name)
	}
	return keys
}

// Shared lists of the catalog rows. Models returns copies, so rows may share them.
var (
	fiveRatios       = []string{"1:1", "4:3", "3:4", "16:9", "9:16"}
	sevenRatios      = []string{"1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3"}
	gptImage2Ratios  = []string{"1:1", "16:9", "9:16", "4:3", "3:4", "3:2", "2:3", "5:4", "4:5", "2:1", "1:2", "21:9", "9:21"}
	geminiRatios     = []string{"auto", "1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9"}
	flashRatios      = []string{"auto", "1:1", "3:2", "2:3", "4:3", "3:4", "16:9", "9:16", "5:4", "4:5", "21:9"}
	upToFour         = []int64{1, 2, 3, 4}
	upToFifteen      = []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	onlyOne          = []int64{1}
	gptImageQuality  = OptionalField{Name: FieldQuality, Values: []string{"auto", "low", "medium", "high"}}
	gptImageBackdrop = OptionalField{Name: FieldBackground, Values: []string{"auto", "opaque", "transparent"}}
	gptImageFormat   = OptionalField{Name: FieldOutputFormat}
	qwenNegative     = OptionalField{Name: FieldNegativePrompt, MaxLength: 500}
	noCountDocs      = "The reference documents no n for this model; the provider allows 1."
)

// catalog is the single source of truth for plan-time validation, docs, examples and the fake.
// Adding a model is adding a row here. Values come from the API reference (§4).
var catalog = []Model{
	{
		ID:                 "imagen-4.0-apimart",
		Summary:            "Google Imagen 4, text-to-image only.",
		Sizes:              fiveRatios,
		DefaultSize:        "16:9",
		Counts:             onlyOne,
		SilentSizeFallback: true,
		Notes:              []string{"One revision lists only 16:9 and 9:16; the five-ratio list is authoritative."},
	},
	{
		ID:              "gpt-4o-image",
		Summary:         "OpenAI GPT-4o image generation; n is pre-charged.",
		Sizes:           []string{"1:1", "2:3", "3:2"},
		DefaultSize:     "1:1",
		Counts:          []int64{1, 2, 4},
		References:      ReferenceRules{Max: 5},
		MaxPromptLength: 1000,
		Notes:           []string{"References: at most 10 MB each. `mask_url` goes through `parameters`."},
	},
	gptImage1("gpt-image-1-official", "gpt-image-1", "OpenAI GPT Image 1."),
	gptImage1("gpt-image-1.5-official", "gpt-image-1.5", "OpenAI GPT Image 1.5."),
	{
		ID:          "gpt-image-2",
		Summary:     "OpenAI GPT Image 2; also takes raw `WxH` sizes.",
		Sizes:       append(slices.Clone(gptImage2Ratios), "auto", "3:1", "1:3"),
		DefaultSize: "1:1",
		PixelSizes:  true,
		Counts:      onlyOne,
		Resolutions: []string{"1k", "2k", "4k"},
		References:  ReferenceRules{Max: 16},
		Dimensions: []Dimension{
			{Size: "1:1", Resolution: "1k", Width: 1024, Height: 1024},
			{Size: "1:1", Resolution: "2k", Width: 2048, Height: 2048},
			{Size: "1:1", Resolution: "4k", Width: 2880, Height: 2880},
		},
		Notes: []string{
			"Revisions disagree: the newer adds `auto`, 3:1, 1:3, raw `WxH` sizes, resolution tiers and up to 16 references; all are accepted.",
			"The API ignores `quality`. The prompt is moderated before submission; a refused prompt is not charged.",
		},
	},
	{
		ID:          "gpt-image-2-official",
		Summary:     "OpenAI GPT Image 2 through the official channel.",
		Sizes:       append(slices.Clone(gptImage2Ratios), "auto"),
		DefaultSize: "1:1",
		Counts:      onlyOne,
		Resolutions: []string{"1k", "2k", "4k"},
		References:  ReferenceRules{Max: 16},
		Fields:      []OptionalField{{Name: FieldQuality}},
		Notes: []string{
			"`auto` comes from a mirror of the page; tiers other than the example's `2k` are presumed, and `quality` values are not documented.",
		},
	},
	gemini(Model{
		ID:                "gemini-2.5-flash-image-preview",
		Summary:           "Google Gemini 2.5 Flash Image (Nano Banana).",
		Sizes:             geminiRatios,
		Resolutions:       []string{"1K"},
		DefaultResolution: "1K",
		MaxPromptLength:   1000,
		Notes:             []string{"The reference gives no limit of references; the provider allows 14, as on the newer Gemini models."},
	}),
	gemini(Model{
		ID:                "gemini-3-pro-image-preview",
		Summary:           "Google Gemini 3 Pro Image.",
		Sizes:             geminiRatios,
		Resolutions:       []string{"1K", "2K", "4K"},
		DefaultResolution: "1K",
		Notes: []string{
			"Revisions disagree: the older takes n = 1 only, no `auto` and at most 5 references (with `mask_url`); the union is accepted.",
		},
	}),
	gemini(Model{
		ID:                "gemini-3.1-flash-image-preview",
		Summary:           "Google Gemini 3.1 Flash Image; priced per tier.",
		Sizes:             append(slices.Clone(flashRatios), "1:4", "4:1", "1:8", "8:1"),
		Resolutions:       []string{"0.5K", "1K", "2K", "4K"},
		DefaultResolution: "1K",
		Notes:             []string{"The `-official` id and `auto` appear only in the newer revision."},
	}),
	{
		ID:                       "gemini-3.1-flash-lite-image",
		Aliases:                  []string{"gemini-3.1-flash-lite-image-ext"},
		Summary:                  "Google Gemini 3.1 Flash Lite Image; billed by tokens.",
		Sizes:                    flashRatios,
		Counts:                   upToFour,
		Resolutions:              []string{"1K"},
		DefaultResolution:        "1K",
		SilentResolutionFallback: true,
		References:               ReferenceRules{Max: 14},
		Notes:                    []string{"n > 1 makes parallel upstream calls, each billed. `official_fallback` is not accepted."},
	},
	{
		ID:          "seedream-4-0",
		Aliases:     []string{"doubao-seedance-4-0"},
		Summary:     "ByteDance Seedream 4.0.",
		Sizes:       []string{"auto", "1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "21:9", "9:21"},
		Counts:      onlyOne,
		Resolutions: []string{"1K", "2K", "4K"},
		Notes: []string{
			"Sizes come from a third-party client; the documentation's example spells the id `doubao-seedance-4-0`. " + noCountDocs,
			"Reference images are not documented for this model.",
		},
	},
	{
		ID:                     "doubao-seedream-4-5",
		Aliases:                []string{"doubao-seedance-4-5", "doubao-seedream-4.5", "Doubao-Seedream-4.5", "seedream-4-5"},
		Summary:                "ByteDance Seedream 4.5.",
		Sizes:                  []string{"1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9", "9:21", "auto"},
		DefaultSize:            "1:1",
		SizesNeedingReferences: []string{"auto"},
		Counts:                 upToFifteen,
		Resolutions:            []string{"2K", "4K"},
		DefaultResolution:      "2K",
		References:             ReferenceRules{Max: 14},
		MaxReferencesAndImages: 15,
		Notes:                  []string{"No 1K tier. An older revision took `2k`/`4k` in `size`; use `resolution`."},
	},
	{
		ID:                     "doubao-seedream-5-0-lite",
		Aliases:                []string{"seedream-5-0-lite"},
		Summary:                "ByteDance Seedream 5.0 Lite; n > 1 switches on sequential mode.",
		Sizes:                  []string{"1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9", "auto"},
		DefaultSize:            "1:1",
		SizesNeedingReferences: []string{"auto"},
		Counts:                 upToFifteen,
		Resolutions:            []string{"2K", "3K", "4K"},
		DefaultResolution:      "2K",
		References:             ReferenceRules{Max: 14},
		MaxReferencesAndImages: 15,
		Fields:                 []OptionalField{{Name: FieldOutputFormat, Values: []string{"jpeg", "png"}}},
		Notes: []string{
			"Revisions disagree: the documentation has 2K and 3K, a client tested 4K too; all three are accepted. No 9:21.",
			"The limits of n and references are those of Seedream 4.5.",
		},
	},
	{
		ID:          "seedream-5-0-pro",
		Summary:     "ByteDance Seedream 5.0 Pro.",
		Sizes:       []string{"auto", "1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "21:9"},
		Counts:      onlyOne,
		Resolutions: []string{"1K", "1.5K", "2K"},
		Notes: []string{
			"Known from a third-party client only. 1.5K costs as much as 1K; other ratios and 3K/4K are refused with a 400. " + noCountDocs,
		},
	},
	qwenImage("qwen-image-2.0", "Alibaba Qwen Image 2.0."),
	qwenImage("qwen-image-2.0-pro", "Alibaba Qwen Image 2.0 Pro."),
	qwenImage("qwen-image-3.0", "Alibaba Qwen Image 3.0; limits as 2.0."),
	qwenImage("qwen-image-3.0-pro", "Alibaba Qwen Image 3.0 Pro; limits as 2.0."),
	{
		ID:                "z-image-turbo",
		Summary:           "Z-Image Turbo, text-to-image.",
		Sizes:             sevenRatios,
		DefaultSize:       "1:1",
		Counts:            onlyOne,
		Resolutions:       []string{"1K", "2K"},
		DefaultResolution: "1K",
		MaxPromptLength:   800,
		Notes:             []string{"`prompt_extend` (costs more) goes through `parameters`. References make the task fail upstream."},
	},
	fluxKontext("flux-kontext-pro", "Black Forest Labs FLUX.1 Kontext Pro."),
	fluxKontext("flux-kontext-max", "Black Forest Labs FLUX.1 Kontext Max."),
	flux2("flux-2-flex", "Black Forest Labs FLUX.2 Flex."),
	flux2("flux-2-pro", "Black Forest Labs FLUX.2 Pro."),
	flux2("flux-2-max", "Black Forest Labs FLUX.2 Max (known from a third-party client)."),
	wan27("wan2.7-image-pro", "Alibaba Wan 2.7 Image Pro.", []string{"1K", "2K", "4K"},
		"4K is for text-to-image only; edits and sequential mode go up to 2K."),
	wan27("wan2.7-image", "Alibaba Wan 2.7 Image.", []string{"1K", "2K"}, "Up to 2K."),
	{
		ID:      "grok-imagine-1.5-apimart",
		Summary: "xAI Grok Imagine 1.5 (known from a third-party client).",
		Sizes:   []string{"1:1", "3:2", "2:3", "16:9", "9:16"},
		Counts:  onlyOne,
		Notes:   []string{noCountDocs},
	},
	grokImagine("grok-imagine-image", "xAI Grok Imagine image."),
	grokImagine("grok-imagine-image-quality", "xAI Grok Imagine image, quality mode."),
}

func gptImage1(id, alias, summary string) Model {
	return Model{
		ID:               id,
		Aliases:          []string{alias},
		Summary:          summary + " Billed by size and quality.",
		Sizes:            []string{"1:1", "3:2", "2:3", "auto"},
		DefaultSize:      "1:1",
		Counts:           upToFour,
		SilentCountClamp: true,
		References:       ReferenceRules{Max: 15},
		Fields:           []OptionalField{gptImageQuality, gptImageBackdrop, gptImageFormat},
		Notes: []string{
			"`auto` size comes from a third-party client. `moderation`, `output_compression` and `mask_url` go through `parameters`; `transparent` wants a PNG.",
		},
	}
}

// gemini completes a Gemini row: an `-official` alias, n 1 to 4, URL or data URI references.
func gemini(m Model) Model {
	m.Aliases = []string{m.ID + "-official"}
	m.Counts = upToFour
	m.References = ReferenceRules{Max: 14}
	m.Notes = append(m.Notes, "`official_fallback` (use the official channel) goes through `parameters`.")
	return m
}

func qwenImage(id, summary string) Model {
	return Model{
		ID:                id,
		Summary:           summary,
		Sizes:             sevenRatios,
		DefaultSize:       "1:1",
		Counts:            []int64{1, 2, 3, 4, 5, 6},
		Resolutions:       []string{"1K", "2K"},
		DefaultResolution: "1K",
		References:        ReferenceRules{Max: 3, URLOnly: true},
		MaxPromptLength:   800,
		Fields:            []OptionalField{qwenNegative},
		Dimensions: []Dimension{
			{Size: "1:1", Resolution: "1K", Width: 1024, Height: 1024},
			{Size: "1:1", Resolution: "2K", Width: 2048, Height: 2048},
			{Size: "16:9", Resolution: "1K", Width: 1280, Height: 720},
			{Size: "16:9", Resolution: "2K", Width: 2048, Height: 1152},
		},
		Notes: []string{"References must be public URLs. The reference gives no count; the provider allows 3."},
	}
}

func fluxKontext(id, summary string) Model {
	return Model{
		ID:                     id,
		Summary:                summary + " Edits one reference image, or generates from text.",
		Sizes:                  []string{"match_input_image", "auto", "1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9", "9:21"},
		SizesNeedingReferences: []string{"match_input_image", "auto"},
		Counts:                 onlyOne,
		References:             ReferenceRules{Max: 1, URLOnly: true},
		Notes: []string{
			"Left out, the size is 16:9 without a reference and `match_input_image` with one. Ratios beyond 1:1, 4:3 and 3:4 come from a third-party client. " + noCountDocs,
		},
	}
}

func flux2(id, summary string) Model {
	return Model{
		ID:                    id,
		Summary:               summary,
		Sizes:                 []string{"1:1", "4:3", "3:4", "16:9", "9:16", "3:2", "2:3", "21:9", "9:21", "auto"},
		DefaultSize:           "1:1",
		Counts:                onlyOne,
		Resolutions:           []string{"1K", "2K", "4K", "1MP", "2MP", "3MP", "4MP"},
		DefaultResolution:     "1K",
		ResolutionsIgnoreCase: true,
		Notes: []string{
			"Revisions disagree: the English page has 1K (about 1080p) and 2K; the Chinese one has 1MP to 4MP, with 1K = 2MP, 2K = 3MP and 4K = 4MP. All are accepted; an unknown tier fails the task. " + noCountDocs,
		},
	}
}

func wan27(id, summary string, tiers []string, tierNote string) Model {
	return Model{
		ID:              id,
		Summary:         summary + " References switch to edit mode.",
		Sizes:           []string{"1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16"},
		Counts:          upToFour,
		Resolutions:     tiers,
		References:      ReferenceRules{Max: 9},
		MaxPromptLength: 5000,
		Notes: []string{
			tierNote + " In edit mode the ratio follows the last reference. Sequential mode allows more images; its fields go through `parameters`. Billed per successful image.",
		},
	}
}

// grokImagine is a Grok model that reads the ratio from aspect_ratio instead of size.
func grokImagine(id, summary string) Model {
	return Model{
		ID:                id,
		Summary:           summary,
		Sizes:             []string{"auto", "1:1", "4:3", "3:4", "3:2", "2:3", "16:9", "9:16", "9:19.5", "20:9", "2:1"},
		SizeField:         FieldAspectRatio,
		Counts:            onlyOne,
		Resolutions:       []string{"1k", "2k"},
		DefaultResolution: "1k",
		Notes: []string{
			"Known from a third-party client, which lists more ratios than these. The provider sends `size` as `aspect_ratio`. " + noCountDocs,
		},
	}
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
	m.Aliases = slices.Clone(m.Aliases)
	m.Sizes = slices.Clone(m.Sizes)
	m.SizesNeedingReferences = slices.Clone(m.SizesNeedingReferences)
	m.Counts = slices.Clone(m.Counts)
	m.Resolutions = slices.Clone(m.Resolutions)
	m.Fields = slices.Clone(m.Fields)
	for i := range m.Fields {
		m.Fields[i].Values = slices.Clone(m.Fields[i].Values)
	}
	m.Dimensions = slices.Clone(m.Dimensions)
	m.Notes = slices.Clone(m.Notes)
	return m
}

// IDs returns the model's id followed by its aliases.
func (m Model) IDs() []string { return append([]string{m.ID}, m.Aliases...) }

// ModelIDs returns the main id of every catalog model, in catalog order.
func ModelIDs() []string {
	ids := make([]string, len(catalog))
	for i, m := range catalog {
		ids[i] = m.ID
	}
	return ids
}

// allIDs returns every id and alias, in catalog order.
func allIDs() []string {
	var ids []string
	for _, m := range catalog {
		ids = append(ids, m.IDs()...)
	}
	return ids
}

// LookupModel finds a model by its exact id or one of its aliases.
func LookupModel(id string) (Model, bool) {
	i := slices.IndexFunc(catalog, func(m Model) bool { return m.ID == id || slices.Contains(m.Aliases, id) })
	if i < 0 {
		return Model{}, false
	}
	return catalog[i].clone(), true
}

// Field returns the optional field of that name, when the model takes it.
func (m Model) Field(name string) (OptionalField, bool) {
	i := slices.IndexFunc(m.Fields, func(f OptionalField) bool { return f.Name == name })
	if i < 0 {
		return OptionalField{}, false
	}
	return m.Fields[i], true
}

// SizeFieldName is the JSON field that carries the size for this model.
func (m Model) SizeFieldName() string {
	if m.SizeField != "" {
		return m.SizeField
	}
	return FieldSize
}

// Resolution returns the model's own spelling of a tier written in any case.
func (m Model) Resolution(tier string) (string, bool) {
	i := slices.IndexFunc(m.Resolutions, func(r string) bool { return strings.EqualFold(r, tier) })
	if i < 0 {
		return "", false
	}
	return m.Resolutions[i], true
}

// Dimension returns the pixel size the reference gives for a size and tier, if it gives one.
func (m Model) Dimension(size, resolution string) (Dimension, bool) {
	i := slices.IndexFunc(m.Dimensions, func(d Dimension) bool {
		return d.Size == size && strings.EqualFold(d.Resolution, resolution)
	})
	if i < 0 {
		return Dimension{}, false
	}
	return m.Dimensions[i], true
}

// modelsWhere returns the main ids of the models for which keep is true.
func modelsWhere(keep func(Model) bool) []string {
	var ids []string
	for _, m := range catalog {
		if keep(m) {
			ids = append(ids, m.ID)
		}
	}
	return ids
}

func modelsWithReferenceImages() []string {
	return modelsWhere(func(m Model) bool { return m.References.Accepted() })
}

// ModelsTaking returns the ids of the models that take a typed field: an optional field or
// resolution.
func ModelsTaking(field string) []string {
	if field == FieldResolution {
		return modelsWhere(func(m Model) bool { return len(m.Resolutions) > 0 })
	}
	return modelsWhere(func(m Model) bool { _, ok := m.Field(field); return ok })
}
