package main

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// make fuzz names its targets as package:function; go test -fuzz only warns
// when a name matches nothing, so a renamed target would go unfuzzed, and
// its corpus unread, without a failure.
func TestFuzzTargetsExist(t *testing.T) {
	makefile, err := os.ReadFile("GNUmakefile")
	if err != nil {
		t.Fatal(err)
	}
	targets := regexp.MustCompile(`\./(internal/[a-z/]+):(Fuzz\w+)`).FindAllSubmatch(makefile, -1)
	if len(targets) == 0 {
		t.Fatal("GNUmakefile names no fuzz target; the pattern no longer finds FUZZ_TARGETS")
	}
	for _, m := range targets {
		pkg, name := string(m[1]), string(m[2])
		files, err := filepath.Glob(filepath.Join(pkg, "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		declared := regexp.MustCompile(`(?m)^func ` + name + `\(f \*testing\.F\)`)
		found := false
		for _, file := range files {
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			found = found || declared.Match(src)
		}
		if !found {
			t.Errorf("GNUmakefile fuzzes %s in ./%s, which declares no such fuzz target", name, pkg)
		}
	}
}
