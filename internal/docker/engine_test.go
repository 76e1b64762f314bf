package docker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/docker/docker/api/types"

	"github.com/dockwatch/dockwatch/internal/stats"
)

// loadVersion decodes a recorded /version answer from testdata.
func loadVersion(t *testing.T, name string) types.Version {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	var v types.Version
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return v
}

func TestEngineOfRecordedAndOlderVersions(t *testing.T) {
	tests := []struct {
		name          string
		v             types.Version
		kind, version string
	}{
		{"podman 4.3.1 names its Podman Engine component",
			loadVersion(t, "version-podman-4.3.1.json"), EnginePodman, "4.3.1"},
		{"docker 20.10 names its Engine component",
			loadVersion(t, "version-docker-20.10.24.json"), EngineDocker, "20.10.24+dfsg1"},
		{"docker-ce says so in Platform.Name",
			types.Version{Platform: struct{ Name string }{"Docker Engine - Community"}, Version: "27.1.1"}, EngineDocker, "27.1.1"},
		{"a platform name mentioning podman",
			types.Version{Platform: struct{ Name string }{"Podman Engine"}, Version: "5.2.0"}, EnginePodman, "5.2.0"},
		{"an engine component without a version falls back to Version",
			types.Version{Components: []types.ComponentVersion{{Name: "Engine"}}, Version: "19.03.15"}, EngineDocker, "19.03.15"},
		{"a daemon before API 1.35 does not say",
			types.Version{Version: "17.06.0-ce", APIVersion: "1.30"}, "", ""},
		{"an unknown engine's components do not say either",
			types.Version{Components: []types.ComponentVersion{{Name: "Other Engine", Version: "1.0"}}, Version: "1.0"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, version := engineOf(tt.v)
			if kind != tt.kind || version != tt.version {
				t.Errorf("engineOf = %q, %q; want %q, %q", kind, version, tt.kind, tt.version)
			}
		})
	}
}

func TestHostCounterRuleByEngineAndSource(t *testing.T) {
	tests := []struct {
		engine string
		cgroup bool
		want   stats.HostCounter
	}{
		{EngineDocker, false, stats.HostCounterTrusted},
		{EnginePodman, false, stats.HostCounterUntrusted},
		{"", false, stats.HostCounterChecked},
		{EnginePodman, true, stats.HostCounterTrusted}, // our own /proc/stat counter
		{"", true, stats.HostCounterTrusted},
	}
	for _, tt := range tests {
		if got := hostCounterRule(tt.engine, tt.cgroup); got != tt.want {
			t.Errorf("hostCounterRule(%q, cgroup=%v) = %v, want %v", tt.engine, tt.cgroup, got, tt.want)
		}
	}
}
