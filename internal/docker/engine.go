package docker

import (
	"strings"

	"github.com/docker/docker/api/types"

	"github.com/dockwatch/dockwatch/internal/stats"
)

// Values of DaemonInfo.Engine: which engine serves the Docker API.
const (
	// EngineDocker is Docker Engine (dockerd, Moby).
	EngineDocker = "Docker"
	// EnginePodman is Podman's Docker-compatible service
	// (`podman system service`).
	EnginePodman = "Podman"
)

// Component names /version lists for the engine itself (API >= 1.35).
const (
	dockerEngineComponent = "Engine"
	podmanEngineComponent = "Podman Engine"
)

// engineOf identifies the engine from /version: its Components entry
// ("Engine" for Docker, "Podman Engine" for Podman), else Platform.Name
// ("Docker Engine - Community", or a name mentioning Podman). version is
// the engine component's version, else /version's Version. Both are ""
// when neither says, as with daemons older than API 1.35: DaemonInfo's
// Version is then all that is known.
func engineOf(v types.Version) (kind, version string) {
	version = v.Version
	for _, c := range v.Components {
		switch c.Name {
		case podmanEngineComponent:
			return EnginePodman, stringOr(c.Version, version)
		case dockerEngineComponent:
			return EngineDocker, stringOr(c.Version, version)
		}
	}
	platform := strings.ToLower(v.Platform.Name)
	switch {
	case strings.Contains(platform, "podman"):
		return EnginePodman, version
	case strings.Contains(platform, "docker"):
		return EngineDocker, version
	}
	return "", ""
}

// stringOr returns s, or def when s is empty.
func stringOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// hostCounterRule is how the CPU figure treats the daemon's
// system_cpu_usage (see stats.HostCounter). Docker's counter is total host
// CPU time and keeps `docker stats`' formula; Podman's is busy time only
// and is never used; an unrecognised engine is checked sample pair by
// sample pair. With StatsSourceCgroup the counter comes from this
// machine's /proc/stat, not from the engine, whatever the engine is.
func hostCounterRule(engine string, cgroupSource bool) stats.HostCounter {
	switch {
	case cgroupSource, engine == EngineDocker:
		return stats.HostCounterTrusted
	case engine == EnginePodman:
		return stats.HostCounterUntrusted
	default:
		return stats.HostCounterChecked
	}
}
