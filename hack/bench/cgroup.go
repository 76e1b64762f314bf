package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dockwatch/dockwatch/internal/cgroupstats"
	"github.com/dockwatch/dockwatch/internal/docker"
	"github.com/dockwatch/dockwatch/internal/dockertest"
)

// cgroupResults are measurement (d), the cgroup stats source (node mode):
// the same snapshots as (a), with the counters read from the containers'
// cgroup files on this machine instead of one API request per container.
type cgroupResults struct {
	warm      []time.Duration // steady-state snapshots through the cgroup source
	filesOnly time.Duration   // cgroupstats.Read of every container, no API calls
	version   string          // the daemon's cgroup version, "1" or "2"
	// skipped says why (d) was not measured; "" when it was. The other
	// measurements stand on their own, so a machine without the cgroup
	// source still gets them.
	skipped string
}

// openCgroup warms a client on the cgroup source. When -cgroup=false, or
// the source cannot be built or read here (no /sys/fs/cgroup, not root, a
// daemon whose files are elsewhere), it returns no client and the reason
// instead; only an interruption is an error.
func openCgroup(ctx context.Context, api docker.Config, opts options) (*docker.Client, string, error) {
	if !opts.cgroup {
		return nil, "switched off (-cgroup=false)", nil
	}
	cfg := api
	cfg.StatsSource = docker.StatsSourceCgroup
	c, err := warmClient(ctx, cfg, opts.containers)
	if err != nil {
		if ctx.Err() != nil {
			return nil, "", ctx.Err()
		}
		return nil, fmt.Sprintf("skipped, the cgroup source does not work on this machine: %v", err), nil
	}
	return c, "", nil
}

// timeFilesOnly times cgroupstats.Read over every container, located once
// beforehand: the part of a cgroup-source snapshot that is not API calls.
func timeFilesOnly(tb *recoveringTB, d *dockertest.Daemon, out *cgroupResults) error {
	out.version = d.Docker(tb, "info", "--format", "{{.CgroupVersion}}")
	driver := d.Docker(tb, "info", "--format", "{{.CgroupDriver}}")
	ids := strings.Fields(d.Docker(tb, "ps", "--quiet", "--no-trunc"))
	lines := d.Docker(tb, append([]string{"inspect", "--format", "{{.Id}} {{.State.Pid}}"}, ids...)...)
	reader := cgroupstats.NewReader("", "")
	var locs []*cgroupstats.Location
	for _, line := range strings.Split(lines, "\n") {
		id, pidText, _ := strings.Cut(line, " ")
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			return fmt.Errorf("inspect line %q: %w", line, err)
		}
		loc, err := reader.Locate(cgroupstats.Container{ID: id, Pid: pid, CgroupDriver: driver, CgroupVersion: out.version})
		if err != nil {
			return fmt.Errorf("locate the cgroup of container %s: %w", id, err)
		}
		locs = append(locs, loc)
	}
	start := time.Now()
	for _, loc := range locs {
		if _, err := reader.Read(loc); err != nil {
			return fmt.Errorf("read the cgroup files of container %s: %w", loc.ID, err)
		}
	}
	out.filesOnly = time.Since(start)
	return nil
}
