package provider

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAccExamples_validate runs terraform validate on every example, so that the examples in the
// docs can never use a model, size or count that the catalog rejects. It also proves that
// validate needs no API key: the provider's environment is empty.
func TestAccExamples_validate(t *testing.T) {
	t.Parallel()
	skipWithoutTFAcc(t)
	err := filepath.WalkDir("../../examples", func(dir string, entry os.DirEntry, err error) error {
		if err != nil || !entry.IsDir() {
			return err
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.tf"))
		if len(files) > 0 {
			validateExample(t, dir, files)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func validateExample(t *testing.T, dir string, files []string) {
	t.Run(strings.TrimPrefix(dir, "../../"), func(t *testing.T) {
		t.Parallel()
		w := servedWorkspace(t, map[string]string{})
		config := exampleConfig(t, files)
		if !strings.Contains(config, "required_providers") {
			config = requiredProviders + config
		}
		w.WriteConfig(t, config)
		if r := w.Run(context.Background(), "validate", "-no-color"); r.Err != nil {
			t.Fatalf("terraform validate failed: %v\n%s%s", r.Err, r.Stdout, r.Stderr)
		}
	})
}

// exampleConfig joins an example's files; import blocks are left out, because their ids are
// placeholders that only a real task would match.
func exampleConfig(t *testing.T, files []string) string {
	t.Helper()
	var b strings.Builder
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "import") {
			continue
		}
		content, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(content)
		b.WriteString("\n")
	}
	return b.String()
}
