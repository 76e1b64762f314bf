package cgroupstats

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
)

// nanosPerTick converts /proc/stat clock ticks to nanoseconds. USER_HZ is
// 100 on every Linux architecture Docker supports; the daemon hard-codes it
// the same way rather than asking sysconf through cgo.
const nanosPerTick = 1e9 / 100

// systemCPUFields is how many fields of /proc/stat's "cpu" line the daemon
// adds up: user nice system idle iowait irq softirq (steal and guest are
// left out, so we leave them out too, or CPU % would differ on VMs).
const systemCPUFields = 7

// hostCPU is what /proc/stat says about the whole machine.
type hostCPU struct {
	systemUsage uint64 // ns, the daemon's system_cpu_usage
	onlineCPUs  uint32 // cpuN lines
}

// readHostCPU reads /proc/stat under procRoot. The aggregate and per-CPU
// lines come first, so the (long) lines after them are not parsed.
func readHostCPU(procRoot string) (hostCPU, error) {
	path := filepath.Join(procRoot, "stat")
	data, err := os.ReadFile(path)
	if err != nil {
		return hostCPU{}, fmt.Errorf("read %s: %w", path, err)
	}
	var h hostCPU
	found := false
	for _, line := range strings.Split(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], "cpu") {
			break
		}
		if fields[0] != "cpu" {
			h.onlineCPUs++
			continue
		}
		if h.systemUsage, err = sumTicks(path, fields[1:]); err != nil {
			return hostCPU{}, err
		}
		found = true
	}
	if !found {
		return hostCPU{}, fmt.Errorf("parse %s: no aggregate \"cpu\" line at the top", path)
	}
	return h, nil
}

// sumTicks adds the first systemCPUFields tick counts and converts to ns.
func sumTicks(path string, fields []string) (uint64, error) {
	if len(fields) < systemCPUFields {
		return 0, fmt.Errorf("parse %s: \"cpu\" line has %d fields, want at least %d", path, len(fields), systemCPUFields)
	}
	var ticks uint64
	for _, f := range fields[:systemCPUFields] {
		v, err := parseUint(path, f)
		if err != nil {
			return 0, err
		}
		ticks += v
	}
	return ticks * nanosPerTick, nil
}

// readMemTotal reads MemTotal from meminfo under procRoot, in bytes: the
// daemon reports it as the memory limit of containers without one.
func readMemTotal(procRoot string) (uint64, error) {
	path := filepath.Join(procRoot, "meminfo")
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", path, err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		rest, ok := strings.CutPrefix(line, "MemTotal:")
		if !ok {
			continue
		}
		kb, err := parseUint(path, strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		if err != nil {
			return 0, err
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("parse %s: no MemTotal line", path)
}

// netDevColumns is the number of counters after "iface:" in /proc/net/dev:
// eight for receive, then eight for transmit.
const netDevColumns = 16

// parseNetDev turns /proc/<pid>/net/dev into the daemon's per-interface
// map. The loopback interface is left out: the daemon only reports its own
// endpoints, and a container without networking has none (nil map).
func parseNetDev(path, text string) (map[string]container.NetworkStats, error) {
	var nets map[string]container.NetworkStats
	for _, line := range strings.Split(text, "\n") {
		name, counters, ok := strings.Cut(line, ":")
		if !ok || strings.Contains(name, "|") {
			continue // the two header lines
		}
		name = strings.TrimSpace(name)
		fields := strings.Fields(counters)
		if len(fields) < netDevColumns {
			return nil, fmt.Errorf("parse %s: interface %s has %d counters, want %d", path, name, len(fields), netDevColumns)
		}
		if name == "lo" {
			continue
		}
		n, err := netStats(path, fields)
		if err != nil {
			return nil, err
		}
		if nets == nil {
			nets = map[string]container.NetworkStats{}
		}
		nets[name] = n
	}
	return nets, nil
}

// netStats maps the net/dev columns (rx bytes packets errs drop fifo frame
// compressed multicast, then tx bytes packets errs drop ...) to the API's.
func netStats(path string, f []string) (container.NetworkStats, error) {
	var v [netDevColumns]uint64
	for i := range v {
		n, err := strconv.ParseUint(f[i], 10, 64)
		if err != nil {
			return container.NetworkStats{}, fmt.Errorf("parse %s: %w", path, err)
		}
		v[i] = n
	}
	return container.NetworkStats{
		RxBytes: v[0], RxPackets: v[1], RxErrors: v[2], RxDropped: v[3],
		TxBytes: v[8], TxPackets: v[9], TxErrors: v[10], TxDropped: v[11],
	}, nil
}
