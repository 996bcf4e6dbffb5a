package provider

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// docsDir holds the pages that tfplugindocs generates, as the registry and
// GitHub show them.
const docsDir = "../../docs"

// markdownLink is the target of an inline Markdown link, [text](target).
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsLinks checks the links between the pages of docs/ against the one
// style that works both on the registry and on GitHub (DESIGN.md, "Links
// between pages"): relative to the page, to the other page's .md file,
// which GitHub opens as a file and the registry as the page of that name;
// never from docs/index.md, which the registry serves at .../docs, without
// a trailing slash, so that a relative link resolves one level too high.
// Each link must reach a page that exists.
func TestDocsLinks(t *testing.T) {
	pages := 0
	err := filepath.WalkDir(docsDir, func(file string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(file) != ".md" {
			return err
		}
		pages++
		src, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		page, err := filepath.Rel(docsDir, file)
		if err != nil {
			return err
		}
		page = filepath.ToSlash(page)
		for _, m := range markdownLink.FindAllSubmatch(src, -1) {
			if problem := docsLinkProblem(page, string(m[1])); problem != "" {
				t.Errorf("docs/%s links to %s: %s", page, m[1], problem)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if pages < 10 {
		t.Fatalf("%d pages under %s: not the generated docs", pages, docsDir)
	}
}

// docsLinkProblem says what is wrong with a link from page (relative to
// docs/) to target, or "" when nothing is.
func docsLinkProblem(page, target string) string {
	if strings.HasPrefix(target, "#") || strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
		return ""
	}
	file, _, _ := strings.Cut(target, "#")
	switch {
	case strings.HasPrefix(file, "/"):
		return "an absolute path names a page of neither GitHub nor the registry; link relative to the page"
	case page == "index.md":
		return "the registry resolves relative links of the index one level too high; link to a guide from the guides, or give no link"
	case path.Ext(file) != ".md":
		return "link to the page's .md file, which both GitHub and the registry resolve"
	}
	if _, err := os.Stat(filepath.Join(docsDir, filepath.FromSlash(path.Join(path.Dir(page), file)))); errors.Is(err, fs.ErrNotExist) {
		return "no such page"
	} else if err != nil {
		return err.Error()
	}
	return ""
}

func TestDocsLinkProblem(t *testing.T) {
	tests := []struct {
		page, target string
		ok           bool
	}{
		{"guides/adopting-keys.md", "rotation.md", true},
		{"guides/adopting-keys.md", "rotation.md#the-grace-overlap", true},
		{"guides/adopting-keys.md", "../resources/api_key.md", true},
		{"guides/adopting-keys.md", "https://developer.hashicorp.com/terraform/language/checks", true},
		{"guides/adopting-keys.md", "#2-review-them", true},
		{"guides/adopting-keys.md", "rotation", false},
		{"guides/adopting-keys.md", "missing.md", false},
		{"guides/adopting-keys.md", "/docs/guides/rotation.md", false},
		{"index.md", "guides/rotation.md", false},
		{"index.md", "https://astral.app", true},
	}
	for _, tt := range tests {
		if got := docsLinkProblem(tt.page, tt.target); (got == "") != tt.ok {
			t.Errorf("docsLinkProblem(%q, %q) = %q, want ok %v", tt.page, tt.target, got, tt.ok)
		}
	}
}
