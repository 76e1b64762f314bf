package cgroupstats

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/docker/docker/api/types/container"

	"github.com/dockwatch/dockwatch/internal/stats"
)

// Expected values are written as the arithmetic over the fixture files.

func TestReadV1FillsTheDaemonsFields(t *testing.T) {
	root, proc := fixture(t, "v1")
	r := NewReader(root, proc)
	s, err := r.Read(locate(t, r, fixtureV1))
	if err != nil {
		t.Fatal(err)
	}
	cpu := s.CPUStats
	if cpu.CPUUsage.TotalUsage != 123456789012 {
		t.Errorf("total_usage = %d, want cpuacct.usage 123456789012", cpu.CPUUsage.TotalUsage)
	}
	// user nice system idle iowait irq softirq; steal (700) is left out.
	if want := uint64(1000+20+300+5000+40+5+6) * 1e7; cpu.SystemUsage != want {
		t.Errorf("system_cpu_usage = %d, want %d", cpu.SystemUsage, want)
	}
	if cpu.OnlineCPUs != 4 {
		t.Errorf("online_cpus = %d, want 4 (cpu0..cpu3)", cpu.OnlineCPUs)
	}
	if want := (container.ThrottlingData{Periods: 40, ThrottledPeriods: 15, ThrottledTime: 2500000000}); cpu.ThrottlingData != want {
		t.Errorf("throttling_data = %+v, want cpu.stat's %+v", cpu.ThrottlingData, want)
	}
	m := s.MemoryStats
	if m.Usage != 10485760 || m.Limit != 2048000*1024 || m.Stats["total_inactive_file"] != 2097152 {
		t.Errorf("memory usage %d limit %d total_inactive_file %d, want 10485760, MemTotal %d (no limit) and 2097152",
			m.Usage, m.Limit, m.Stats["total_inactive_file"], 2048000*1024)
	}
	if s.PidsStats.Current != 3 {
		t.Errorf("pids current = %d, want 3", s.PidsStats.Current)
	}
	if n := len(s.BlkioStats.IoServiceBytesRecursive); n != 12 {
		t.Errorf("%d blkio entries, want 12 (6 ops on 2 devices; the last line, a sum over devices, skipped)", n)
	}
	wantNet := map[string]container.NetworkStats{"eth0": {RxBytes: 117457, RxPackets: 900, RxErrors: 1, RxDropped: 2,
		TxBytes: 76077, TxPackets: 600, TxErrors: 3, TxDropped: 4}}
	if !reflect.DeepEqual(s.Networks, wantNet) {
		t.Errorf("networks = %+v, want eth0 only (lo left out) %+v", s.Networks, wantNet)
	}
	if s.ID != idV1 || s.Read.IsZero() || s.PreCPUStats.SystemUsage != 0 {
		t.Errorf("id %q, read %v, precpu %+v: want the ID, a read time and an empty precpu", s.ID, s.Read, s.PreCPUStats)
	}
}

func TestReadV2FillsTheDaemonsFields(t *testing.T) {
	root, proc := fixture(t, "v2")
	r := NewReader(root, proc)
	s, err := r.Read(locate(t, r, fixtureV2))
	if err != nil {
		t.Fatal(err)
	}
	want := container.CPUStats{
		CPUUsage:       container.CPUUsage{TotalUsage: 2500000 * 1000, UsageInUsermode: 2000000 * 1000, UsageInKernelmode: 500000 * 1000},
		SystemUsage:    uint64(2000+0+1000+7000) * 1e7,
		OnlineCPUs:     2,
		ThrottlingData: container.ThrottlingData{Periods: 10, ThrottledPeriods: 2, ThrottledTime: 3000 * 1000},
	}
	if !reflect.DeepEqual(s.CPUStats, want) {
		t.Errorf("cpu_stats = %+v\nwant %+v", s.CPUStats, want)
	}
	m := s.MemoryStats
	if m.Usage != 115343360 || m.Limit != 4096000*1024 || m.Stats["inactive_file"] != 20971520 {
		t.Errorf("memory usage %d limit %d inactive_file %d, want 115343360, MemTotal (memory.max is max) and 20971520",
			m.Usage, m.Limit, m.Stats["inactive_file"])
	}
	wantIO := []container.BlkioStatEntry{
		{Major: 8, Minor: 0, Op: "read", Value: 8192}, {Major: 8, Minor: 0, Op: "write", Value: 2097152},
		{Major: 253, Minor: 0, Op: "read", Value: 4096}, {Major: 253, Minor: 0, Op: "write", Value: 0},
	}
	if !reflect.DeepEqual(s.BlkioStats.IoServiceBytesRecursive, wantIO) {
		t.Errorf("io_service_bytes_recursive = %+v\nwant %+v", s.BlkioStats.IoServiceBytesRecursive, wantIO)
	}
	if s.PidsStats.Current != 13 || s.Networks != nil {
		t.Errorf("pids %d networks %v, want 13 and none (only lo in the namespace)", s.PidsStats.Current, s.Networks)
	}
}

func TestComputeOverTwoReadsGivesDockerStatsFigures(t *testing.T) {
	root, proc := fixture(t, "v1")
	r := NewReader(root, proc)
	loc := locate(t, r, fixtureV1)
	prev, err := r.Read(loc)
	if err != nil {
		t.Fatal(err)
	}
	// One second later on 4 CPUs: 400 ticks more in total, 0.5 s of it ours.
	writeFile(t, filepath.Join(v1Dir(root, "cpu,cpuacct"), "cpuacct.usage"), "123956789012\n")
	writeFile(t, filepath.Join(proc, "stat"), "cpu  1100 20 400 5200 40 5 6 700 0 0\ncpu0 1\ncpu1 1\ncpu2 1\ncpu3 1\n")
	// 10 CFS periods more, 5 of them throttled.
	writeFile(t, filepath.Join(v1Dir(root, "cpu,cpuacct"), "cpu.stat"), "nr_periods 50\nnr_throttled 20\nthrottled_time 3000000000\n")
	cur, err := r.Read(loc)
	if err != nil {
		t.Fatal(err)
	}
	u := stats.Compute(cur, prev, "linux", 1)
	// 5e8 ns over 400 ticks × 1e7 ns, × 4 CPUs × 100 = 50 % of one core.
	if u.CPUPercent == nil || *u.CPUPercent != 50 {
		t.Errorf("CPU %% = %v, want 50", u.CPUPercent)
	}
	if u.MemoryUsageBytes != 10485760-2097152 || u.BlockReadBytes != 4096+8192 || u.BlockWriteBytes != 1048576 ||
		u.NetRxBytes != 117457 || u.NetTxBytes != 76077 || u.PIDs != 3 {
		t.Errorf("usage = %+v", u)
	}
	if p := u.CPUThrottledPercent; p == nil || *p != 50 {
		t.Errorf("cpu throttled %% = %v (nil: none), want 50 (5 of 10 periods)", derefOr(p, -1))
	}
}

func TestReadKeepsALimitBelowHostMemory(t *testing.T) {
	root1, proc1 := fixture(t, "v1")
	writeFile(t, filepath.Join(v1Dir(root1, "memory"), "memory.limit_in_bytes"), "67108864\n")
	root2, proc2 := fixture(t, "v2")
	writeFile(t, filepath.Join(v2Dir(root2), "memory.max"), "67108864\n")
	for _, tt := range []struct {
		root, proc string
		c          Container
	}{{root1, proc1, fixtureV1}, {root2, proc2, fixtureV2}} {
		r := NewReader(tt.root, tt.proc)
		s, err := r.Read(locate(t, r, tt.c))
		if err != nil {
			t.Fatal(err)
		}
		if s.MemoryStats.Limit != 64<<20 {
			t.Errorf("cgroup v%s: limit = %d, want 64 MiB", tt.c.CgroupVersion, s.MemoryStats.Limit)
		}
	}
}

func TestReadV1PrefersCFQBlkioWhenItHasEntries(t *testing.T) {
	root, proc := fixture(t, "v1")
	dir := v1Dir(root, "blkio")
	r := NewReader(root, proc)
	loc := locate(t, r, fixtureV1)

	writeFile(t, filepath.Join(dir, "blkio.io_service_bytes_recursive"), "Total 0\n")
	s, err := r.Read(loc)
	if err != nil || len(s.BlkioStats.IoServiceBytesRecursive) != 12 {
		t.Fatalf("empty CFQ file: %v, %d entries, want the 12 throttle entries", err, len(s.BlkioStats.IoServiceBytesRecursive))
	}
	writeFile(t, filepath.Join(dir, "blkio.io_service_bytes_recursive"), "8:0 Read 1\n8:0 Write 2\nTotal 3\n")
	s, err = r.Read(loc)
	want := []container.BlkioStatEntry{{Major: 8, Op: "Read", Value: 1}, {Major: 8, Op: "Write", Value: 2}}
	if err != nil || !reflect.DeepEqual(s.BlkioStats.IoServiceBytesRecursive, want) {
		t.Errorf("CFQ file with entries: %v, %+v, want %+v", err, s.BlkioStats.IoServiceBytesRecursive, want)
	}
}

func TestReadTakesNetworkCountersFromALiveMember(t *testing.T) {
	root, proc := fixture(t, "v1")
	writeFile(t, filepath.Join(v1Dir(root, "memory"), "cgroup.procs"), "9999\n4242\n")
	r := NewReader(root, proc)
	s, err := r.Read(locate(t, r, fixtureV1))
	if err != nil {
		t.Fatal(err)
	}
	if s.Networks["eth0"].RxBytes != 117457 {
		t.Errorf("networks = %+v, want eth0 of process 4242 after 9999 exited", s.Networks)
	}
	hostNet := fixtureV1
	hostNet.NetworkMode = "host"
	if s, err = r.Read(locate(t, r, hostNet)); err != nil || s.Networks != nil {
		t.Errorf("host network: %v, networks %v, want none (the daemon reports none)", err, s.Networks)
	}
}

func TestReadOfAStoppedContainerIsErrGone(t *testing.T) {
	root, proc := fixture(t, "v1")
	r := NewReader(root, proc)
	loc := locate(t, r, fixtureV1)
	removePath(t, v1Dir(root, "cpu,cpuacct")) // the kernel removes the directories on stop
	_, err := r.Read(loc)
	if !errors.Is(err, ErrGone) {
		t.Errorf("Read after the cgroup was removed: %v, want ErrGone", err)
	}

	root2, proc2 := fixture(t, "v2")
	r2 := NewReader(root2, proc2)
	loc2 := locate(t, r2, fixtureV2)
	removePath(t, v2Dir(root2))
	if _, err := r2.Read(loc2); !errors.Is(err, ErrGone) {
		t.Errorf("v2 Read after the cgroup was removed: %v, want ErrGone", err)
	}
}

// derefOr is *p, or none when p is nil.
func derefOr(p *float64, none float64) float64 {
	if p == nil {
		return none
	}
	return *p
}
