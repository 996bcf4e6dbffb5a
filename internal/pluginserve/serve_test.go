package pluginserve

import (
	"os"
	"runtime/debug"
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
				unsetenv(t, name)
			}
			for name, v := range tt.env {
				t.Setenv(name, v)
			}
			if err := quietSDKLogs(); err != nil {
				t.Fatal(err)
			}
			for _, name := range sdkVars {
				if got := os.Getenv(name); got != tt.want[name] {
					t.Errorf("%s = %q, want %q", name, got, tt.want[name])
				}
			}
		})
	}
}

func TestTuneGC(t *testing.T) {
	tests := []struct {
		name string
		gogc string // "" means unset
		want int
	}{
		{name: "GOGC unset", want: gcPercent},
		{name: "GOGC set", gogc: "50", want: 50},
		{name: "GOGC off", gogc: "off", want: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unsetenv(t, "GOGC")
			if tt.gogc != "" {
				t.Setenv("GOGC", tt.gogc)
			}
			// The runtime read GOGC at start: 50 stands for "what the user set".
			previous := debug.SetGCPercent(50)
			t.Cleanup(func() { debug.SetGCPercent(previous) })

			tuneGC()
			if got := debug.SetGCPercent(50); got != tt.want {
				t.Errorf("GC percent = %d, want %d", got, tt.want)
			}
		})
	}
}

// unsetenv unsets name for the test and restores it afterwards.
func unsetenv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	if err := os.Unsetenv(name); err != nil {
		t.Fatal(err)
	}
}
