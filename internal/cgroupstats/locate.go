package cgroupstats

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Container is what the Docker API says about where a container's cgroup
// is: fields of GET /info and of GET /containers/{id}/json.
type Container struct {
	// ID is the full container ID.
	ID string
	// Pid is State.Pid, the container's init process on the host; 0 when it
	// is not running.
	Pid int
	// CgroupParent is HostConfig.CgroupParent; "" means the daemon default.
	CgroupParent string
	// NetworkMode is HostConfig.NetworkMode; "host" has no counters of its own.
	NetworkMode string
	// CgroupDriver is /info's CgroupDriver: "cgroupfs" (default) or "systemd".
	CgroupDriver string
	// CgroupVersion is /info's CgroupVersion, "1" or "2"; "" detects it from
	// the cgroup root.
	CgroupVersion string
}

// Controllers whose files Read uses. On cgroup v2 they all live in one
// directory; on v1 each may be mounted on its own hierarchy.
const (
	ctrlCPUAcct = "cpuacct" // v1 only
	ctrlCPU     = "cpu"     // cpu.stat; on v2 it exists without the controller
	ctrlMemory  = "memory"
	ctrlPids    = "pids"
	ctrlBlkio   = "blkio" // v1
	ctrlIO      = "io"    // v2
)

// Location is a container's cgroup, resolved once by Locate and read on
// every poll by Read. It stays valid across restarts of the container
// (Docker names the cgroup after the container ID), not past its removal.
type Location struct {
	// ID is the container's full ID.
	ID string
	// Version is the cgroup version, 1 or 2.
	Version int
	// Dirs maps each controller Read uses to the container's directory in
	// it: cpuacct, cpu, memory, pids and blkio on v1; cpu, memory, pids and io
	// (one shared directory) on v2. A controller the container's cgroup
	// does not have is absent, and its figures stay 0, as with the daemon;
	// CPU and memory are required.
	Dirs map[string]string
	// Net is true when the container has a network namespace of its own,
	// whose counters Read takes from a member process's /proc/<pid>/net/dev.
	Net bool
}

// Locate finds a container's cgroup directories. It reads the init
// process's /proc/<pid>/cgroup, which gives each hierarchy's path as the
// kernel sees it, and falls back to the path Docker derives from its cgroup
// driver and the container's cgroup parent when that path does not resolve
// under the cgroup root (an agent in its own cgroup namespace). Every path
// used must name the container, so a namespace-relative "/" can never be
// mistaken for the container. A container that stopped in the meantime
// gives an error wrapping ErrGone.
func (r *Reader) Locate(c Container) (*Location, error) {
	if c.ID == "" {
		return nil, errors.New("locate cgroup: container ID is empty")
	}
	if c.Pid <= 0 {
		return nil, fmt.Errorf("%w: container %s has no running process", ErrGone, shortID(c.ID))
	}
	paths, err := r.procCgroups(c.Pid)
	if err != nil {
		return nil, err
	}
	version, err := r.version(c.CgroupVersion)
	if err != nil {
		return nil, err
	}
	loc := &Location{ID: c.ID, Net: c.NetworkMode != "host"}
	if version == 2 {
		err = r.locateV2(loc, c, paths)
	} else {
		err = r.locateV1(loc, c, paths)
	}
	switch {
	case err == nil:
		return loc, nil
	case !r.processAlive(c.Pid):
		return nil, fmt.Errorf("%w: container %s exited while its cgroup was located: %w", ErrGone, shortID(c.ID), err)
	default:
		return nil, err
	}
}

// version settles the cgroup version: the daemon's word when given, else
// v2 when the cgroup root is a unified hierarchy.
func (r *Reader) version(fromInfo string) (int, error) {
	switch fromInfo {
	case "1":
		return 1, nil
	case "2":
		return 2, nil
	case "":
		if _, err := os.Stat(filepath.Join(r.cgroupRoot, "cgroup.controllers")); err == nil {
			return 2, nil
		}
		return 1, nil
	default:
		return 0, fmt.Errorf("locate cgroup: unknown cgroup version %q (want \"1\" or \"2\")", fromInfo)
	}
}

// procCgroups reads /proc/<pid>/cgroup: "hierarchy-ID:controller-list:path"
// per line, returned as controller list → path ("" for the v2 hierarchy).
func (r *Reader) procCgroups(pid int) (map[string]string, error) {
	path := filepath.Join(r.procRoot, strconv.Itoa(pid), "cgroup")
	data, err := os.ReadFile(path)
	if vanished(err) {
		return nil, fmt.Errorf("%w: process %d exited: %w", ErrGone, pid, err)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	paths := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			return nil, fmt.Errorf("parse %s: line %q is not id:controllers:path", path, line)
		}
		paths[parts[1]] = parts[2]
	}
	return paths, nil
}

// processAlive reports whether /proc still has the process.
func (r *Reader) processAlive(pid int) bool {
	_, err := os.Stat(filepath.Join(r.procRoot, strconv.Itoa(pid)))
	return err == nil
}

// resolve returns the container's directory under mount: the kernel's
// path when it exists and names the container, else Docker's derived path.
// It returns "" with the paths tried when neither exists.
func resolve(mount, fromProc, derived, id string) (string, []string) {
	var tried []string
	for _, rel := range []string{fromProc, derived} {
		if rel == "" || !strings.Contains(filepath.Base(rel), id) {
			continue
		}
		dir := filepath.Join(mount, filepath.Clean("/"+rel))
		if isDir(dir) {
			return dir, nil
		}
		tried = append(tried, dir)
	}
	return "", tried
}

// derivedPath is the cgroup path Docker gives a container, relative to a
// hierarchy root: <parent>/<id> with the cgroupfs driver (parent /docker
// by default), <slice path>/docker-<id>.scope with systemd (parent
// system.slice by default).
func derivedPath(c Container) string {
	if c.CgroupDriver == "systemd" {
		parent := c.CgroupParent
		if parent == "" {
			parent = "system.slice"
		}
		return filepath.Join("/", expandSlice(parent), "docker-"+c.ID+".scope")
	}
	parent := c.CgroupParent
	if parent == "" {
		parent = "/docker"
	}
	return filepath.Join("/", parent, c.ID)
}

// expandSlice turns a systemd slice name into its path, as systemd nests
// slices by their dash-separated prefixes: "a-b.slice" is a.slice/a-b.slice.
func expandSlice(slice string) string {
	name, ok := strings.CutSuffix(slice, ".slice")
	switch {
	case !ok || name == "":
		return slice // not a slice name: use it as given
	case name == "-":
		return "" // the root slice
	}
	var parts []string
	prefix := ""
	for _, word := range strings.Split(name, "-") {
		prefix += word
		parts = append(parts, prefix+".slice")
		prefix += "-"
	}
	return filepath.Join(parts...)
}

// shortID is the 12-character ID used in messages.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
