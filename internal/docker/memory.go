package docker

import (
	"sync"

	"github.com/docker/docker/api/types/container"
)

// sampleMemory is what the Client remembers between polls, per container
// ID: the previous one-shot CPU sample (the baseline for CPU deltas) and the
// CPU limit from inspect (so inspect runs once per container, not per poll).
// Entries of containers that leave the selection are dropped each poll, so
// memory stays bounded by the number of watched containers.
type sampleMemory struct {
	mu        sync.Mutex
	previous  map[string]*container.StatsResponse
	cpuLimits map[string]float64
	cgroups   map[string]cgroupEntry // StatsSourceCgroup only
}

func newSampleMemory() *sampleMemory {
	return &sampleMemory{
		previous:  map[string]*container.StatsResponse{},
		cpuLimits: map[string]float64{},
		cgroups:   map[string]cgroupEntry{},
	}
}

// swapSample stores cur as the container's baseline and returns the one it
// replaces (nil for a container seen for the first time). Only the fields
// the CPU math reads are kept, without the per-CPU list.
func (m *sampleMemory) swapSample(id string, cur *container.StatsResponse) *container.StatsResponse {
	kept := &container.StatsResponse{Read: cur.Read, CPUStats: cur.CPUStats}
	kept.CPUStats.CPUUsage.PercpuUsage = nil
	m.mu.Lock()
	defer m.mu.Unlock()
	prev := m.previous[id]
	m.previous[id] = kept
	return prev
}

// cpuLimit returns the cached CPU limit in cores of a container.
func (m *sampleMemory) cpuLimit(id string) (float64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	limit, ok := m.cpuLimits[id]
	return limit, ok
}

// setCPULimit caches a container's CPU limit in cores (0 = none).
func (m *sampleMemory) setCPULimit(id string, cores float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cpuLimits[id] = cores
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
