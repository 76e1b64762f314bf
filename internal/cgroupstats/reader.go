package cgroupstats

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Default roots: where the files are on the host itself. An agent in a
// container mounts the host's (e.g. at /host/proc and /host/sys/fs/cgroup)
// and passes those instead; its own /proc would not show the containers'
// processes.
const (
	DefaultCgroupRoot = "/sys/fs/cgroup"
	DefaultProcRoot   = "/proc"
)

// Reader reads containers' counters from one host's cgroup and proc
// filesystems. It is safe for concurrent use.
type Reader struct {
	cgroupRoot, procRoot string

	memMu    sync.Mutex
	memTotal uint64 // host MemTotal in bytes, read once like the daemon does
}

// NewReader returns a Reader over the given roots; "" selects
// DefaultCgroupRoot and DefaultProcRoot.
func NewReader(cgroupRoot, procRoot string) *Reader {
	if cgroupRoot == "" {
		cgroupRoot = DefaultCgroupRoot
	}
	if procRoot == "" {
		procRoot = DefaultProcRoot
	}
	return &Reader{cgroupRoot: filepath.Clean(cgroupRoot), procRoot: filepath.Clean(procRoot)}
}

// Read samples a located container and returns its counters as the stats
// endpoint's one-shot answer: precpu_stats is empty, so the caller keeps
// the previous sample for CPU deltas. The container's CPU counter is read
// just before /proc/stat so that both sides of the CPU ratio describe the
// same moment. An error wraps ErrGone when the container stopped.
func (r *Reader) Read(loc *Location) (*container.StatsResponse, error) {
	s := &container.StatsResponse{ID: loc.ID, Read: time.Now()}
	if err := r.readCPU(loc, s); err != nil {
		return nil, err
	}
	host, err := readHostCPU(r.procRoot)
	if err != nil {
		return nil, err
	}
	s.CPUStats.SystemUsage, s.CPUStats.OnlineCPUs = host.systemUsage, host.onlineCPUs
	for _, read := range []func(*Location, *container.StatsResponse) error{r.readMemory, readPids, readBlockIO, r.readNetworks} {
		if err := read(loc, s); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// readCPU fills the container's CPU time.
func (r *Reader) readCPU(loc *Location, s *container.StatsResponse) error {
	if loc.Version == 2 {
		return readCPUV2(loc.Dirs[ctrlCPU], s)
	}
	total, err := readUintFile(loc.Dirs[ctrlCPUAcct], "cpuacct.usage")
	s.CPUStats.CPUUsage.TotalUsage = total
	if err != nil {
		return err
	}
	if dir, ok := loc.Dirs[ctrlCPU]; ok {
		return readThrottlingV1(dir, s)
	}
	return nil
}

// readMemory fills usage, limit and memory.stat, and caps a limit above the
// host's memory (no limit) to the host's memory, as the daemon reports it.
func (r *Reader) readMemory(loc *Location, s *container.StatsResponse) error {
	var err error
	if loc.Version == 2 {
		err = readMemoryV2(loc.Dirs[ctrlMemory], &s.MemoryStats)
	} else {
		err = readMemoryV1(loc.Dirs[ctrlMemory], &s.MemoryStats)
	}
	if err != nil {
		return err
	}
	host, err := r.hostMemory()
	if err != nil {
		return err
	}
	s.MemoryStats.Limit = min(s.MemoryStats.Limit, host)
	return nil
}

// hostMemory returns MemTotal, reading it on first use (and again after a
// failure) rather than per container.
func (r *Reader) hostMemory() (uint64, error) {
	r.memMu.Lock()
	defer r.memMu.Unlock()
	if r.memTotal == 0 {
		total, err := readMemTotal(r.procRoot)
		if err != nil {
			return 0, err
		}
		r.memTotal = total
	}
	return r.memTotal, nil
}

// readPids fills the number of tasks, when the pids controller is there.
func readPids(loc *Location, s *container.StatsResponse) error {
	dir, ok := loc.Dirs[ctrlPids]
	if !ok {
		return nil
	}
	n, err := readUintFile(dir, "pids.current")
	s.PidsStats.Current = n
	return err
}

// readBlockIO fills io_service_bytes_recursive, when the container's
// cgroup has the block I/O controller.
func readBlockIO(loc *Location, s *container.StatsResponse) error {
	var err error
	if dir, ok := loc.Dirs[ctrlIO]; ok && loc.Version == 2 {
		s.BlkioStats.IoServiceBytesRecursive, err = readIOStatV2(dir)
	} else if dir, ok := loc.Dirs[ctrlBlkio]; ok && loc.Version == 1 {
		s.BlkioStats.IoServiceBytesRecursive, err = readBlkioV1(dir)
	}
	return err
}

// readNetworks fills per-interface counters from the network namespace of
// a process of the container. Any member will do, and taking one from the
// cgroup now (rather than the init PID from inspect) cannot pick up an
// unrelated process that reused a PID after a restart. A container whose
// processes all exit meanwhile keeps empty counters: the next poll skips it.
func (r *Reader) readNetworks(loc *Location, s *container.StatsResponse) error {
	if !loc.Net {
		return nil
	}
	procs, err := readCgroupFile(loc.Dirs[ctrlMemory], "cgroup.procs")
	if err != nil {
		return err
	}
	for _, pid := range strings.Fields(procs) {
		if _, err := strconv.Atoi(pid); err != nil {
			return fmt.Errorf("parse %s: %q is not a PID", filepath.Join(loc.Dirs[ctrlMemory], "cgroup.procs"), pid)
		}
		text, err := readCgroupFile(filepath.Join(r.procRoot, pid), filepath.Join("net", "dev"))
		if errors.Is(err, ErrGone) {
			continue // that process exited; try the next one
		}
		if err != nil {
			return err
		}
		s.Networks, err = parseNetDev(filepath.Join(r.procRoot, pid, "net", "dev"), text)
		return err
	}
	return nil
}
