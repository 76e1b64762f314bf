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
// inspectMaxAge, not per poll). Both sit in one pointer-free entry, so a
// container costs one map slot and one copy of its ID (a 1,000-host manager
// keeps 50,000). Entries of containers that leave the selection are dropped
// each poll, so memory stays bounded by the number of watched containers.
type sampleMemory struct {
	mu      sync.Mutex
	now     func() time.Time // the clock that ages CPU limits and the daemon info; tests set it
	entries map[string]memoryEntry
	cgroups map[string]cgroupEntry // StatsSourceCgroup only
}

// memoryEntry is one container's remembered sample and CPU limit; either
// may be missing.
type memoryEntry struct {
	sample              baseline
	hasSample, hasLimit bool
	// cores is the CPU limit in cores (0 = none) that inspect reported at
	// inspected, a wall-clock time in Unix nanoseconds (a time.Time would
	// put a pointer in the entry). A clock that stepped back makes it look
	// inspected in the future, which counts as expired: inspect once more.
	cores     float64
	inspected int64
}

func newSampleMemory() *sampleMemory {
	return &sampleMemory{
		now:     time.Now,
		entries: map[string]memoryEntry{},
		cgroups: map[string]cgroupEntry{},
	}
}

// swapSample stores cur as the container's baseline and returns the one it
// replaces (nil for a container seen for the first time).
func (m *sampleMemory) swapSample(id string, cur *container.StatsResponse) *container.StatsResponse {
	kept := baselineOf(cur)
	m.mu.Lock()
	e := m.entries[id]
	prev, had := e.sample, e.hasSample
	e.sample, e.hasSample = kept, true
	m.entries[id] = e
	m.mu.Unlock()
	if !had {
		return nil
	}
	return prev.response()
}

// hasBaseline reports whether a sample of the container is kept.
func (m *sampleMemory) hasBaseline(id string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.entries[id].hasSample
}

// cpuLimit returns the cached CPU limit in cores of a container; ok is
// false when none is cached or it is older than inspectMaxAge.
func (m *sampleMemory) cpuLimit(id string) (cores float64, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[id]
	if !e.hasLimit {
		return 0, false
	}
	if age := m.now().Sub(time.Unix(0, e.inspected)); age < 0 || age >= inspectMaxAge {
		return 0, false
	}
	return e.cores, true
}

// setCPULimit caches a container's CPU limit in cores (0 = none), as
// inspected now.
func (m *sampleMemory) setCPULimit(id string, cores float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entries[id]
	e.cores, e.inspected, e.hasLimit = cores, m.now().UnixNano(), true
	m.entries[id] = e
}

// forgetCPULimitLocked drops a container's cached CPU limit; its sample
// stays. The caller holds m.mu.
func (m *sampleMemory) forgetCPULimitLocked(id string) {
	e, ok := m.entries[id]
	if !ok {
		return
	}
	e.cores, e.inspected, e.hasLimit = 0, 0, false
	if !e.hasSample {
		delete(m.entries, id)
		return
	}
	m.entries[id] = e
}

// retain forgets every container not in keep.
func (m *sampleMemory) retain(keep map[string]struct{}) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for id := range m.entries {
		if _, ok := keep[id]; !ok {
			delete(m.entries, id)
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
	for _, e := range m.entries {
		if e.hasSample {
			samples++
		}
		if e.hasLimit {
			limits++
		}
	}
	return samples, limits
}
