package docker

import (
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
)

// inspectMaxAge is how long a container's inspect answer (its CPU limit
// and, for StatsSourceCgroup, its cgroup) is trusted before the container is
// inspected again. Limits can change at runtime (docker update --cpus), and
// one inspect per container every five minutes is cheap next to a stats
// request per container per poll.
const inspectMaxAge = 5 * time.Minute

// sampleMemory is what the Client remembers between polls, per container
// ID: the previous one-shot CPU sample (the baseline for CPU deltas) and the
// CPU limit from inspect (so inspect runs once per container every
// inspectMaxAge, not per poll). Entries of containers that leave the
// selection are dropped each poll, so memory stays bounded by the number of
// watched containers.
type sampleMemory struct {
	mu        sync.Mutex
	now       func() time.Time // the clock that ages cpuLimits; tests set it
	previous  map[string]baseline
	cpuLimits map[string]cpuLimitEntry
	cgroups   map[string]cgroupEntry // StatsSourceCgroup only
}

// cpuLimitEntry is a container's CPU limit in cores (0 = none) and when
// inspect reported it.
type cpuLimitEntry struct {
	cores     float64
	inspected time.Time
}

func newSampleMemory() *sampleMemory {
	return &sampleMemory{
		now:       time.Now,
		previous:  map[string]baseline{},
		cpuLimits: map[string]cpuLimitEntry{},
		cgroups:   map[string]cgroupEntry{},
	}
}

// swapSample stores cur as the container's baseline and returns the one it
// replaces (nil for a container seen for the first time).
func (m *sampleMemory) swapSample(id string, cur *container.StatsResponse) *container.StatsResponse {
	kept := baselineOf(cur)
	m.mu.Lock()
	prev, ok := m.previous[id]
	m.previous[id] = kept
	m.mu.Unlock()
	if !ok {
		return nil
	}
	return prev.response()
}

// hasBaseline reports whether a sample of the container is kept.
func (m *sampleMemory) hasBaseline(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.previous[id]
	return ok
}

// cpuLimit returns the cached CPU limit in cores of a container; ok is
// false when none is cached or it is older than inspectMaxAge.
func (m *sampleMemory) cpuLimit(id string) (cores float64, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.cpuLimits[id]
	if !ok || m.now().Sub(e.inspected) >= inspectMaxAge {
		return 0, false
	}
	return e.cores, true
}

// setCPULimit caches a container's CPU limit in cores (0 = none), as
// inspected now.
func (m *sampleMemory) setCPULimit(id string, cores float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cpuLimits[id] = cpuLimitEntry{cores: cores, inspected: m.now()}
}

// retain forgets every container not in keep.
func (m *sampleMemory) retain(keep map[string]struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.previous {
		if _, ok := keep[id]; !ok {
			delete(m.previous, id)
		}
	}
	for id := range m.cpuLimits {
		if _, ok := keep[id]; !ok {
			delete(m.cpuLimits, id)
		}
	}
	for id := range m.cgroups {
		if _, ok := keep[id]; !ok {
			delete(m.cgroups, id)
		}
	}
}

// size reports how many containers have a baseline and a cached limit.
func (m *sampleMemory) size() (samples, limits int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.previous), len(m.cpuLimits)
}
