package apimart

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestCatalogRowsAreConsistent(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Models() {
		for _, alias := range m.Aliases {
			if seen[alias] {
				t.Errorf("alias %q appears twice", alias)
			}
			seen[alias] = true
		}
		t.Run(m.ID, func(t *testing.T) {
			if m.ID == "" || strings.TrimSpace(m.Summary) == "" {
				t.Errorf("row %+v lacks an id or a summary", m)
			}
			if seen[m.ID] {
				t.Errorf("model %q appears twice", m.ID)
			}
			seen[m.ID] = true
			if m.DefaultSize != "" && !slices.Contains(m.Sizes, m.DefaultSize) {
				t.Errorf("default size %q is not among %v", m.DefaultSize, m.Sizes)
			}
			if m.DefaultResolution != "" && !slices.Contains(m.Resolutions, m.DefaultResolution) {
				t.Errorf("default resolution %q is not among %v", m.DefaultResolution, m.Resolutions)
			}
			for _, alias := range m.Aliases {
				if got, ok := LookupModel(alias); !ok || got.ID != m.ID {
					t.Errorf("LookupModel(%q) = %v, %v, want the row of %q", alias, got.ID, ok, m.ID)
				}
			}
			if len(m.Counts) == 0 || !slices.IsSorted(m.Counts) || m.Counts[0] < 1 {
				t.Errorf("counts %v must be a sorted list of positive numbers", m.Counts)
			}
			if got, ok := LookupModel(m.ID); !ok || got.ID != m.ID {
				t.Errorf("LookupModel(%q) = %v, %v", m.ID, got, ok)
			}
			for _, size := range m.sizesWithoutReferences() {
				for _, n := range m.Counts {
					req := GenerationRequest{Model: m.ID, Prompt: "a lighthouse at dusk", Size: size, N: n}
					if problems := Validate(req); len(problems) != 0 {
						t.Errorf("Validate(%+v) = %v, want no problem", req, problems)
					}
				}
			}
			if problems := Validate(GenerationRequest{Model: m.ID, Prompt: "defaults"}); len(problems) != 0 {
				t.Errorf("an empty size and a zero n should mean the defaults, got %v", problems)
			}
		})
	}
	if _, ok := LookupModel(DefaultModel); !ok {
		t.Errorf("the default model %q is not in the catalog", DefaultModel)
	}
	var ids []string
	for _, m := range Models() {
		ids = append(ids, m.ID)
	}
	if !slices.Equal(ModelIDs(), ids) {
		t.Errorf("ModelIDs() = %v, want the catalog order %v", ModelIDs(), ids)
	}
}

func TestModelsReturnsACopy(t *testing.T) {
	models := Models()
	firstSize := models[0].Sizes[0]
	models[0].ID = "changed"
	models[0].Sizes[0] = "changed"
	models[0].Counts[0] = 99
	looked, _ := LookupModel(models[1].ID)
	looked.Sizes[0] = "changed"
	again := Models()
	if again[0].ID == "changed" || again[0].Sizes[0] != firstSize || again[0].Counts[0] == 99 || again[1].Sizes[0] == "changed" {
		t.Error("changing a returned model changed the catalog")
	}
}

func TestValidationDetailsNameTheValueAndTheAllowedOnes(t *testing.T) {
	imagen, _ := LookupModel("imagen-4.0-apimart")
	gpt4o, _ := LookupModel("gpt-4o-image")
	tests := []struct {
		name      string
		problems  []Problem
		wantField string
		wantText  []string
	}{
		{"unknown model", ValidateModel("dall-e-3"), FieldModel, append([]string{`"dall-e-3"`}, quoted(ModelIDs())...)},
		{"size", imagen.ValidateSize("21:9"), FieldSize, append([]string{`"21:9"`, `"imagen-4.0-apimart"`}, quoted(imagen.Sizes)...)},
		{"silent fallback is explained", imagen.ValidateSize("2:3"), FieldSize, []string{"silently", "16:9"}},
		{"count", imagen.ValidateCount(3), FieldN, []string{"n = 3", "Allowed values: 1."}},
		{"count with several allowed", gpt4o.ValidateCount(3), FieldN, []string{"n = 3", "1, 2, 4"}},
		{"empty prompt", imagen.ValidatePrompt(" \n\t"), FieldPrompt, []string{"non-space"}},
		{"long prompt", gpt4o.ValidatePrompt(strings.Repeat("字", 1001)), FieldPrompt, []string{"1001", "1000", `"gpt-4o-image"`}},
		{"reference images", imagen.ValidateReferences(1, "", 0), FieldImageURLs,
			append([]string{`"imagen-4.0-apimart"`}, quoted(modelsWithReferenceImages())...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if len(tt.problems) != 1 {
				t.Fatalf("problems = %v, want exactly one", tt.problems)
			}
			p := tt.problems[0]
			if p.Field != tt.wantField || p.Summary == "" {
				t.Errorf("field %q summary %q, want field %q and a summary", p.Field, p.Summary, tt.wantField)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(p.Detail, want) {
					t.Errorf("detail %q does not contain %s", p.Detail, want)
				}
			}
			if p.Error() != p.Field+": "+p.Detail {
				t.Errorf("Error() = %q", p.Error())
			}
		})
	}
}

func TestValidationAcceptsWhatTheModelAllows(t *testing.T) {
	gpt4o, _ := LookupModel("gpt-4o-image")
	if p := gpt4o.ValidatePrompt(strings.Repeat("字", 1000)); p != nil {
		t.Errorf("1000 characters (3000 bytes) were refused: %v", p)
	}
	if p := gpt4o.ValidateReferences(1, "", 0); p != nil {
		t.Errorf("reference images were refused by a model that takes them: %v", p)
	}
	imagen, _ := LookupModel("imagen-4.0-apimart")
	if p := imagen.ValidateReferences(0, "", 0); p != nil {
		t.Errorf("no reference images were refused: %v", p)
	}
	if p := imagen.ValidatePrompt(strings.Repeat("a", 100000)); p != nil {
		t.Errorf("a model with no documented limit refused a long prompt: %v", p)
	}
}

func TestValidateReportsEveryProblemOfARequest(t *testing.T) {
	problems := Validate(GenerationRequest{Model: "imagen-4.0-apimart", Prompt: "", Size: "21:9", N: 2, ImageURLs: []string{"u"}})
	var fields []string
	for _, p := range problems {
		fields = append(fields, p.Field)
	}
	want := []string{FieldPrompt, FieldSize, FieldN, FieldImageURLs}
	if !slices.Equal(fields, want) {
		t.Errorf("fields = %v, want %v", fields, want)
	}
	if p := Validate(GenerationRequest{Model: "nope", Prompt: "", Size: "x"}); len(p) != 1 || p[0].Field != FieldModel {
		t.Errorf("an unknown model should be the only problem, got %v", p)
	}
}

func TestUnknownModelNamesTheClosestIDs(t *testing.T) {
	tests := map[string]string{
		"imagen-4-apimart":    `Did you mean "imagen-4.0-apimart"?`,
		"gpt-image-1-oficial": `Did you mean "gpt-image-1-official"`,
		"seedream-4.5":        `"seedream-4-5"`,
		"QWEN-IMAGE-2.0":      `"qwen-image-2.0"`,
	}
	for id, want := range tests {
		p := ValidateModel(id)
		if len(p) != 1 || !strings.Contains(p[0].Detail, want) || !strings.Contains(p[0].Detail, "allow_unlisted_models") {
			t.Errorf("ValidateModel(%q) = %v, want a detail with %s", id, p, want)
		}
	}
	if p := ValidateModel("dall-e-3"); strings.Contains(p[0].Detail, "Did you mean") {
		t.Errorf("an id far from every model got a suggestion: %s", p[0].Detail)
	}
}

func TestResolutionIsReadInAnyCaseAndSpelledByTheModel(t *testing.T) {
	gemini, _ := LookupModel("gemini-3-pro-image-preview")
	gpt2, _ := LookupModel("gpt-image-2")
	for _, tier := range []string{"4k", "4K"} {
		if p := gemini.ValidateResolution(tier); p != nil {
			t.Errorf("gemini refused %q: %v", tier, p)
		}
		if got, _ := gemini.Resolution(tier); got != "4K" {
			t.Errorf("gemini spells %q as %q, want 4K", tier, got)
		}
		if got, _ := gpt2.Resolution(tier); got != "4k" {
			t.Errorf("gpt-image-2 spells %q as %q, want 4k", tier, got)
		}
	}
	lite, _ := LookupModel("gemini-3.1-flash-lite-image")
	if p := lite.ValidateResolution("2K"); len(p) != 1 || !strings.Contains(p[0].Detail, "silently generate a 1K image") {
		t.Errorf("lite 2K = %v, want the silent downgrade explained", p)
	}
	imagen, _ := LookupModel(DefaultModel)
	if p := imagen.ValidateResolution("1K"); len(p) != 1 || p[0].Field != FieldResolution || !strings.Contains(p[0].Detail, `"gemini-3-pro-image-preview"`) {
		t.Errorf("imagen resolution = %v, want an error naming the models with tiers", p)
	}
}

func TestOptionalFieldsArePerModel(t *testing.T) {
	imagen, _ := LookupModel(DefaultModel)
	gpt1, _ := LookupModel("gpt-image-1")
	qwen, _ := LookupModel("qwen-image-2.0")
	tests := []struct {
		name     string
		problems []Problem
		want     []string
	}{
		{"not taken", imagen.ValidateField(FieldQuality, "high"), []string{`"imagen-4.0-apimart" takes no quality`, `"gpt-image-1-official"`}},
		{"bad value", gpt1.ValidateField(FieldBackground, "clear"), []string{`"clear"`, `"transparent"`}},
		{"too long", qwen.ValidateField(FieldNegativePrompt, strings.Repeat("x", 501)), []string{"501", "500"}},
	}
	for _, tt := range tests {
		if len(tt.problems) != 1 {
			t.Fatalf("%s: problems = %v, want one", tt.name, tt.problems)
		}
		for _, w := range tt.want {
			if !strings.Contains(tt.problems[0].Detail, w) {
				t.Errorf("%s: detail %q lacks %s", tt.name, tt.problems[0].Detail, w)
			}
		}
	}
	if p := gpt1.ValidateField(FieldOutputFormat, "webp"); p != nil {
		t.Errorf("a field without documented values refused a value: %v", p)
	}
}

func TestReferencesAreCountedAgainstTheModel(t *testing.T) {
	seedream, _ := LookupModel("seedream-4-5")
	kontext, _ := LookupModel("flux-kontext-pro")
	tests := []struct {
		name      string
		problems  []Problem
		wantField string
	}{
		{"auto without references", seedream.ValidateReferences(0, "auto", 1), FieldSize},
		{"references plus images over 15", seedream.ValidateReferences(10, "1:1", 6), FieldN},
		{"two references for kontext", kontext.ValidateReferences(2, "", 0), FieldImageURLs},
		{"match_input_image without a reference", kontext.ValidateReferences(0, "match_input_image", 0), FieldSize},
	}
	for _, tt := range tests {
		if len(tt.problems) != 1 || tt.problems[0].Field != tt.wantField {
			t.Errorf("%s: %v, want one problem on %s", tt.name, tt.problems, tt.wantField)
		}
	}
	for _, ok := range [][]Problem{seedream.ValidateReferences(1, "auto", 1), seedream.ValidateReferences(10, "1:1", 5), kontext.ValidateReferences(1, "auto", 0)} {
		if ok != nil {
			t.Errorf("a valid request was refused: %v", ok)
		}
	}
}

func TestSilentChangesAreExplained(t *testing.T) {
	gpt1, _ := LookupModel("gpt-image-1-official")
	if p := gpt1.ValidateCount(8); len(p) != 1 || !strings.Contains(p[0].Detail, "silently generate 4") {
		t.Errorf("gpt-image-1 n = 8: %v", p)
	}
	gpt2, _ := LookupModel("gpt-image-2")
	if p := gpt2.ValidateSize("1881x836"); p != nil {
		t.Errorf("gpt-image-2 refused a pixel size: %v", p)
	}
	if p := gpt1.ValidateSize("1024x1024"); len(p) != 1 {
		t.Errorf("gpt-image-1 took a pixel size: %v", p)
	}
}

func TestMistypedModelIsAnsweredWithoutTheWholeCatalog(t *testing.T) {
	detail := ValidateModel("imagen-4-apimart")[0].Detail
	if !strings.Contains(detail, CatalogDocs) {
		t.Errorf("detail does not say where the catalog is documented: %s", detail)
	}
	for _, id := range ModelIDs() {
		if id != "imagen-4.0-apimart" && strings.Contains(detail, strconv.Quote(id)) {
			t.Errorf("a typo's detail lists %q beside the suggestion: %s", id, detail)
		}
	}
}
