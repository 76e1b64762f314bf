package docker

import (
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// TestBaselinesStayCompact: a fleet keeps one baseline and one cached CPU
// limit per watched container (50,000 at 1,000 hosts), so together they
// must cost at most 180 bytes with their map slot, not a StatsResponse,
// whatever per-CPU list the daemon sent. Measured in the shape a manager
// holds them (a memory of 50 containers per host): 165 bytes, against 191
// when the limit had a map of its own.
func TestBaselinesStayCompact(t *testing.T) {
	const hosts, perHost = 400, 50 // one sampleMemory per host, as a manager holds them
	sample := &container.StatsResponse{Read: time.Now()}
	sample.CPUStats.CPUUsage.TotalUsage = 12345
	sample.CPUStats.CPUUsage.PercpuUsage = make([]uint64, 64)
	sample.CPUStats.SystemUsage, sample.CPUStats.OnlineCPUs = 67890, 64
	ids := make([]string, hosts*perHost)
	for i := range ids {
		ids[i] = fmt.Sprintf("%064d", i)
	}
	// Other tests' goroutines may still free memory while this measures:
	// a heap that shrank says nothing, so measure again.
	var mems []*sampleMemory
	var grown int64 = -1
	for try := 0; try < 5 && grown < 0; try++ {
		mems = nil // a try measures from a heap without the last try's memories
		before := heapInUse()
		mems = make([]*sampleMemory, hosts)
		for h := range mems {
			mems[h] = newSampleMemory()
			for _, id := range ids[h*perHost : (h+1)*perHost] {
				mems[h].swapSample(id, sample)
				mems[h].setCPULimit(id, 1.5)
			}
		}
		grown = int64(heapInUse()) - int64(before)
	}
	if grown < 0 {
		t.Fatalf("the heap shrank in each of five measurements (last by %d bytes): nothing measured", -grown)
	}
	perContainer := float64(grown) / float64(len(ids))
	t.Logf("%.0f bytes of heap per container for its baseline and CPU limit", perContainer)
	if perContainer > 180 {
		t.Errorf("%.0f bytes per container, want at most 180", perContainer)
	}
	m := mems[0]
	if cores, ok := m.cpuLimit(ids[1]); !ok || cores != 1.5 {
		t.Errorf("cpuLimit = %v, %v; want 1.5, true", cores, ok)
	}
	prev := m.swapSample(ids[0], sample)
	if prev == nil || prev.CPUStats.CPUUsage.TotalUsage != 12345 || prev.CPUStats.SystemUsage != 67890 ||
		prev.CPUStats.OnlineCPUs != 64 || !prev.Read.Equal(sample.Read.Round(0)) || prev.CPUStats.CPUUsage.PercpuUsage != nil {
		t.Errorf("baseline given back = %+v, want the counters and time of the sample without its per-CPU list", prev)
	}
	runtime.KeepAlive(mems)
}

// heapInUse is the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// TestBaselinesHoldNoPointer: the garbage collector scans every pointer in
// the live heap at each cycle, and a manager keeps an entry (a baseline and
// a CPU limit) per watched container, so an entry must hold none (a
// time.Time holds one).
func TestBaselinesHoldNoPointer(t *testing.T) {
	var walk func(reflect.Type, string)
	walk = func(typ reflect.Type, path string) {
		switch typ.Kind() {
		case reflect.Struct:
			for i := range typ.NumField() {
				walk(typ.Field(i).Type, path+"."+typ.Field(i).Name)
			}
		case reflect.Array:
			walk(typ.Elem(), path+"[]")
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.String, reflect.Interface, reflect.Chan, reflect.Func, reflect.UnsafePointer:
			t.Errorf("memoryEntry%s is a %s, which holds a pointer", path, typ.Kind())
		}
	}
	walk(reflect.TypeFor[memoryEntry](), "")
}

// TestBaselineGivesBackWhatTheCPUMathReads: a baseline turned back into a
// sample has the read stamp and every CPU counter of the one it was made
// from (but the per-CPU list), and a sample without a read stamp stays
// without one.
func TestBaselineGivesBackWhatTheCPUMathReads(t *testing.T) {
	read := time.Date(2026, 12, 7, 14, 30, 0, 123456789, time.UTC)
	s := &container.StatsResponse{Read: read}
	s.CPUStats = container.CPUStats{
		CPUUsage:    container.CPUUsage{TotalUsage: 1, UsageInKernelmode: 2, UsageInUsermode: 3, PercpuUsage: []uint64{4, 5}},
		SystemUsage: 6, OnlineCPUs: 7,
		ThrottlingData: container.ThrottlingData{Periods: 8, ThrottledPeriods: 9, ThrottledTime: 10},
	}
	got := baselineOf(s).response()
	want := s.CPUStats
	want.CPUUsage.PercpuUsage = nil
	if !got.Read.Equal(read) || !reflect.DeepEqual(got.CPUStats, want) {
		t.Errorf("baseline gave back read %s, CPU %+v; want %s, %+v", got.Read, got.CPUStats, read, want)
	}
	if none := baselineOf(&container.StatsResponse{}).response(); !none.Read.IsZero() {
		t.Errorf("a sample without a read stamp came back with %s", none.Read)
	}
}

// TestCachedCPULimitAges: a cached limit is trusted for inspectMaxAge by
// the memory's clock; one that looks inspected in the future (the clock
// stepped back) is not trusted either, and forgetting it keeps the sample.
func TestCachedCPULimitAges(t *testing.T) {
	inspected := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		now    time.Time
		wantOK bool
	}{
		{"just inspected", inspected, true},
		{"within the max age", inspected.Add(inspectMaxAge - time.Second), true},
		{"at the max age", inspected.Add(inspectMaxAge), false},
		{"clock stepped back", inspected.Add(-time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newSampleMemory()
			m.now = func() time.Time { return inspected }
			m.setCPULimit("c1", 2)
			m.now = func() time.Time { return tt.now }
			if cores, ok := m.cpuLimit("c1"); ok != tt.wantOK || (ok && cores != 2) {
				t.Errorf("cpuLimit = %v, %v; want 2, %v", cores, ok, tt.wantOK)
			}
		})
	}

	m := newSampleMemory()
	if _, ok := m.cpuLimit("c1"); ok {
		t.Error("a limit never cached is trusted")
	}
	m.now = func() time.Time { return time.Unix(0, 0) } // an epoch clock still caches
	m.setCPULimit("c1", 0)
	if cores, ok := m.cpuLimit("c1"); !ok || cores != 0 {
		t.Errorf("cpuLimit of a container without a limit, cached at Unix 0 = %v, %v; want 0, true", cores, ok)
	}
	m.swapSample("c1", &container.StatsResponse{Read: time.Now()})
	m.forgetInspect("c1")
	if _, ok := m.cpuLimit("c1"); ok {
		t.Error("a forgotten limit is still trusted")
	}
	if !m.hasBaseline("c1") {
		t.Error("forgetting the limit dropped the sample")
	}
	if samples, limits := m.size(); samples != 1 || limits != 0 {
		t.Errorf("size = %d samples, %d limits; want 1, 0", samples, limits)
	}
	m.forgetInspect("c1")
	m.retain(map[string]struct{}{})
	if samples, limits := m.size(); samples != 0 || limits != 0 {
		t.Errorf("after retain of nothing, size = %d, %d; want 0, 0", samples, limits)
	}
}
