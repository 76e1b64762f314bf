package cgroupstats

import (
	"fmt"
	"path/filepath"
	"strings"
)

// v1Controllers are the v1 hierarchies Read uses, and whether a container
// without one is an error. PIDs and block I/O stay 0 without theirs, as the
// daemon reports them; without the cpu hierarchy there is no CFS quota to
// be throttled by, and its throttling counters stay 0.
var v1Controllers = []struct {
	name     string
	required bool
}{{ctrlCPUAcct, true}, {ctrlCPU, false}, {ctrlMemory, true}, {ctrlPids, false}, {ctrlBlkio, false}}

// locateV1 finds the container's directory in each v1 hierarchy.
func (r *Reader) locateV1(loc *Location, c Container, paths map[string]string) error {
	loc.Version = 1
	loc.Dirs = map[string]string{}
	derived := derivedPath(c)
	for _, ctrl := range v1Controllers {
		mount, fromProc := r.v1Hierarchy(ctrl.name, paths)
		if mount == "" {
			if ctrl.required {
				return fmt.Errorf("locate cgroup of container %s: no %s hierarchy mounted under %s", shortID(c.ID), ctrl.name, r.cgroupRoot)
			}
			continue
		}
		dir, tried := resolve(mount, fromProc, derived, c.ID)
		if dir == "" {
			return fmt.Errorf("locate cgroup of container %s: no %s directory (tried %s)", shortID(c.ID), ctrl.name, strings.Join(tried, ", "))
		}
		loc.Dirs[ctrl.name] = dir
	}
	return nil
}

// v1Hierarchy finds where a v1 controller is mounted under the cgroup root
// and the process's path in it. A controller may share a hierarchy with
// others ("cpu,cpuacct"): the mount is then named after the list, usually
// with a symlink per controller. "" means the controller is not mounted.
func (r *Reader) v1Hierarchy(ctrl string, paths map[string]string) (mount, fromProc string) {
	list := ctrl
	for controllers, path := range paths {
		for _, name := range strings.Split(controllers, ",") {
			if name == ctrl {
				list, fromProc = controllers, path
			}
		}
	}
	for _, name := range []string{ctrl, list} {
		if dir := filepath.Join(r.cgroupRoot, name); isDir(dir) {
			return dir, fromProc
		}
	}
	return "", ""
}

// locateV2 finds the container's directory in the unified hierarchy and
// which controllers it has (cgroup.controllers). cpu.stat's usage exists
// without the cpu controller, so only memory is required.
func (r *Reader) locateV2(loc *Location, c Container, paths map[string]string) error {
	loc.Version = 2
	dir, tried := resolve(r.cgroupRoot, paths[""], derivedPath(c), c.ID)
	if dir == "" {
		return fmt.Errorf("locate cgroup of container %s: no directory in the unified hierarchy (tried %s)", shortID(c.ID), strings.Join(tried, ", "))
	}
	text, err := readCgroupFile(dir, "cgroup.controllers")
	if err != nil {
		return err
	}
	enabled := map[string]bool{ctrlCPU: true}
	for _, name := range strings.Fields(text) {
		enabled[name] = true
	}
	if !enabled[ctrlMemory] {
		return fmt.Errorf("locate cgroup of container %s: the memory controller is not enabled in %s", shortID(c.ID), filepath.Join(dir, "cgroup.controllers"))
	}
	loc.Dirs = map[string]string{}
	for _, name := range []string{ctrlCPU, ctrlMemory, ctrlPids, ctrlIO} {
		if enabled[name] {
			loc.Dirs[name] = dir
		}
	}
	return nil
}
