package main

import (
	"os"
	"regexp"
	"testing"
)

// DESIGN.md is the map of the code: every path it names in backquotes
// must exist, so that the map cannot drift from the territory unnoticed.
func TestDesignNamesFilesThatExist(t *testing.T) {
	doc, err := os.ReadFile("DESIGN.md")
	if err != nil {
		t.Fatal(err)
	}
	paths := regexp.MustCompile("`((?:internal|scripts|examples|templates)/[^`\\s]*|[A-Za-z_]+\\.(?:go|md))`").FindAllSubmatch(doc, -1)
	if len(paths) < 20 {
		t.Fatalf("DESIGN.md names %d paths; the pattern no longer finds them", len(paths))
	}
	for _, m := range paths {
		if _, err := os.Stat(string(m[1])); err != nil {
			t.Errorf("DESIGN.md names %s, which does not exist", m[1])
		}
	}
}
