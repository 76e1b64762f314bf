package cgroupstats

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrGone marks a container whose cgroup or process disappeared: it stopped
// between the container list and the read. Callers treat it like the API's
// "no such container" and skip the container for this poll.
var ErrGone = errors.New("container cgroup is gone")

// readCgroupFile reads one file of a cgroup directory. A failure is blamed
// on the container having gone when the directory itself no longer exists
// (the kernel removes it when the container stops); otherwise the error
// names the file, because a missing file in a live cgroup is a setup
// problem (controller not enabled, wrong cgroup root) that must be visible.
func readCgroupFile(dir, name string) (string, error) {
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	if err == nil {
		return string(data), nil
	}
	if vanished(err) && !isDir(dir) {
		return "", fmt.Errorf("%w: %s was removed: %w", ErrGone, dir, err)
	}
	return "", fmt.Errorf("read cgroup file %s: %w", path, err)
}

// vanished reports errors a file of a removed cgroup or process gives:
// ENOENT once it is gone, ENODEV when it goes while being read, ESRCH for a
// /proc entry of a process that just exited.
func vanished(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENODEV) || errors.Is(err, syscall.ESRCH)
}

// isDir reports whether path is an existing directory.
func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// isFile reports whether path exists and is not a directory.
func isFile(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}

// readUintFile reads a cgroup file holding one unsigned number.
func readUintFile(dir, name string) (uint64, error) {
	text, err := readCgroupFile(dir, name)
	if err != nil {
		return 0, err
	}
	return parseUint(filepath.Join(dir, name), strings.TrimSpace(text))
}

// readLimitFile reads a cgroup v2 limit file, where "max" means no limit
// and is returned as the largest value so that the host-memory cap applies.
func readLimitFile(dir, name string) (uint64, error) {
	text, err := readCgroupFile(dir, name)
	if err != nil {
		return 0, err
	}
	if v := strings.TrimSpace(text); v != "max" {
		return parseUint(filepath.Join(dir, name), v)
	}
	return ^uint64(0), nil
}

// readKeyedFile reads a flat-keyed cgroup file ("key value" per line), such
// as memory.stat and cpu.stat.
func readKeyedFile(dir, name string) (map[string]uint64, error) {
	text, err := readCgroupFile(dir, name)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, name)
	values := map[string]uint64{}
	for _, line := range strings.Split(text, "\n") {
		key, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			if strings.TrimSpace(line) == "" {
				continue
			}
			return nil, fmt.Errorf("parse %s: line %q is not \"key value\"", path, line)
		}
		v, err := parseUint(path, strings.TrimSpace(value))
		if err != nil {
			return nil, err
		}
		values[key] = v
	}
	return values, nil
}

// requireKey returns one key of a keyed file, failing with the file's name
// when the kernel did not provide it.
func requireKey(values map[string]uint64, dir, name, key string) (uint64, error) {
	v, ok := values[key]
	if !ok {
		return 0, fmt.Errorf("parse %s: no %q key", filepath.Join(dir, name), key)
	}
	return v, nil
}

// parseUint parses a counter, naming the file it came from on failure.
func parseUint(path, s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("parse %s: %w", path, err)
	}
	return v, nil
}

// parseDevice parses a "major:minor" block device number.
func parseDevice(path, s string) (major, minor uint64, err error) {
	maj, min, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("parse %s: %q is not a major:minor device", path, s)
	}
	if major, err = parseUint(path, maj); err != nil {
		return 0, 0, err
	}
	if minor, err = parseUint(path, min); err != nil {
		return 0, 0, err
	}
	return major, minor, nil
}
