package docker

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/dockwatch/dockwatch/internal/stats"
)

// Snapshot is one poll of a daemon.
type Snapshot struct {
	Daemon DaemonInfo
	// Taken is when the container list came back; stats follow within the
	// per-call timeout.
	Taken time.Time
	// Running counts running containers on the daemon, selected or not.
	Running int
	// Containers are the selected containers with figures, sorted by name.
	// With Selection.All, stopped containers appear with zero figures.
	Containers []ContainerStats
	// Skipped are selected containers without figures this poll, sorted by
	// name: vanished or stopped between list and stats (Err wraps
	// ErrContainerGone), or whose own request failed (a malformed payload
	// wraps stats.ErrMalformedStats; a per-call timeout). They do not fail
	// the poll; a failure of the daemon itself (connection, TLS, every
	// container failing) does.
	Skipped []SkippedContainer
}

// ContainerStats is one selected container and its utilization.
type ContainerStats struct {
	ID, Name, Image, State string
	Labels                 map[string]string
	stats.Usage
}

// SkippedContainer is a selected container that has no figures this poll.
type SkippedContainer struct {
	ID, Name string
	Err      error
}

// Snapshot identifies the daemon (see currentDaemonInfo), lists its
// containers, keeps the selected ones and samples their stats concurrently.
// See Snapshot.Skipped for which failures skip a container and which fail
// the poll. Everything it reads counts against one per-poll byte budget
// (see bounds.go). When the daemon refuses our API version as too new (it
// was downgraded), the version is negotiated again and the poll retried once.
func (c *Client) Snapshot(ctx context.Context, sel Selection) (*Snapshot, error) {
	ctx, release := withPollBudget(ctx)
	defer release()
	if c.spread {
		// The next poll is an interval away: nothing to keep idle for.
		defer c.base.CloseIdleConnections()
	}
	snap, err := c.snapshot(ctx, sel)
	if err != nil && c.pinned == "" && isTooNew(err) && ctx.Err() == nil {
		c.forgetNegotiation()
		snap, err = c.snapshot(ctx, sel)
	}
	return snap, err
}

// snapshot is one attempt of Snapshot.
func (c *Client) snapshot(ctx context.Context, sel Selection) (*Snapshot, error) {
	daemon, err := c.currentDaemonInfo(ctx)
	if err != nil {
		return nil, err
	}
	listed, err := c.listContainers(ctx, sel.All)
	if err != nil {
		return nil, err
	}
	snap := &Snapshot{Daemon: daemon, Taken: time.Now(), Running: countRunning(listed)}
	targets := selectContainers(listed, sel)
	results, err := c.collect(ctx, targets, daemon)
	c.memory.retain(liveIDs(targets))
	if err != nil {
		return nil, err
	}
	for _, r := range results {
		if r.err != nil {
			snap.Skipped = append(snap.Skipped, SkippedContainer{ID: r.stats.ID, Name: r.stats.Name, Err: r.err})
			continue
		}
		snap.Containers = append(snap.Containers, r.stats)
	}
	return snap, nil
}

// listed is what a poll keeps of a listed container. The Docker client
// decodes the whole of the daemon's summary (ports, networks, mounts, the
// command: a few KiB a container on a real daemon), and a poll holds its
// targets for seconds, so only these fields outlive the list call.
type listed struct {
	ID, Name, Image string
	State           container.ContainerState
	Labels          map[string]string
}

// withoutFigures is the container as a result before its stats are in.
func (l listed) withoutFigures() ContainerStats {
	return ContainerStats{ID: l.ID, Name: l.Name, Image: l.Image, State: string(l.State), Labels: l.Labels}
}

// listContainers lists running containers, or all of them.
func (c *Client) listContainers(ctx context.Context, all bool) ([]listed, error) {
	var summaries []container.Summary
	err := c.call(ctx, "list containers", func(ctx context.Context) (err error) {
		summaries, err = c.api().ContainerList(ctx, container.ListOptions{All: all})
		return err
	})
	if err != nil {
		return nil, err
	}
	list := make([]listed, len(summaries))
	for i, s := range summaries {
		list[i] = listed{ID: s.ID, Name: containerName(s), Image: s.Image, State: s.State, Labels: s.Labels}
	}
	return list, nil
}

// countRunning counts running containers whatever the selection, for the
// "containersRunning" summary.
func countRunning(list []listed) int {
	n := 0
	for _, s := range list {
		if s.State == container.StateRunning {
			n++
		}
	}
	return n
}

// selectContainers keeps the selected containers, sorted by name so that
// results, Skipped and "first error" messages are deterministic.
func selectContainers(list []listed, sel Selection) []listed {
	var selected []listed
	for _, s := range list {
		if sel.Matches(s.Name, s.Labels) {
			selected = append(selected, s)
		}
	}
	sort.Slice(selected, func(i, j int) bool { return selected[i].Name < selected[j].Name })
	return selected
}

// isLive reports whether a container has a cgroup to read stats from.
// Paused containers still do.
func isLive(state container.ContainerState) bool {
	return state == container.StateRunning || state == container.StatePaused
}

// liveIDs are the containers whose memory entries stay for the next poll.
func liveIDs(targets []listed) map[string]struct{} {
	ids := make(map[string]struct{}, len(targets))
	for _, t := range targets {
		if isLive(t.State) {
			ids[t.ID] = struct{}{}
		}
	}
	return ids
}

// containerName is the container's own name without the leading slash.
// Docker also lists link aliases ("/other/alias"); those are skipped.
func containerName(s container.Summary) string {
	for _, n := range s.Names {
		n = strings.TrimPrefix(n, "/")
		if n != "" && !strings.Contains(n, "/") {
			return n
		}
	}
	if len(s.Names) > 0 {
		return strings.TrimPrefix(s.Names[0], "/")
	}
	return shortID(s.ID)
}

// shortID is the 12-character ID Docker shows when a name is missing.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// allFailedError fails the poll when no live container got figures and at
// least one failed for a reason other than vanishing: that is the daemon
// misbehaving (hung stats, broken payloads), not one odd container.
func allFailedError(results []sampleResult) error {
	var failed []error
	for _, r := range results {
		switch {
		case !r.sampled:
		case r.err == nil:
			return nil
		case !isGone(r.err):
			failed = append(failed, r.err)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("stats failed for all %d selected running containers; first: %w", len(failed), failed[0])
}
