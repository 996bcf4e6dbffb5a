package main

import (
	"os"
	"testing"
)

func TestQuietSDKLogs(t *testing.T) {
	sdkVars := []string{"TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"}
	tests := []struct {
		name string
		env  map[string]string
		want map[string]string // "" means unset
	}{
		{name: "logs discarded", env: map[string]string{},
			want: map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off"}},
		{name: "TF_LOG set", env: map[string]string{"TF_LOG": "TRACE"},
			want: map[string]string{}},
		{name: "TF_LOG_PROVIDER set", env: map[string]string{"TF_LOG_PROVIDER": "DEBUG"},
			want: map[string]string{}},
		{name: "user's choice kept", env: map[string]string{"TF_LOG_SDK_PROTO": "TRACE"},
			want: map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "TRACE", "TF_LOG_SDK_FRAMEWORK": "off"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range append([]string{"TF_LOG", "TF_LOG_PROVIDER"}, sdkVars...) {
				t.Setenv(name, "") // restores the variable after the test
				if err := os.Unsetenv(name); err != nil {
					t.Fatal(err)
				}
			}
			for name, v := range tt.env {
				t.Setenv(name, v)
			}
			quietSDKLogs()
			for _, name := range sdkVars {
				if got := os.Getenv(name); got != tt.want[name] {
					t.Errorf("%s = %q, want %q", name, got, tt.want[name])
				}
			}
		})
	}
}
