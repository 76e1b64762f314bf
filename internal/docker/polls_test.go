package docker

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

func TestSnapshotRequestsStatsConcurrently(t *testing.T) {
	const n = 100
	fake, endpoint := newFakeDaemon(t, "1.41", runningContainers("app", n)...)
	// Sequential requests would each wait the 5 s tick (over 8 minutes);
	// concurrent ones release each other as soon as all 100 are in flight.
	fake.gate = newStatsGate(n, 5*time.Second)
	c := newTestClient(t, Config{Endpoint: endpoint, Timeout: 10 * time.Second})
	start := time.Now()
	snap := mustSnapshot(t, c, Selection{})
	elapsed := time.Since(start)
	if len(snap.Containers) != n {
		t.Fatalf("%d containers, want %d (skipped %v)", len(snap.Containers), n, snap.Skipped)
	}
	if peak := fake.gate.peak(); peak != n {
		t.Errorf("at most %d stats requests in flight at once, want all %d", peak, n)
	}
	if elapsed >= 5*time.Second {
		t.Errorf("snapshot took %v: requests waited for the tick, so they were not all concurrent", elapsed)
	}
}

func TestSnapshotBoundsConcurrentStats(t *testing.T) {
	fake, endpoint := newFakeDaemon(t, "1.41", runningContainers("app", 40)...)
	fake.gate = newStatsGate(8, 2*time.Second)
	c := newTestClient(t, Config{Endpoint: endpoint, MaxConcurrentStats: 8})
	if snap := mustSnapshot(t, c, Selection{}); len(snap.Containers) != 40 {
		t.Fatalf("%d containers, want 40", len(snap.Containers))
	}
	if peak := fake.gate.peak(); peak != 8 {
		t.Errorf("peak of %d concurrent stats requests, want exactly the bound 8", peak)
	}
}

func TestSnapshotOfTwoThousandContainers(t *testing.T) {
	const n = 2000
	_, endpoint := newFakeDaemon(t, "1.41", runningContainers("svc", n)...)
	c := newTestClient(t, Config{Endpoint: endpoint, Timeout: 30 * time.Second})
	for poll := 1; poll <= 2; poll++ {
		snap := mustSnapshot(t, c, Selection{})
		if len(snap.Containers) != n || len(snap.Skipped) != 0 || snap.Running != n {
			t.Fatalf("poll %d: %d containers, %d skipped, %d running; want %d, 0, %d",
				poll, len(snap.Containers), len(snap.Skipped), snap.Running, n, n)
		}
		if first, last := snap.Containers[0].Name, snap.Containers[n-1].Name; first != "svc-0000" || last != "svc-1999" {
			t.Errorf("poll %d: not sorted by name: first %s, last %s", poll, first, last)
		}
		if cpu := snap.Containers[n-1].CPUPercent; (poll == 1) != (cpu == nil) {
			t.Errorf("poll %d: CPU %v", poll, cpu)
		}
	}
	if samples, limits := c.memory.size(); samples != n || limits != n {
		t.Errorf("memory holds %d samples and %d limits, want %d each", samples, limits, n)
	}
}

func TestSnapshotFallsBackToTwoSampleStatsBeforeAPI141(t *testing.T) {
	tests := []struct {
		name, daemonAPI, pinned, wantAPI string
	}{
		{name: "daemon negotiates 1.40", daemonAPI: "1.40", wantAPI: "1.40"},
		{name: "version pinned to 1.40", daemonAPI: "1.41", pinned: "1.40", wantAPI: "1.40"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, endpoint := newFakeDaemon(t, tt.daemonAPI, webAndDB()...)
			c := newTestClient(t, Config{Endpoint: endpoint, APIVersion: tt.pinned})
			snap := mustSnapshot(t, c, Selection{})
			if snap.Daemon.NegotiatedAPIVersion != tt.wantAPI {
				t.Errorf("negotiated %s, want %s", snap.Daemon.NegotiatedAPIVersion, tt.wantAPI)
			}
			// The daemon filled precpu: 5e8 of CPU over 4e9 of host time, 2 CPUs.
			wantCPU := float64(cpuPerSample) / systemPerSample * 2 * 100
			for _, cs := range snap.Containers {
				if cs.CPUPercent == nil || *cs.CPUPercent != wantCPU {
					t.Errorf("%s: first-poll CPU %v, want %v from the daemon's precpu", cs.Name, cs.CPUPercent, wantCPU)
				}
			}
			for _, q := range fake.queries() {
				if v, _ := url.ParseQuery(q); v.Get("stream") != "0" || v.Has("one-shot") {
					t.Errorf("stats query %q: want stream=0 without one-shot", q)
				}
			}
			if samples, _ := c.memory.size(); samples != 0 {
				t.Errorf("%d samples kept in two-sample mode, want 0", samples)
			}
		})
	}
}

func TestSnapshotForgetsRemovedContainers(t *testing.T) {
	all := webAndDB()
	fake, endpoint := newFakeDaemon(t, "1.41", all...)
	c := newTestClient(t, Config{Endpoint: endpoint})
	mustSnapshot(t, c, Selection{})
	if samples, limits := c.memory.size(); samples != 3 || limits != 3 {
		t.Fatalf("after first poll: %d samples, %d limits; want 3, 3", samples, limits)
	}

	fake.setContainers(all[0]) // web-2 and db removed
	mustSnapshot(t, c, Selection{})
	if samples, limits := c.memory.size(); samples != 1 || limits != 1 {
		t.Fatalf("after removal: %d samples, %d limits; want 1, 1", samples, limits)
	}

	fake.setContainers(all...) // db comes back with the same ID
	back := byName(mustSnapshot(t, c, Selection{}))
	if back["db"].CPUPercent != nil {
		t.Errorf("db back: CPU %v, want nil (its old sample was dropped)", *back["db"].CPUPercent)
	}
	if back["web-1"].CPUPercent == nil {
		t.Error("web-1 stayed: CPU nil, want a figure")
	}
	if inspects, _ := fake.counts(all[2].ID); inspects != 2 {
		t.Errorf("db inspected %d times, want 2 (its cached limit was dropped)", inspects)
	}
}

func TestSnapshotAllIncludesStoppedContainersWithoutStats(t *testing.T) {
	stopped := fakeContainer{ID: containerID("old"), Name: "old", State: container.StateExited}
	fake, endpoint := newFakeDaemon(t, "1.41", append(webAndDB(), stopped)...)
	c := newTestClient(t, Config{Endpoint: endpoint})

	running := mustSnapshot(t, c, Selection{})
	if _, listed := byName(running)["old"]; listed || running.Running != 3 {
		t.Errorf("running-only snapshot lists the stopped container or miscounts (%d running)", running.Running)
	}
	all := mustSnapshot(t, c, Selection{All: true})
	old, listed := byName(all)["old"]
	if !listed || old.State != "exited" || old.CPUPercent != nil || old.MemoryUsageBytes != 0 {
		t.Errorf("all snapshot: old = %+v (listed %v), want exited without figures", old, listed)
	}
	if all.Running != 3 {
		t.Errorf("Running = %d, want 3 (stopped ones not counted)", all.Running)
	}
	if inspects, samples := fake.counts(stopped.ID); inspects != 0 || samples != 0 {
		t.Errorf("stopped container inspected %d and sampled %d times, want 0", inspects, samples)
	}
}

func TestHungDaemonHitsTheTimeout(t *testing.T) {
	tests := []struct {
		name   string
		hang   func(path string) bool
		wantIn []string
	}{
		{name: "nothing answers", hang: func(string) bool { return true },
			wantIn: []string{"ping daemon on ", "no answer within 300ms"}},
		{name: "only stats hang", hang: func(p string) bool { return strings.HasSuffix(p, "/stats") },
			wantIn: []string{"stats failed for all 3", "get stats of container db on ", "no answer within 300ms"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake, endpoint := newFakeDaemon(t, "1.41", webAndDB()...)
			fake.hang = tt.hang
			c := newTestClient(t, Config{Endpoint: endpoint, Timeout: 300 * time.Millisecond})
			start := time.Now()
			_, err := c.Snapshot(context.Background(), Selection{})
			if err == nil {
				t.Fatal("Snapshot of a hung daemon succeeded")
			}
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("gave up after %v, want about the 300ms timeout", elapsed)
			}
			for _, want := range append(tt.wantIn, endpoint) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
			}
		})
	}
}

func TestSnapshotStopsWhenTheCallerCancels(t *testing.T) {
	fake, endpoint := newFakeDaemon(t, "1.41", webAndDB()...)
	fake.hang = func(p string) bool { return strings.HasSuffix(p, "/stats") }
	c := newTestClient(t, Config{Endpoint: endpoint})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Snapshot(ctx, Selection{})
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "no answer within 10s") {
		t.Fatalf("error %v: want the caller's deadline, not blamed on the 10s per-call timeout", err)
	}
}

// testClock is a settable clock for the Client's inspect cache.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestSnapshotSeesACPULimitChangedAtRuntime(t *testing.T) {
	web := fakeContainer{ID: containerID("web"), Name: "web", State: container.StateRunning, NanoCPUs: 500_000_000}
	fake, endpoint := newFakeDaemon(t, "1.41", web)
	c := newTestClient(t, Config{Endpoint: endpoint})
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	c.memory.now = clock.now
	wantCPU := float64(cpuPerSample) / systemPerSample * 2 * 100

	limitPercent := func(poll string) float64 {
		t.Helper()
		cs := byName(mustSnapshot(t, c, Selection{}))["web"]
		if cs.CPULimitPercent == nil {
			t.Fatalf("%s: CPULimitPercent nil", poll)
		}
		return *cs.CPULimitPercent
	}
	mustSnapshot(t, c, Selection{}) // baseline sample
	if got := limitPercent("before the update"); got != wantCPU/0.5 {
		t.Fatalf("before the update: CPULimitPercent %v, want %v against --cpus 0.5", got, wantCPU/0.5)
	}

	web.NanoCPUs = 1_000_000_000 // docker update --cpus 1
	fake.setContainers(web)
	clock.advance(inspectMaxAge - time.Second)
	if got := limitPercent("within the cache age"); got != wantCPU/0.5 {
		t.Errorf("within %v: CPULimitPercent %v, want the cached limit's %v", inspectMaxAge, got, wantCPU/0.5)
	}
	if inspects, _ := fake.counts(web.ID); inspects != 1 {
		t.Errorf("within %v: %d inspects, want 1", inspectMaxAge, inspects)
	}

	clock.advance(2 * time.Second)
	if got := limitPercent("after the cache age"); got != wantCPU/1 {
		t.Errorf("after %v: CPULimitPercent %v, want %v against the updated --cpus 1", inspectMaxAge, got, wantCPU)
	}
	if inspects, _ := fake.counts(web.ID); inspects != 2 {
		t.Errorf("after %v: %d inspects, want 2", inspectMaxAge, inspects)
	}
}

// TestSnapshotAsksForDaemonInfoOnlyWhenItIsOld: /version and /info describe
// the daemon, which rarely changes, so steady polling asks for them once per
// daemonInfoMaxAge, not once per poll. The container list is still asked
// every poll.
func TestSnapshotAsksForDaemonInfoOnlyWhenItIsOld(t *testing.T) {
	fake, endpoint := newFakeDaemon(t, "1.41", fakeContainer{ID: containerID("web"), Name: "web", State: container.StateRunning})
	c := newTestClient(t, Config{Endpoint: endpoint})
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	c.memory.now = clock.now

	for range 3 {
		if snap := mustSnapshot(t, c, Selection{}); snap.Daemon.NCPU != 2 || snap.Daemon.Version != "20.10.24" {
			t.Fatalf("daemon info = %+v", snap.Daemon)
		}
		clock.advance(time.Minute)
	}
	if got := [3]int{fake.served("/info"), fake.served("/version"), fake.served("/containers/json")}; got != [3]int{1, 1, 3} {
		t.Fatalf("info, version, list requests over 3 polls = %v, want [1 1 3]", got)
	}
	clock.advance(daemonInfoMaxAge)
	mustSnapshot(t, c, Selection{})
	if got := fake.served("/info"); got != 2 {
		t.Fatalf("info requests once the description is %v old = %d, want 2", daemonInfoMaxAge, got)
	}
}
