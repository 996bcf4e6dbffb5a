package main

import (
	"slices"
	"testing"
)

func TestParseSizes(t *testing.T) {
	tests := []struct {
		in      string
		reps    int
		want    []size
		wantErr bool
	}{
		{in: "10,100,1000", reps: 3, want: []size{{10, 3}, {100, 3}, {1000, 3}}},
		{in: "1000:1, 10", reps: 2, want: []size{{10, 2}, {1000, 1}}},
		{in: "5", reps: 1, want: []size{{5, 1}}},
		{in: "0", reps: 3, wantErr: true},
		{in: "ten", reps: 3, wantErr: true},
		{in: "10,", reps: 3, wantErr: true},
		{in: "10:0", reps: 3, wantErr: true},
		{in: "10:x", reps: 3, wantErr: true},
		{in: "10", reps: 0, wantErr: true},
		{in: "10,10:2", reps: 3, wantErr: true},
	}
	for _, tt := range tests {
		got, err := parseSizes(tt.in, tt.reps)
		if (err != nil) != tt.wantErr || !slices.Equal(got, tt.want) {
			t.Errorf("parseSizes(%q, %d) = %v, %v; want %v, error %v", tt.in, tt.reps, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestCleanEnv(t *testing.T) {
	in := []string{"PATH=/bin", "TF_LOG=trace", "TF_PLUGIN_CACHE_DIR=/c", "ASTRAL_API_KEY=x", "CHECKPOINT_DISABLE=", "HOME=/root", "MY_TF_X=1"}
	want := []string{"PATH=/bin", "HOME=/root", "MY_TF_X=1"}
	if got := cleanEnv(in); !slices.Equal(got, want) {
		t.Errorf("cleanEnv = %q, want %q", got, want)
	}
}

func TestRotate(t *testing.T) {
	xs := []string{"a", "b", "c", "d"}
	tests := []struct {
		i    int
		want []string
	}{
		{0, []string{"a", "b", "c", "d"}},
		{1, []string{"b", "c", "d", "a"}},
		{3, []string{"d", "a", "b", "c"}},
		{6, []string{"c", "d", "a", "b"}},
	}
	for _, tt := range tests {
		if got := rotate(xs, tt.i); !slices.Equal(got, tt.want) {
			t.Errorf("rotate(%q, %d) = %q, want %q", xs, tt.i, got, tt.want)
		}
	}
	if !slices.Equal(xs, []string{"a", "b", "c", "d"}) {
		t.Errorf("rotate changed its argument: %q", xs)
	}
}
