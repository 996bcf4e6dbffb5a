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
		case xml.CharData:
			if s := strings.TrimSpace(string(tok)); s != "" {
				texts = append(texts, s)
			}
		}
	}
	if root != "http://www.w3.org/2000/svg svg" {
		t.Errorf("root element = %q, want an svg element in the SVG namespace", root)
	}
	// Two legend samples, then per panel a floor and a provider series;
	// destroy at 1000 has no floor point but 10 still draws one.
	if got := elements["polyline"]; got != 2+3*2 {
		t.Errorf("%d polylines, want 8", got)
	}
	// One marker per summary: 11 in testReport.
	if got := elements["circle"]; got != 11 {
		t.Errorf("%d circles, want 11", got)
	}
	for _, want := range []string{
		"terraform apply", "terraform plan (refresh)", "terraform destroy",
		"N resources (log scale)", "wall time (s, log scale)", "10", "1000",
		"terraform_data (floor)", "3.0×", "1.4×",
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
