package apimart

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Problem is one field-level reason a request would be rejected or silently changed by the API.
type Problem struct {
	Field   string
	Summary string
	Detail  string
}

func (p Problem) Error() string { return p.Field + ": " + p.Detail }

// CatalogDocs is where the catalog is documented for users: the registry page of apimart_image.
const CatalogDocs = "docs/resources/image.md"

// ValidateModel reports a problem when id is neither a catalog id nor an alias. The detail names
// the closest ids first, since an unknown id is most often a typo.
func ValidateModel(id string) []Problem {
	if _, ok := LookupModel(id); ok {
		return nil
	}
	detail := fmt.Sprintf("The model %q is not in this provider's catalog.", id)
	if nearest := closestIDs(id, 3); len(nearest) > 0 {
		// A typo: the closest ids say more than the whole catalog would.
		detail += fmt.Sprintf(" Did you mean %s? The model table of %s lists every model and what it takes.",
			strings.Join(quoted(nearest), " or "), CatalogDocs)
	} else {
		detail += fmt.Sprintf(" Supported models: %s; %s describes each.", quoteList(ModelIDs()), CatalogDocs)
	}
	detail += " A model newer than this provider can be used with allow_unlisted_models = true in the provider block."
	return []Problem{{Field: FieldModel, Summary: "Unsupported model", Detail: detail}}
}

// closestIDs returns up to limit ids and aliases nearest to id by edit distance, ignoring case,
// leaving out those so far away that they would not help.
func closestIDs(id string, limit int) []string {
	type candidate struct {
		id       string
		distance int
	}
	var candidates []candidate
	for _, c := range allIDs() {
		d := levenshtein(strings.ToLower(id), strings.ToLower(c))
		if d <= max(3, utf8.RuneCountInString(c)/3) {
			candidates = append(candidates, candidate{c, d})
		}
	}
	slices.SortStableFunc(candidates, func(a, b candidate) int { return a.distance - b.distance })
	var ids []string
	for _, c := range candidates[:min(limit, len(candidates))] {
		ids = append(ids, c.id)
	}
	return ids
}

// levenshtein is the number of single-rune insertions, deletions and substitutions from a to b.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	previous := make([]int, len(rb)+1)
	for j := range previous {
		previous[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		current := make([]int, len(rb)+1)
		current[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			current[j] = min(previous[j]+1, current[j-1]+1, previous[j-1]+cost)
		}
		previous = current
	}
	return previous[len(rb)]
}

var pixelSize = regexp.MustCompile(`^[1-9][0-9]{0,4}x[1-9][0-9]{0,4}$`)

// IsPixelSize reports whether size is a raw "WxH" pixel size such as "1881x836".
func IsPixelSize(size string) bool { return pixelSize.MatchString(size) }

// ValidateSize reports a problem when size is not one of the model's ratios.
func (m Model) ValidateSize(size string) []Problem {
	if slices.Contains(m.Sizes, size) || (m.PixelSizes && IsPixelSize(size)) {
		return nil
	}
	allowed := quoteList(m.Sizes)
	if m.PixelSizes {
		allowed += `, or a pixel size "WxH" such as "1536x1024"`
	}
	detail := fmt.Sprintf("The size %q is not supported by model %q. Allowed values: %s.", size, m.ID, allowed)
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
	detail := fmt.Sprintf("The image count n = %d is not supported by model %q. Allowed values: %s.", n, m.ID, m.CountsText())
	if m.SilentCountClamp {
		clamped := min(max(n, m.Counts[0]), m.Counts[len(m.Counts)-1])
		detail += fmt.Sprintf(" The API would silently generate %d instead.", clamped)
	}
	return []Problem{{Field: FieldN, Summary: "Unsupported image count", Detail: detail}}
}

// ValidateResolution reports a problem when the model has no tiers, or not this one. The tier
// may be written in any case; the client sends the model's own spelling.
func (m Model) ValidateResolution(tier string) []Problem {
	if len(m.Resolutions) == 0 {
		return m.notTaken(FieldResolution, "resolution tiers")
	}
	if _, ok := m.Resolution(tier); ok {
		return nil
	}
	detail := fmt.Sprintf("The resolution %q is not supported by model %q. Allowed values: %s (in any case).", tier, m.ID, quoteList(m.Resolutions))
	if m.SilentResolutionFallback {
		detail += fmt.Sprintf(" The API would silently generate a %s image instead.", m.DefaultResolution)
	}
	return []Problem{{Field: FieldResolution, Summary: "Unsupported resolution", Detail: detail}}
}

// ValidateField reports a problem when the model does not take the optional field, or not this
// value of it.
func (m Model) ValidateField(name, value string) []Problem {
	f, ok := m.Field(name)
	if !ok {
		return m.notTaken(name, name)
	}
	if len(f.Values) > 0 && !slices.Contains(f.Values, value) {
		return []Problem{{Field: name, Summary: "Unsupported " + name,
			Detail: fmt.Sprintf("The %s %q is not supported by model %q. Allowed values: %s.", name, value, m.ID, quoteList(f.Values))}}
	}
	if n := utf8.RuneCountInString(value); f.MaxLength > 0 && n > f.MaxLength {
		return []Problem{{Field: name, Summary: strings.ToUpper(name[:1]) + strings.ReplaceAll(name[1:], "_", " ") + " too long",
			Detail: fmt.Sprintf("The %s has %d characters; model %q accepts at most %d.", name, n, m.ID, f.MaxLength)}}
	}
	return nil
}

// notTaken explains that the model does not take a typed field and names the models that do.
func (m Model) notTaken(field, what string) []Problem {
	return []Problem{{
		Field:   field,
		Summary: "Argument not supported by the model",
		Detail: fmt.Sprintf("Model %q takes no %s. Remove %s, or choose a model that takes it: %s.",
			m.ID, what, field, quoteList(ModelsTaking(field))),
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

// ValidateReferences checks a request's number of reference images against the model: whether
// it takes any, how many, whether the size needs some, and the bound on references plus images.
// An empty size or a zero n means the model's default.
func (m Model) ValidateReferences(count int, size string, n int64) []Problem {
	r := m.References
	switch {
	case count > 0 && !r.Accepted():
		return []Problem{{Field: FieldImageURLs, Summary: "Reference images not supported",
			Detail: fmt.Sprintf("Model %q is text-to-image only and rejects reference images. Remove them or choose one of: %s.",
				m.ID, quoteList(modelsWithReferenceImages()))}}
	case count > r.Max:
		return []Problem{{Field: FieldImageURLs, Summary: "Too many reference images",
			Detail: fmt.Sprintf("Model %q accepts at most %d reference images; the request has %d.", m.ID, r.Max, count)}}
	case count < r.Min:
		return []Problem{{Field: FieldImageURLs, Summary: "Reference images required",
			Detail: fmt.Sprintf("Model %q edits images and needs at least %d reference image.", m.ID, r.Min)}}
	case count == 0 && slices.Contains(m.SizesNeedingReferences, size):
		return []Problem{{Field: FieldSize, Summary: "Size needs reference images",
			Detail: fmt.Sprintf("The size %q of model %q takes the ratio of the reference images, and the request has none. Add a reference image or choose one of: %s.",
				size, m.ID, quoteList(m.sizesWithoutReferences()))}}
	case count > 0 && m.MaxReferencesAndImages > 0 && int64(count)+max(n, 1) > int64(m.MaxReferencesAndImages) && slices.Contains(m.Counts, max(n, 1)):
		return []Problem{{Field: FieldN, Summary: "Too many images",
			Detail: fmt.Sprintf("Model %q accepts at most %d reference images plus generated images; the request has %d references and n = %d.",
				m.ID, m.MaxReferencesAndImages, count, max(n, 1))}}
	}
	return nil
}

func (m Model) sizesWithoutReferences() []string {
	return slices.DeleteFunc(slices.Clone(m.Sizes), func(s string) bool { return slices.Contains(m.SizesNeedingReferences, s) })
}

// Validate checks a whole request against the catalog; it is the one check of a request, run
// by the provider at plan time and by the fuzz targets. An empty Size or Resolution, or a zero N,
// means "the model's default" and is accepted. The fields named in pending are not known yet, as
// in a plan whose values come from other resources, and are checked once they are known.
// Parameters are checked only for keys that a field of the request covers: the API ignores keys
// it does not know.
func Validate(req GenerationRequest, pending ...string) []Problem {
	known := func(field string) bool { return !slices.Contains(pending, field) }
	if !known(FieldModel) {
		return nil
	}
	m, ok := LookupModel(req.Model)
	if !ok {
		return ValidateModel(req.Model)
	}
	var problems []Problem
	if known(FieldPrompt) {
		problems = append(problems, m.ValidatePrompt(req.Prompt)...)
	}
	if known(FieldSize) && req.Size != "" {
		problems = append(problems, m.ValidateSize(req.Size)...)
	}
	if known(FieldN) && req.N != 0 {
		problems = append(problems, m.ValidateCount(req.N)...)
	}
	if known(FieldResolution) && req.Resolution != "" {
		problems = append(problems, m.ValidateResolution(req.Resolution)...)
	}
	for _, a := range Arguments {
		if value := req.Arguments[a.Name]; known(a.Name) && value != "" {
			problems = append(problems, m.ValidateField(a.Name, value)...)
		}
	}
	if known(FieldParameters) {
		problems = append(problems, validateParameterKeys(req.Parameters)...)
	}
	// The number of reference images decides whether a size such as "auto" makes sense.
	if known(FieldImageURLs) && known(FieldSize) {
		problems = append(problems, m.ValidateReferences(len(req.ImageURLs), req.Size, req.N)...)
	}
	return problems
}

// validateParameterKeys refuses the keys that the request sets itself or a typed field covers.
func validateParameterKeys(parameters map[string]any) []Problem {
	reserved := ReservedParameterKeys()
	var refused []string
	for k := range parameters {
		if slices.Contains(reserved, k) {
			refused = append(refused, strconv.Quote(k))
		}
	}
	if len(refused) == 0 {
		return nil
	}
	slices.Sort(refused)
	return []Problem{{Field: FieldParameters, Summary: "Reserved key in parameters",
		Detail: fmt.Sprintf("parameters sets %s, which the provider sets itself or an argument covers. Use the argument of the same name instead; keys reserved: %s.",
			strings.Join(refused, ", "), strings.Join(reserved, ", "))}}
}

// CountsText renders the accepted image counts for messages and docs, e.g. "1", "1, 2, 4" or
// "1 to 15".
func (m Model) CountsText() string {
	if len(m.Counts) > 3 && m.Counts[len(m.Counts)-1]-m.Counts[0] == int64(len(m.Counts)-1) {
		return fmt.Sprintf("%d to %d", m.Counts[0], m.Counts[len(m.Counts)-1])
	}
	parts := make([]string, len(m.Counts))
	for i, c := range m.Counts {
		parts[i] = strconv.FormatInt(c, 10)
	}
	return strings.Join(parts, ", ")
}

func quoted(values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = strconv.Quote(v)
	}
	return out
}

func quoteList(values []string) string { return strings.Join(quoted(values), ", ") }
