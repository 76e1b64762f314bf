package docker

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/system"

	"github.com/dockwatch/dockwatch/internal/cgroupstats"
)

// Values of Config.StatsSource.
const (
	// StatsSourceAPI samples every container through the daemon's stats
	// endpoint; it is the default ("" means the same).
	StatsSourceAPI = "api"
	// StatsSourceCgroup reads every container's counters from its cgroup
	// and /proc on this machine (cgroupstats), asking the daemon only for
	// the container list and, once per container every few minutes,
	// inspect. The figures are the API's, without a request per container
	// and without waiting for the daemon's collector tick. It needs the
	// daemon on this machine, hence a unix:// endpoint, and the host's
	// /proc and cgroup filesystem.
	StatsSourceCgroup = "cgroup"
)

// cgroupSource is the Client's state for StatsSourceCgroup.
type cgroupSource struct {
	reader *cgroupstats.Reader

	mu    sync.Mutex
	setup *system.Info // the daemon's cgroup driver and version, from /info once
}

// cgroupEntry is a container's located cgroup, or why it could not be
// located; it is cached per container with the CPU limit.
type cgroupEntry struct {
	loc *cgroupstats.Location
	err error
}

// newCgroupSource validates the stats source settings and returns the
// cgroup source, or nil for the API. Reading files of another machine's
// containers cannot work, so only a unix socket endpoint is accepted; the
// roots are checked here so that a wrong mount shows at configuration time.
func newCgroupSource(cfg Config, ep endpoint) (*cgroupSource, error) {
	switch cfg.StatsSource {
	case "", StatsSourceAPI:
		return nil, nil
	case StatsSourceCgroup:
	default:
		return nil, fmt.Errorf("stats source %q: want %q (the default) or %q", cfg.StatsSource, StatsSourceAPI, StatsSourceCgroup)
	}
	if ep.network != "unix" {
		return nil, fmt.Errorf("stats source %q needs a unix:// endpoint: the cgroup files must be on the daemon's machine, and %s is reached over the network", StatsSourceCgroup, ep.raw)
	}
	roots := map[string]string{"cgroup root": orDefaultPath(cfg.CgroupRoot, cgroupstats.DefaultCgroupRoot),
		"proc root": orDefaultPath(cfg.ProcRoot, cgroupstats.DefaultProcRoot)}
	for what, dir := range roots {
		st, err := os.Stat(dir)
		if err == nil && !st.IsDir() {
			err = errors.New("not a directory")
		}
		if err != nil {
			return nil, fmt.Errorf("stats source %q: %s %s (mount the host's there): %w", StatsSourceCgroup, what, dir, err)
		}
	}
	return &cgroupSource{reader: cgroupstats.NewReader(cfg.CgroupRoot, cfg.ProcRoot)}, nil
}

// orDefaultPath returns p, or def when p is empty.
func orDefaultPath(p, def string) string {
	if p == "" {
		return def
	}
	return p
}

// takeSample reads one container's sample from the configured source and
// returns it with the OS type it is for.
func (c *Client) takeSample(ctx context.Context, id, name string, oneShot bool) (*container.StatsResponse, string, error) {
	if c.cgroups == nil {
		return c.fetchStats(ctx, id, name, oneShot)
	}
	sample, err := c.readCgroup(id, name)
	return sample, "linux", err
}

// readCgroup samples a container located when it was inspected. On any
// failure the container's cached inspect results are dropped, so the next
// poll inspects and locates it afresh (after a restart, say).
func (c *Client) readCgroup(id, name string) (*container.StatsResponse, error) {
	entry, ok := c.memory.cgroup(id)
	if !ok {
		entry.err = errors.New("not located (no inspect answer cached)")
	}
	if entry.err != nil {
		c.memory.forgetInspect(id)
		return nil, cgroupError(name, entry.err)
	}
	sample, err := c.cgroups.reader.Read(entry.loc)
	if err != nil {
		c.memory.forgetInspect(id)
		return nil, cgroupError(name, err)
	}
	return sample, nil
}

// cgroupError names the container, and turns a cgroup that vanished (the
// container stopped after the list) into ErrContainerGone, so that it is
// skipped like the API's 404.
func cgroupError(name string, err error) error {
	if errors.Is(err, cgroupstats.ErrGone) {
		return fmt.Errorf("%w: container %s: %w", ErrContainerGone, name, err)
	}
	return fmt.Errorf("read cgroup of container %s: %w", name, err)
}

// locateCgroup resolves a container's cgroup from the inspect answer that
// cpuLimit fetched anyway, so the cgroup source costs no extra request per
// container, and caches the result (or the failure, which readCgroup
// reports) until the next inspect, inspectMaxAge later.
func (c *Client) locateCgroup(ctx context.Context, id string, resp container.InspectResponse) {
	if c.cgroups == nil {
		return
	}
	loc, err := c.cgroupLocation(ctx, id, resp)
	c.memory.setCgroup(id, cgroupEntry{loc: loc, err: err})
}

// cgroupLocation describes the container as cgroupstats needs it and
// locates its cgroup.
func (c *Client) cgroupLocation(ctx context.Context, id string, resp container.InspectResponse) (*cgroupstats.Location, error) {
	info, err := c.cgroupSetup(ctx)
	if err != nil {
		return nil, err
	}
	desc := cgroupstats.Container{ID: id, CgroupDriver: info.CgroupDriver, CgroupVersion: info.CgroupVersion}
	if base := resp.ContainerJSONBase; base != nil {
		if base.State != nil {
			desc.Pid = base.State.Pid
		}
		if base.HostConfig != nil {
			desc.CgroupParent = base.HostConfig.CgroupParent
			desc.NetworkMode = string(base.HostConfig.NetworkMode)
		}
	}
	return c.cgroups.reader.Locate(desc)
}

// cgroupSetup returns the daemon's /info, fetched on first use and kept:
// the cgroup driver and version change only when the daemon restarts with
// another configuration.
func (c *Client) cgroupSetup(ctx context.Context) (*system.Info, error) {
	c.cgroups.mu.Lock()
	defer c.cgroups.mu.Unlock()
	if c.cgroups.setup != nil {
		return c.cgroups.setup, nil
	}
	var info system.Info
	err := c.call(ctx, "read daemon info", func(ctx context.Context) (err error) {
		info, err = c.api().Info(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.cgroups.setup = &info
	return &info, nil
}

// setCgroup caches a container's cgroup location.
func (m *sampleMemory) setCgroup(id string, e cgroupEntry) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cgroups[id] = e
}

// cgroup returns a container's cached cgroup location.
func (m *sampleMemory) cgroup(id string) (cgroupEntry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.cgroups[id]
	return e, ok
}

// forgetInspect drops what inspect told about a container (its CPU limit
// and cgroup), so that the next poll inspects it again. The previous CPU
// sample stays: a container that restarted keeps its counters' baseline
// rules in stats.Compute.
func (m *sampleMemory) forgetInspect(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.forgetCPULimitLocked(id)
	delete(m.cgroups, id)
}
