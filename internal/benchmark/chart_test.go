package benchmark

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestChartIsWellFormedSVG(t *testing.T) {
	r := testReport()
	r.Machine.CPUModel = `<script>&"`
	svg := r.Chart()

	dec := xml.NewDecoder(bytes.NewReader(svg))
	var root string
	elements := map[string]int{}
	var texts []string
	styles := map[[2]string]int{}
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("chart is not well-formed XML: %v\n%s", err, svg)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if root == "" {
				root = tok.Name.Space + " " + tok.Name.Local
			}
			elements[tok.Name.Local]++
			if tok.Name.Local == "polyline" {
				var style [2]string
				for _, a := range tok.Attr {
					switch a.Name.Local {
					case "stroke":
						style[0] = a.Value
					case "stroke-dasharray":
						style[1] = a.Value
					}
				}
				styles[style]++
			}
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				texts = append(texts, s)
			}
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Errorf("root element = %q, want an svg element in the SVG namespace", root)
	}
	// Four legend samples, then per panel one series per kind; destroy at
	// 1000 has no floor point but 10 still draws one.
	if got := elements["polyline"]; got != 4+3*4 {
		t.Errorf("%d polylines, want 16", got)
	}
	// Each kind has a colour and dash pattern of its own: 4 lines each.
	if len(styles) != 4 {
		t.Errorf("polyline styles %v, want 4 distinct ones", styles)
	}
	for style, n := range styles {
		if n != 4 {
			t.Errorf("style %v draws %d lines, want 4 (legend and three panels)", style, n)
		}
	}
	// One marker per summary: 23 in testReport.
	if got := elements["circle"]; got != 23 {
		t.Errorf("%d circles, want 23", got)
	}
	for _, want := range []string{
		"terraform apply", "terraform plan (refresh)", "terraform destroy",
		"N resources (log scale)", "wall time (s, log scale)", "10", "1000",
		"terraform_data (floor)", "floor_data (plugin floor: terraform_data in a plugin)",
		"floor_api_key (schema floor: astral_api_key's schema, no code)",
		"astral_api_key (provider); label: ratio to the floor", "3.0×", "1.4×",
		`2026-11-27, 2 CPUs (<script>&"), Terraform 1.11.4, go1.26.8`,
	} {
		if !slices.Contains(texts, want) {
			t.Errorf("chart has no text %q; texts: %q", want, texts)
		}
	}
}

func TestLogTicks(t *testing.T) {
	tests := []struct {
		values []float64
		want   []float64
	}{
		{nil, []float64{0.1, 0.2, 0.5, 1}},
		{[]float64{0.35, 30}, []float64{0.2, 0.5, 1, 2, 5, 10, 20, 50}},
		{[]float64{1.2, 3.9}, []float64{1, 2, 5}},
		{[]float64{1.2, 4}, []float64{1, 2, 5}},
		{[]float64{1, 4.1}, []float64{0.5, 1, 2, 5, 10}},
		{[]float64{0.03, 0.07}, []float64{0.02, 0.05, 0.1}},
	}
	for _, tt := range tests {
		if got := logTicks(tt.values); !slices.Equal(got, tt.want) {
			t.Errorf("logTicks(%v) = %v, want %v", tt.values, got, tt.want)
		}
	}
}
