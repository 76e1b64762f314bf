package dockertest

import (
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// MemoryWatch measures a test's peak memory: the heap in use, sampled every
// few milliseconds, and the process's peak RSS (VmHWM), reset when the
// watch starts so that earlier tests in the same process do not count.
type MemoryWatch struct {
	heap atomic.Uint64
	stop chan struct{}
	done sync.WaitGroup
}

// WatchMemory starts measuring. Call Finish once.
func WatchMemory() *MemoryWatch {
	// Writing 5 to clear_refs resets VmHWM (Linux >= 4.0; harmless elsewhere).
	_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	w := &MemoryWatch{stop: make(chan struct{})}
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > w.heap.Load() {
				w.heap.Store(m.HeapInuse)
			}
			select {
			case <-w.stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return w
}

// Finish stops sampling and returns the peak heap in use and the peak RSS
// since WatchMemory, in MiB (RSS 0 where /proc is not available).
func (w *MemoryWatch) Finish() (heapMiB, rssMiB float64) {
	close(w.stop)
	w.done.Wait()
	return float64(w.heap.Load()) / (1 << 20), peakRSSMiB()
}

// peakRSSMiB is VmHWM from /proc/self/status, 0 where it is not available.
func peakRSSMiB() float64 {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
