package docker

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// hostileFleet starts every hostile-body host of the fault suite: endless
// and oversized bodies on every path, megabyte strings everywhere, and
// hosts of 256 containers whose stats documents are each just under the
// stats cap, all in flight at once.
func hostileFleet(t *testing.T) []string {
	var hosts []string
	for _, fault := range []dockertest.Fault{dockertest.Endless, dockertest.Oversized} {
		for _, path := range dockertest.HostilePaths {
			h := dockertest.NewHostileAPI(t, "box", 3)
			h.SetFault(path, fault)
			hosts = append(hosts, h.Host)
		}
	}
	for _, path := range dockertest.HostilePaths {
		h := dockertest.NewHostileAPI(t, "mega", 3)
		h.OversizeBytes = 1 << 20
		h.SetFault(path, dockertest.Oversized)
		hosts = append(hosts, h.Host)
	}
	for range 4 {
		h := dockertest.NewHostileAPI(t, "wide", 256)
		h.OversizeBytes = maxStatsBytes - 1<<10
		h.SetFault(dockertest.PathStats, dockertest.Oversized)
		hosts = append(hosts, h.Host)
	}
	return hosts
}

// fleetServerVar makes TestHostileFleetServer serve the fleet for a parent
// test, so the fakes' own memory stays out of the parent's measurement.
const fleetServerVar = "DOCKWATCH_HOSTILE_FLEET_SERVER"

// TestHostileFleetServer is not a test: run by
// TestFaultHostileBodiesFromEveryHostAtOnceStayBounded in a child process,
// it serves hostileFleet, prints one endpoint a line, and serves until its
// standard input closes.
func TestHostileFleetServer(t *testing.T) {
	if os.Getenv(fleetServerVar) != "1" {
		t.Skip("serves the hostile fleet for another test only")
	}
	for _, h := range hostileFleet(t) {
		fmt.Println("HOST", h)
	}
	fmt.Println("READY")
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// startHostileFleet runs the hostile fleet in a child process and returns
// its endpoints.
func startHostileFleet(t *testing.T) []string {
	cmd := exec.Command(os.Args[0], "-test.run", "^TestHostileFleetServer$")
	cmd.Env = append(os.Environ(), fleetServerVar+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the hostile fleet: %v", err)
	}
	t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
	var hosts []string
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if line := lines.Text(); line == "READY" {
			go func() { _, _ = io.Copy(io.Discard, stdout) }()
			return hosts
		} else if h, ok := strings.CutPrefix(line, "HOST "); ok {
			hosts = append(hosts, h)
		}
	}
	t.Fatalf("the hostile fleet exited before it was ready")
	return nil
}

// TestFaultHostileBodiesFromEveryHostAtOnceStayBounded polls every
// hostile-body host of the suite at once, three times, and bounds this
// process's peak heap (the fakes run in a child process): the per-path
// caps, the per-poll budget and the process-wide bound on bytes in flight
// must keep it far below the manager's 512 MiB limit, where unbounded
// decoding reached gigabytes.
func TestFaultHostileBodiesFromEveryHostAtOnceStayBounded(t *testing.T) {
	hosts := startHostileFleet(t)
	clients := make([]*Client, len(hosts))
	for i, h := range hosts {
		clients[i] = newTestClient(t, Config{Endpoint: h, Timeout: 5 * time.Second})
	}
	// Run under a soft limit of 180 MiB, well below the 460.8 MiB the
	// manager gives itself in config/manager's 512 MiB pod: a bound that
	// holds here holds there.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(180 << 20))
	runtime.GC()
	debug.FreeOSMemory()
	mem := dockertest.WatchMemory()
	var failed atomic.Int32
	for round := 0; round < 3; round++ {
		var wg sync.WaitGroup
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if snap, err := c.Snapshot(ctx, Selection{}); pollProblem(snap, err) != nil {
					failed.Add(1)
				}
			}()
		}
		wg.Wait()
	}
	heap, rss := mem.Finish()
	t.Logf("%d hostile hosts polled at once, 3 rounds: peak heap in use %.0f MiB, peak RSS %.0f MiB (%d polls reported a problem)",
		len(hosts), heap, rss, failed.Load())
	fmt.Fprintf(os.Stderr, "MEASURED hostile-bodies peak heap %.0f MiB, peak RSS %.0f MiB, %d hosts\n", heap, rss, len(hosts))
	if heap >= 200 || rss >= 200 {
		t.Errorf("peak heap %.0f MiB, RSS %.0f MiB with every hostile host polled at once, want both < 200 MiB", heap, rss)
	}
}
