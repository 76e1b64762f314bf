package docker

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
)

// ContainerState is what inspect says about a container's lifecycle: how
// it last ended, how often Docker restarted it and its health.
type ContainerState struct {
	ID, Name string
	// Status is created, running, paused, restarting, removing, exited or dead.
	Status             string
	Running, OOMKilled bool
	ExitCode           int
	// StartedAt and FinishedAt are zero when Docker reports none
	// ("0001-01-01T00:00:00Z").
	StartedAt, FinishedAt time.Time
	// RestartCount counts restarts by the restart policy since the
	// container was created (docker start and docker restart do not count).
	RestartCount int
	// Health is "", starting, healthy or unhealthy; HealthOutput the output
	// of the last probe, as Docker keeps it (at most 4 KiB).
	Health, HealthOutput string
	// FailingStreak counts consecutive failed probes.
	FailingStreak int
	// MemoryLimitBytes is the container's --memory, 0 for none.
	MemoryLimitBytes int64
	Labels           map[string]string
}

// InspectState inspects one container for its lifecycle state. A container
// that no longer exists yields an error wrapping ErrContainerGone.
func (c *Client) InspectState(ctx context.Context, id string) (ContainerState, error) {
	var resp container.InspectResponse
	err := c.call(ctx, "inspect container "+shortID(id), func(ctx context.Context) (err error) {
		resp, err = c.api().ContainerInspect(ctx, id)
		return err
	})
	if err != nil {
		return ContainerState{}, markGone(err)
	}
	if resp.ContainerJSONBase == nil {
		// "{}" decodes without the embedded base that holds the ID,
		// name and state: nothing to read, and no panic.
		return ContainerState{}, &OpError{Op: "inspect container " + shortID(id), Endpoint: c.endpoint.raw, Err: errors.New("the answer holds no container")}
	}
	return stateFrom(resp), nil
}

// stateFrom extracts the lifecycle fields of an inspect answer, which may
// lack any of its parts but the embedded base (InspectState checks it).
func stateFrom(resp container.InspectResponse) ContainerState {
	s := ContainerState{ID: resp.ID, Name: strings.TrimPrefix(resp.Name, "/"), RestartCount: resp.RestartCount}
	if resp.Config != nil {
		s.Labels = resp.Config.Labels
	}
	if resp.HostConfig != nil {
		s.MemoryLimitBytes = resp.HostConfig.Memory
	}
	st := resp.State
	if st == nil {
		return s
	}
	s.Status, s.Running, s.OOMKilled, s.ExitCode = string(st.Status), st.Running, st.OOMKilled, st.ExitCode
	s.StartedAt, s.FinishedAt = engineTime(st.StartedAt), engineTime(st.FinishedAt)
	if h := st.Health; h != nil {
		s.Health, s.FailingStreak = string(h.Status), h.FailingStreak
		if n := len(h.Log); n > 0 && h.Log[n-1] != nil {
			s.HealthOutput = h.Log[n-1].Output
		}
	}
	return s
}

// engineTime parses the Engine's RFC 3339 times; Docker's "never" (year
// 1) and anything unparsable are zero.
func engineTime(v string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}
