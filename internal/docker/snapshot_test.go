package docker

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/dockwatch/dockwatch/internal/stats"
)

// newTestClient connects a Client to a fake daemon endpoint.
func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// mustSnapshot polls and fails the test on error.
func mustSnapshot(t *testing.T, c *Client, sel Selection) *Snapshot {
	t.Helper()
	snap, err := c.Snapshot(context.Background(), sel)
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	return snap
}

// byName indexes a snapshot's containers.
func byName(snap *Snapshot) map[string]ContainerStats {
	m := map[string]ContainerStats{}
	for _, c := range snap.Containers {
		m[c.Name] = c
	}
	return m
}

func webAndDB() []fakeContainer {
	return []fakeContainer{
		{ID: containerID("web-1"), Name: "web-1", Image: "nginx", State: container.StateRunning,
			Labels: map[string]string{"tier": "web"}, NanoCPUs: 500_000_000}, // --cpus 0.5
		{ID: containerID("web-2"), Name: "web-2", Image: "nginx", State: container.StateRunning,
			Labels: map[string]string{"tier": "web"}, CPUQuota: 200_000, CPUPeriod: 100_000}, // 2 cores
		{ID: containerID("db"), Name: "db", Image: "postgres", State: container.StateRunning,
			Labels: map[string]string{"tier": "db"}},
	}
}

func TestSnapshotComputesCPUOnSecondPollOnly(t *testing.T) {
	fake, endpoint := newFakeDaemon(t, "1.41", webAndDB()...)
	c := newTestClient(t, Config{Endpoint: endpoint})
	sel, err := ParseSelection([]string{"web-*"}, nil, "", false)
	if err != nil {
		t.Fatal(err)
	}

	first := mustSnapshot(t, c, sel)
	if first.Running != 3 || len(first.Containers) != 2 || first.Containers[0].Name != "web-1" {
		t.Fatalf("first poll: running %d, containers %+v", first.Running, first.Containers)
	}
	for _, cs := range first.Containers {
		if cs.CPUPercent != nil || cs.CPULimitPercent != nil {
			t.Errorf("%s: first poll CPU = %v / %v, want nil (no previous sample)", cs.Name, cs.CPUPercent, cs.CPULimitPercent)
		}
		wantMem := uint64(fakeMemUsage - fakeMemInactive) // 100 MiB - 20 MiB cache
		if cs.MemoryUsageBytes != wantMem || cs.MemoryLimitBytes != fakeMemLimit || cs.PIDs != 3 || cs.NetTxBytes != 2000 {
			t.Errorf("%s: first poll usage %+v", cs.Name, cs.Usage)
		}
		if want := float64(fakeMemUsage-fakeMemInactive) / fakeMemLimit * 100; cs.MemoryPercent != want {
			t.Errorf("%s: MemoryPercent %v, want %v", cs.Name, cs.MemoryPercent, want)
		}
	}

	second := byName(mustSnapshot(t, c, sel))
	// CPU time 2*5e8 - 1*5e8 over host time (1e15+2*4e9) - (1e15+1*4e9), 2 CPUs.
	wantCPU := (2.0*cpuPerSample - 1*cpuPerSample) / ((systemAtBoot + 2*systemPerSample) - (systemAtBoot + 1*systemPerSample)) * 2 * 100
	for name, limitCores := range map[string]float64{"web-1": 0.5, "web-2": 200_000.0 / 100_000} {
		cs := second[name]
		if cs.CPUPercent == nil || *cs.CPUPercent != wantCPU {
			t.Fatalf("%s: second poll CPU = %v, want %v", name, cs.CPUPercent, wantCPU)
		}
		if cs.CPULimitPercent == nil || *cs.CPULimitPercent != wantCPU/limitCores {
			t.Errorf("%s: CPULimitPercent = %v, want %v", name, cs.CPULimitPercent, wantCPU/limitCores)
		}
	}
	for _, name := range []string{"web-1", "web-2"} {
		if inspects, samples := fake.counts(containerID(name)); inspects != 1 || samples != 2 {
			t.Errorf("%s: %d inspects and %d stats calls over two polls, want 1 and 2", name, inspects, samples)
		}
	}
	for _, q := range fake.queries() {
		v, _ := url.ParseQuery(q)
		if v.Get("stream") != "0" || v.Get("one-shot") != "1" {
			t.Errorf("stats query %q: want stream=0&one-shot=1 on API 1.41", q)
		}
	}
}

func TestSnapshotReportsDaemonAndSortsByName(t *testing.T) {
	_, endpoint := newFakeDaemon(t, "1.41", webAndDB()...)
	c := newTestClient(t, Config{Endpoint: endpoint})
	snap := mustSnapshot(t, c, Selection{})
	want := DaemonInfo{Version: "20.10.24", APIVersion: "1.41", OS: "Debian GNU/Linux 12 (bookworm)",
		KernelVersion: "6.1.0-fake", NCPU: 2, MemTotalBytes: 25276026880, OSType: "linux", NegotiatedAPIVersion: "1.41"}
	if snap.Daemon != want {
		t.Errorf("Daemon = %+v\nwant    %+v", snap.Daemon, want)
	}
	var names []string
	for _, cs := range snap.Containers {
		names = append(names, cs.Name)
	}
	if strings.Join(names, ",") != "db,web-1,web-2" {
		t.Errorf("containers %v, want sorted db,web-1,web-2", names)
	}
	if snap.Taken.IsZero() || snap.Containers[0].Image != "postgres" || snap.Containers[0].Labels["tier"] != "db" {
		t.Errorf("snapshot metadata: %+v", snap.Containers[0])
	}
}

func TestSnapshotSkipsContainersThatLeaveMidPoll(t *testing.T) {
	tests := []struct {
		name     string
		reply    statsReply
		vanished bool // listed, then removed before inspect
	}{
		{name: "stats answers 404 no such container", reply: func(int) (int, string) {
			return 404, `{"message":"No such container: gone"}`
		}},
		{name: "stats answers 409 not running", reply: func(int) (int, string) {
			return 409, `{"message":"Container gone is not running"}`
		}},
		{name: "stopped mid-call: empty sample", reply: func(int) (int, string) {
			return 200, `{"read":"0001-01-01T00:00:00Z","preread":"0001-01-01T00:00:00Z","name":"/gone","id":"x"}`
		}},
		{name: "removed before inspect: 404", vanished: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gone := fakeContainer{ID: containerID("gone"), Name: "gone", State: container.StateRunning, Vanished: tt.vanished}
			fake, endpoint := newFakeDaemon(t, "1.41", append(webAndDB(), gone)...)
			if tt.reply != nil {
				fake.setReply(gone.ID, tt.reply)
			}
			c := newTestClient(t, Config{Endpoint: endpoint})
			assertGoneSkipped(t, mustSnapshot(t, c, Selection{}))
		})
	}
}

func assertGoneSkipped(t *testing.T, snap *Snapshot) {
	t.Helper()
	if len(snap.Containers) != 3 || len(snap.Skipped) != 1 || snap.Skipped[0].Name != "gone" {
		t.Fatalf("containers %d, skipped %+v: want 3 and [gone]", len(snap.Containers), snap.Skipped)
	}
	if err := snap.Skipped[0].Err; !errors.Is(err, ErrContainerGone) {
		t.Errorf("skip reason %v does not wrap ErrContainerGone", err)
	}
}

func TestSnapshotSkipsContainerWithMalformedStats(t *testing.T) {
	fake, endpoint := newFakeDaemon(t, "1.41", webAndDB()...)
	fake.setReply(containerID("db"), func(int) (int, string) { return 200, `{"read":"2026-11-29T05:00:00Z","cpu_stats":` })
	c := newTestClient(t, Config{Endpoint: endpoint})
	snap := mustSnapshot(t, c, Selection{})
	if len(snap.Containers) != 2 || len(snap.Skipped) != 1 {
		t.Fatalf("containers %d, skipped %+v: want 2 and [db]", len(snap.Containers), snap.Skipped)
	}
	err := snap.Skipped[0].Err
	if !errors.Is(err, stats.ErrMalformedStats) || errors.Is(err, ErrContainerGone) {
		t.Errorf("skip reason %v: want a malformed-stats error", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "get stats of container db on "+endpoint) {
		t.Errorf("skip reason %q does not say what failed where", msg)
	}
}

func TestSnapshotFailsWhenEveryContainerFails(t *testing.T) {
	fake, endpoint := newFakeDaemon(t, "1.41", webAndDB()...)
	for _, cs := range webAndDB() {
		fake.setReply(cs.ID, func(int) (int, string) { return 500, `{"message":"cgroup read failed"}` })
	}
	c := newTestClient(t, Config{Endpoint: endpoint})
	_, err := c.Snapshot(context.Background(), Selection{})
	if err == nil || !strings.Contains(err.Error(), "stats failed for all 3") || !strings.Contains(err.Error(), "cgroup read failed") {
		t.Fatalf("Snapshot error = %v, want every-container failure naming the daemon's message", err)
	}
}
