package cgroupstats

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/docker/docker/api/types/container"
)

// readThrottlingV1 fills the CFS throttling counters from a v1 cpu
// cgroup's cpu.stat, which counts throttled_time in nanoseconds like the
// API (v2's cpu.stat has the same counters, see readCPUV2).
func readThrottlingV1(dir string, s *container.StatsResponse) error {
	stat, err := readKeyedFile(dir, "cpu.stat")
	if err != nil {
		return err
	}
	periods, err := requireKey(stat, dir, "cpu.stat", "nr_periods")
	if err != nil {
		return err
	}
	throttled, err := requireKey(stat, dir, "cpu.stat", "nr_throttled")
	if err != nil {
		return err
	}
	s.CPUStats.ThrottlingData = container.ThrottlingData{
		Periods: periods, ThrottledPeriods: throttled, ThrottledTime: stat["throttled_time"]}
	return nil
}

// readMemoryV1 fills memory usage, limit and memory.stat from a v1 memory
// cgroup. usage_in_bytes includes the page cache; stats.Compute subtracts
// total_inactive_file from memory.stat as docker stats does.
func readMemoryV1(dir string, m *container.MemoryStats) error {
	var err error
	if m.Usage, err = readUintFile(dir, "memory.usage_in_bytes"); err != nil {
		return err
	}
	if m.Limit, err = readUintFile(dir, "memory.limit_in_bytes"); err != nil {
		return err
	}
	m.Stats, err = readKeyedFile(dir, "memory.stat")
	return err
}

// Block I/O files of a v1 blkio cgroup, in the order containerd prefers
// them: the CFQ/BFQ-era proportional-weight file has figures only for
// devices using such a scheduler, the throttle file for all others.
const (
	blkioCFQFile      = "blkio.io_service_bytes_recursive"
	blkioThrottleFile = "blkio.throttle.io_service_bytes_recursive"
)

// readBlkioV1 reads bytes transferred per device and operation.
func readBlkioV1(dir string) ([]container.BlkioStatEntry, error) {
	if isFile(filepath.Join(dir, blkioCFQFile)) {
		entries, err := readBlkioFile(dir, blkioCFQFile)
		if err != nil || len(entries) > 0 {
			return entries, err
		}
	}
	return readBlkioFile(dir, blkioThrottleFile)
}

// readBlkioFile parses "major:minor Op value" lines; the trailing
// "Total value" line is a sum over devices and is skipped, as by containerd.
func readBlkioFile(dir, name string) ([]container.BlkioStatEntry, error) {
	text, err := readCgroupFile(dir, name)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	var entries []container.BlkioStatEntry
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) == 0 || (len(fields) == 2 && fields[0] == "Total"):
			continue
		case len(fields) != 3:
			return nil, fmt.Errorf("parse %s: line %q is not \"major:minor op bytes\"", path, line)
		}
		e, err := blkioEntry(path, fields)
		if err != nil {
			return nil, err
		}
		entries = append(entries, e)
	}
	return entries, nil
}

// blkioEntry converts one parsed line of a v1 blkio file.
func blkioEntry(path string, fields []string) (container.BlkioStatEntry, error) {
	major, minor, err := parseDevice(path, fields[0])
	if err != nil {
		return container.BlkioStatEntry{}, err
	}
	value, err := parseUint(path, fields[2])
	if err != nil {
		return container.BlkioStatEntry{}, err
	}
	return container.BlkioStatEntry{Major: major, Minor: minor, Op: fields[1], Value: value}, nil
}
