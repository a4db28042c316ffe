package apimart

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// referenceRow is one model as the API reference (§4) gives it, typed by hand from the
// reference and never read from the catalog, so that a wrong row in the catalog, which the fake
// server reads too, fails here. Lists are written as the reference writes them, space-separated.
// Where the reference gives nothing ("?"), the row holds the provider's documented choice.
type referenceRow struct {
	id, aliases       string
	sizes, size       string
	counts            string
	tiers, tier       string
	maxRefs, minRefs  int
	urlOnly           bool
	promptLimit       int
	sizesNeedingRefs  string
	aspectRatioField  bool
	silent            string // "size", "resolution" or "n"
	pixelSizesAllowed bool
}

var referenceCatalog = []referenceRow{
	{id: "imagen-4.0-apimart", sizes: "1:1 4:3 3:4 16:9 9:16", size: "16:9", counts: "1", silent: "size"},
	{id: "gpt-4o-image", sizes: "1:1 2:3 3:2", size: "1:1", counts: "1 2 4", maxRefs: 5, promptLimit: 1000},
	{id: "gpt-image-1-official", aliases: "gpt-image-1", sizes: "1:1 3:2 2:3 auto", size: "1:1", counts: "1 2 3 4", maxRefs: 15, silent: "n"},
	{id: "gpt-image-1.5-official", aliases: "gpt-image-1.5", sizes: "1:1 3:2 2:3 auto", size: "1:1", counts: "1 2 3 4", maxRefs: 15, silent: "n"},
	{id: "gpt-image-2", sizes: "1:1 16:9 9:16 4:3 3:4 3:2 2:3 5:4 4:5 2:1 1:2 21:9 9:21 auto 3:1 1:3", size: "1:1",
		counts: "1", tiers: "1k 2k 4k", maxRefs: 16, pixelSizesAllowed: true},
	{id: "gpt-image-2-official", sizes: "1:1 16:9 9:16 4:3 3:4 3:2 2:3 5:4 4:5 2:1 1:2 21:9 9:21 auto", size: "1:1",
		counts: "1", tiers: "1k 2k 4k", maxRefs: 16},
	{id: "gemini-2.5-flash-image-preview", aliases: "gemini-2.5-flash-image-preview-official",
		sizes: "auto 1:1 2:3 3:2 3:4 4:3 4:5 5:4 9:16 16:9 21:9", counts: "1 2 3 4", tiers: "1K", tier: "1K", maxRefs: 14, promptLimit: 1000},
	{id: "gemini-3-pro-image-preview", aliases: "gemini-3-pro-image-preview-official",
		sizes: "auto 1:1 2:3 3:2 3:4 4:3 4:5 5:4 9:16 16:9 21:9", counts: "1 2 3 4", tiers: "1K 2K 4K", tier: "1K", maxRefs: 14},
	{id: "gemini-3.1-flash-image-preview", aliases: "gemini-3.1-flash-image-preview-official",
		sizes: "auto 1:1 3:2 2:3 4:3 3:4 16:9 9:16 5:4 4:5 21:9 1:4 4:1 1:8 8:1", counts: "1 2 3 4", tiers: "0.5K 1K 2K 4K", tier: "1K", maxRefs: 14},
	{id: "gemini-3.1-flash-lite-image", aliases: "gemini-3.1-flash-lite-image-ext",
		sizes: "auto 1:1 3:2 2:3 4:3 3:4 16:9 9:16 5:4 4:5 21:9", counts: "1 2 3 4", tiers: "1K", tier: "1K", maxRefs: 14, silent: "resolution"},
	{id: "seedream-4-0", aliases: "doubao-seedance-4-0", sizes: "auto 1:1 4:3 3:4 3:2 2:3 16:9 9:16 21:9 9:21", counts: "1", tiers: "1K 2K 4K"},
	{id: "doubao-seedream-4-5", aliases: "doubao-seedance-4-5 doubao-seedream-4.5 Doubao-Seedream-4.5 seedream-4-5",
		sizes: "1:1 4:3 3:4 16:9 9:16 3:2 2:3 21:9 9:21 auto", size: "1:1", counts: "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15",
		tiers: "2K 4K", tier: "2K", maxRefs: 14, sizesNeedingRefs: "auto"},
	{id: "doubao-seedream-5-0-lite", aliases: "seedream-5-0-lite", sizes: "1:1 4:3 3:4 16:9 9:16 3:2 2:3 21:9 auto", size: "1:1",
		counts: "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", tiers: "2K 3K 4K", tier: "2K", maxRefs: 14, sizesNeedingRefs: "auto"},
	{id: "seedream-5-0-pro", sizes: "auto 1:1 4:3 3:4 3:2 2:3 16:9 9:16 21:9", counts: "1", tiers: "1K 1.5K 2K"},
	{id: "qwen-image-2.0", sizes: "1:1 4:3 3:4 16:9 9:16 3:2 2:3", size: "1:1", counts: "1 2 3 4 5 6", tiers: "1K 2K", tier: "1K", maxRefs: 3, urlOnly: true, promptLimit: 800},
	{id: "qwen-image-2.0-pro", sizes: "1:1 4:3 3:4 16:9 9:16 3:2 2:3", size: "1:1", counts: "1 2 3 4 5 6", tiers: "1K 2K", tier: "1K", maxRefs: 3, urlOnly: true, promptLimit: 800},
	{id: "qwen-image-3.0", sizes: "1:1 4:3 3:4 16:9 9:16 3:2 2:3", size: "1:1", counts: "1 2 3 4 5 6", tiers: "1K 2K", tier: "1K", maxRefs: 3, urlOnly: true, promptLimit: 800},
	{id: "qwen-image-3.0-pro", sizes: "1:1 4:3 3:4 16:9 9:16 3:2 2:3", size: "1:1", counts: "1 2 3 4 5 6", tiers: "1K 2K", tier: "1K", maxRefs: 3, urlOnly: true, promptLimit: 800},
	{id: "z-image-turbo", sizes: "1:1 4:3 3:4 16:9 9:16 3:2 2:3", size: "1:1", counts: "1", tiers: "1K 2K", tier: "1K", promptLimit: 800},
	{id: "flux-kontext-pro", sizes: "match_input_image auto 1:1 4:3 3:4 16:9 9:16 3:2 2:3 21:9 9:21", counts: "1", maxRefs: 1, urlOnly: true,
		sizesNeedingRefs: "match_input_image auto"},
	{id: "flux-kontext-max", sizes: "match_input_image auto 1:1 4:3 3:4 16:9 9:16 3:2 2:3 21:9 9:21", counts: "1", maxRefs: 1, urlOnly: true,
		sizesNeedingRefs: "match_input_image auto"},
	{id: "flux-2-flex", sizes: "1:1 4:3 3:4 16:9 9:16 3:2 2:3 21:9 9:21 auto", size: "1:1", counts: "1", tiers: "1K 2K 4K 1MP 2MP 3MP 4MP", tier: "1K"},
	{id: "flux-2-pro", sizes: "1:1 4:3 3:4 16:9 9:16 3:2 2:3 21:9 9:21 auto", size: "1:1", counts: "1", tiers: "1K 2K 4K 1MP 2MP 3MP 4MP", tier: "1K"},
	{id: "flux-2-max", sizes: "1:1 4:3 3:4 16:9 9:16 3:2 2:3 21:9 9:21 auto", size: "1:1", counts: "1", tiers: "1K 2K 4K 1MP 2MP 3MP 4MP", tier: "1K"},
	{id: "wan2.7-image-pro", sizes: "1:1 4:3 3:4 3:2 2:3 16:9 9:16", counts: "1 2 3 4", tiers: "1K 2K 4K", maxRefs: 9, promptLimit: 5000},
	{id: "wan2.7-image", sizes: "1:1 4:3 3:4 3:2 2:3 16:9 9:16", counts: "1 2 3 4", tiers: "1K 2K", maxRefs: 9, promptLimit: 5000},
	{id: "grok-imagine-1.5-apimart", sizes: "1:1 3:2 2:3 16:9 9:16", counts: "1"},
	{id: "grok-imagine-image", sizes: "auto 1:1 4:3 3:4 3:2 2:3 16:9 9:16 9:19.5 20:9 2:1", counts: "1", tiers: "1k 2k", tier: "1k", aspectRatioField: true},
	{id: "grok-imagine-image-quality", sizes: "auto 1:1 4:3 3:4 3:2 2:3 16:9 9:16 9:19.5 20:9 2:1", counts: "1", tiers: "1k 2k", tier: "1k", aspectRatioField: true},
}

func TestCatalogMatchesTheReference(t *testing.T) {
	var want []string
	for _, row := range referenceCatalog {
		want = append(want, row.id)
	}
	if got := ModelIDs(); !slices.Equal(got, want) {
		t.Fatalf("catalog ids = %v\nreference ids = %v", got, want)
	}
	for _, row := range referenceCatalog {
		t.Run(row.id, func(t *testing.T) {
			m, _ := LookupModel(row.id)
			checkList(t, "aliases", m.Aliases, row.aliases)
			checkList(t, "sizes", m.Sizes, row.sizes)
			checkList(t, "sizes needing references", m.SizesNeedingReferences, row.sizesNeedingRefs)
			checkList(t, "counts", strings.Fields(m.countsList()), row.counts)
			checkList(t, "resolutions", m.Resolutions, row.tiers)
			got := referenceRow{
				id: m.ID, size: m.DefaultSize, tier: m.DefaultResolution,
				maxRefs: m.References.Max, minRefs: m.References.Min, urlOnly: m.References.URLOnly,
				promptLimit: m.MaxPromptLength, aspectRatioField: m.SizeFieldName() == FieldAspectRatio,
				silent: m.silentChange(), pixelSizesAllowed: m.PixelSizes,
			}
			wantScalars := row
			wantScalars.aliases, wantScalars.sizes, wantScalars.counts, wantScalars.tiers, wantScalars.sizesNeedingRefs = "", "", "", "", ""
			if got != wantScalars {
				t.Errorf("catalog row\n %+v\nreference\n %+v", got, wantScalars)
			}
		})
	}
}

// Optional fields, by the reference's §4.2 "other fields".
func TestCatalogOptionalFieldsMatchTheReference(t *testing.T) {
	want := map[string]string{
		FieldNegativePrompt: "qwen-image-2.0 qwen-image-2.0-pro qwen-image-3.0 qwen-image-3.0-pro",
		FieldQuality:        "gpt-image-1-official gpt-image-1.5-official gpt-image-2-official",
		FieldBackground:     "gpt-image-1-official gpt-image-1.5-official",
		FieldOutputFormat:   "gpt-image-1-official gpt-image-1.5-official doubao-seedream-5-0-lite",
	}
	for field, models := range want {
		checkList(t, field, ModelsTaking(field), models)
	}
	gpt1, _ := LookupModel("gpt-image-1")
	quality, _ := gpt1.Field(FieldQuality)
	background, _ := gpt1.Field(FieldBackground)
	checkList(t, "gpt-image-1 quality", quality.Values, "auto low medium high")
	checkList(t, "gpt-image-1 background", background.Values, "auto opaque transparent")
	lite, _ := LookupModel("seedream-5-0-lite")
	format, _ := lite.Field(FieldOutputFormat)
	checkList(t, "seedream-5-0-lite output_format", format.Values, "jpeg png")
	qwen, _ := LookupModel("qwen-image-2.0")
	if negative, _ := qwen.Field(FieldNegativePrompt); negative.MaxLength != 500 {
		t.Errorf("qwen negative_prompt limit = %d, want 500", negative.MaxLength)
	}
}

// Pixel sizes the reference gives for a size and tier.
func TestCatalogDimensionsMatchTheReference(t *testing.T) {
	tests := []struct {
		model, size, tier string
		width, height     int
	}{
		{"gpt-image-2", "1:1", "1k", 1024, 1024},
		{"gpt-image-2", "1:1", "2K", 2048, 2048},
		{"gpt-image-2", "1:1", "4k", 2880, 2880},
		{"qwen-image-2.0", "1:1", "1K", 1024, 1024},
		{"qwen-image-2.0", "1:1", "2K", 2048, 2048},
		{"qwen-image-2.0-pro", "16:9", "1K", 1280, 720},
		{"qwen-image-2.0-pro", "16:9", "2K", 2048, 1152},
	}
	for _, tt := range tests {
		m, _ := LookupModel(tt.model)
		d, ok := m.Dimension(tt.size, tt.tier)
		if !ok || d.Width != tt.width || d.Height != tt.height {
			t.Errorf("%s %s %s = %+v, %v, want %dx%d", tt.model, tt.size, tt.tier, d, ok, tt.width, tt.height)
		}
	}
}

func checkList(t *testing.T, what string, got []string, want string) {
	t.Helper()
	if !slices.Equal(got, strings.Fields(want)) && (len(got) > 0 || want != "") {
		t.Errorf("%s = %q, want %q", what, got, strings.Fields(want))
	}
}

func (m Model) countsList() string {
	parts := make([]string, len(m.Counts))
	for i, c := range m.Counts {
		parts[i] = strconv.FormatInt(c, 10)
	}
	return strings.Join(parts, " ")
}

func (m Model) silentChange() string {
	switch {
	case m.SilentSizeFallback:
		return "size"
	case m.SilentResolutionFallback:
		return "resolution"
	case m.SilentCountClamp:
		return "n"
	}
	return ""
}
