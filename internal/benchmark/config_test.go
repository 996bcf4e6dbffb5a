package benchmark

import (
	"os/exec"
	"strings"
	"testing"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		kind    Kind
		want    []string
		notWant string
	}{
		// The floor needs no provider at all.
		{KindFloor, []string{`resource "terraform_data" "bench" {`, `count = 7`, `input = "bench-${count.index}"`}, "required_providers"},
		{KindPluginFloor, []string{`source = "astral/floor"`, `resource "floor_data" "bench" {`, `count = 7`, `input = "bench-${count.index}"`}, "astral/astral"},
		{KindSchemaFloor, []string{`source = "astral/floor"`, `resource "floor_api_key" "bench" {`, `count = 7`, `name  = "bench-${count.index}"`}, "astral/astral"},
		{KindProvider, []string{`source = "astral/astral"`, `provider "astral" {}`, `resource "astral_api_key" "bench" {`, `count = 7`, `name  = "bench-${count.index}"`}, "floor"},
	}
	terraform, lookErr := exec.LookPath("terraform")
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			got := Config(tt.kind, 7, "bench-")
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("config lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, tt.notWant) {
				t.Errorf("config has %q:\n%s", tt.notWant, got)
			}
			if strings.Count(got, "resource ") != 1 {
				t.Errorf("config declares %d resource blocks, want 1:\n%s", strings.Count(got, "resource "), got)
			}
			if lookErr != nil {
				return
			}
			// terraform fmt parses the configuration: a syntax error fails too.
			cmd := exec.Command(terraform, "fmt", "-check", "-")
			cmd.Stdin = strings.NewReader(got)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("terraform fmt -check: %v\n%s\nconfig:\n%s", err, out, got)
			}
		})
	}
}

func TestConfigPanicsOnUnknownKind(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Config of an unknown kind did not panic")
		}
	}()
	Config("other", 1, "bench-")
}
