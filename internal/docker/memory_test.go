package docker

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// TestBaselinesStayCompact: a fleet keeps one baseline per watched
// container (50,000 at 1,000 hosts), so each must cost a few hundred bytes,
// not a StatsResponse, whatever per-CPU list the daemon sent.
func TestBaselinesStayCompact(t *testing.T) {
	const containers = 20000
	sample := &container.StatsResponse{Read: time.Now()}
	sample.CPUStats.CPUUsage.TotalUsage = 12345
	sample.CPUStats.CPUUsage.PercpuUsage = make([]uint64, 64)
	sample.CPUStats.SystemUsage, sample.CPUStats.OnlineCPUs = 67890, 64
	ids := make([]string, containers)
	for i := range ids {
		ids[i] = fmt.Sprintf("%064d", i)
	}
	// Other tests' goroutines may still free memory while this measures:
	// a heap that shrank says nothing, so measure again.
	var m *sampleMemory
	var grown int64 = -1
	for try := 0; try < 5 && grown < 0; try++ {
		before := heapInUse()
		m = newSampleMemory()
		for _, id := range ids {
			m.swapSample(id, sample)
		}
		grown = int64(heapInUse()) - int64(before)
	}
	if grown < 0 {
		t.Fatalf("the heap shrank in each of five measurements (last by %d bytes): nothing measured", -grown)
	}
	perContainer := float64(grown) / containers
	t.Logf("%.0f bytes of heap per kept baseline", perContainer)
	if perContainer > 400 {
		t.Errorf("%.0f bytes per baseline, want at most 400", perContainer)
	}
	prev := m.swapSample(ids[0], sample)
	if prev == nil || prev.CPUStats.CPUUsage.TotalUsage != 12345 || prev.CPUStats.SystemUsage != 67890 ||
		prev.CPUStats.OnlineCPUs != 64 || !prev.Read.Equal(sample.Read) || prev.CPUStats.CPUUsage.PercpuUsage != nil {
		t.Errorf("baseline given back = %+v, want the counters and time of the sample without its per-CPU list", prev)
	}
	runtime.KeepAlive(m)
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
