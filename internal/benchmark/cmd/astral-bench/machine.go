package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/astral/terraform-provider-astral/internal/benchmark"
)

// describeMachine gathers what a reader needs to compare figures across
// machines. A fact it cannot find is left empty and shows as "unknown".
func describeMachine(ctx context.Context) benchmark.Machine {
	m := benchmark.Machine{
		Date:       time.Now(),
		CPUs:       runtime.NumCPU(),
		CPUModel:   cpuModel(),
		OS:         runtime.GOOS + "/" + runtime.GOARCH,
		LoadBefore: loadAverage(),
	}
	if release, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.OS += " " + strings.TrimSpace(string(release))
	}
	if v, err := output(ctx, "", "go", "env", "GOVERSION"); err == nil {
		m.GoVersion = v
	}
	if js, err := output(ctx, "", "terraform", "version", "-json"); err == nil {
		var v struct {
			Version string `json:"terraform_version"`
		}
		if json.Unmarshal([]byte(js), &v) == nil && v.Version != "" {
			m.TerraformVersion = "Terraform " + v.Version
		}
	}
	return m
}

func cpuModel() string {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if name, value, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// loadAverage is the 1, 5 and 15 minute load average from /proc/loadavg.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
