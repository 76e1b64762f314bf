package cgroupstats

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/docker/docker/api/types/container"
)

// readCPUV2 fills CPU time from cpu.stat, which counts in microseconds
// where the API counts in nanoseconds. The user/system split and the
// throttling counters come with the same read, so they are filled too.
func readCPUV2(dir string, s *container.StatsResponse) error {
	stat, err := readKeyedFile(dir, "cpu.stat")
	if err != nil {
		return err
	}
	usage, err := requireKey(stat, dir, "cpu.stat", "usage_usec")
	if err != nil {
		return err
	}
	s.CPUStats.CPUUsage = container.CPUUsage{
		TotalUsage:        usage * 1000,
		UsageInUsermode:   stat["user_usec"] * 1000,
		UsageInKernelmode: stat["system_usec"] * 1000,
	}
	s.CPUStats.ThrottlingData = container.ThrottlingData{
		Periods:          stat["nr_periods"],
		ThrottledPeriods: stat["nr_throttled"],
		ThrottledTime:    stat["throttled_usec"] * 1000,
	}
	return nil
}

// readMemoryV2 fills memory usage, limit ("max" = none) and memory.stat
// from a v2 cgroup; stats.Compute subtracts inactive_file from usage.
func readMemoryV2(dir string, m *container.MemoryStats) error {
	var err error
	if m.Usage, err = readUintFile(dir, "memory.current"); err != nil {
		return err
	}
	if m.Limit, err = readLimitFile(dir, "memory.max"); err != nil {
		return err
	}
	m.Stats, err = readKeyedFile(dir, "memory.stat")
	return err
}

// readIOStatV2 turns io.stat ("major:minor rbytes=N wbytes=N rios=N ...")
// into the daemon's io_service_bytes_recursive: a "read" and a "write"
// entry per device, lower-case as the daemon spells them on v2.
func readIOStatV2(dir string) ([]container.BlkioStatEntry, error) {
	text, err := readCgroupFile(dir, "io.stat")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "io.stat")
	var entries []container.BlkioStatEntry
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		major, minor, err := parseDevice(path, fields[0])
		if err != nil {
			return nil, err
		}
		rbytes, wbytes, err := ioBytes(path, fields[1:])
		if err != nil {
			return nil, err
		}
		entries = append(entries,
			container.BlkioStatEntry{Major: major, Minor: minor, Op: "read", Value: rbytes},
			container.BlkioStatEntry{Major: major, Minor: minor, Op: "write", Value: wbytes})
	}
	return entries, nil
}

// ioBytes picks rbytes and wbytes out of one io.stat line's key=value pairs.
func ioBytes(path string, pairs []string) (rbytes, wbytes uint64, err error) {
	for _, pair := range pairs {
		key, value, ok := strings.Cut(pair, "=")
		if !ok {
			return 0, 0, fmt.Errorf("parse %s: %q is not key=value", path, pair)
		}
		switch key {
		case "rbytes":
			rbytes, err = parseUint(path, value)
		case "wbytes":
			wbytes, err = parseUint(path, value)
		}
		if err != nil {
			return 0, 0, err
		}
	}
	return rbytes, wbytes, nil
}
