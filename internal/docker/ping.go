package docker

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/versions"
)

// Ping checks that the daemon answers, that its API is recent enough, and
// identifies it from /version and /info. The first successful ping fixes the
// API version the Client speaks for its lifetime (build a new Client after
// a daemon upgrade to use a newer API).
func (c *Client) Ping(ctx context.Context) (DaemonInfo, error) {
	apiVersion, err := c.negotiate(ctx)
	if err != nil {
		return DaemonInfo{}, err
	}
	var v types.Version
	err = c.call(ctx, "read daemon version", func(ctx context.Context) (err error) {
		v, err = c.docker.ServerVersion(ctx)
		return err
	})
	if err != nil {
		return DaemonInfo{}, err
	}
	var info system.Info
	err = c.call(ctx, "read daemon info", func(ctx context.Context) (err error) {
		info, err = c.docker.Info(ctx)
		return err
	})
	if err != nil {
		return DaemonInfo{}, err
	}
	return c.daemonInfo(v, info, apiVersion), nil
}

// daemonInfoMaxAge is how long Snapshot reuses the daemon's /version and
// /info. They change only when the daemon is upgraded or the host resized,
// so asking on every poll would add two requests to each poll for nothing;
// the container list, a request of its own, still proves the daemon answers.
const daemonInfoMaxAge = 5 * time.Minute

// describedDaemon is the last DaemonInfo Ping returned, and when.
type describedDaemon struct {
	mu   sync.Mutex
	info DaemonInfo
	at   time.Time
}

// currentDaemonInfo returns the daemon's description for a snapshot:
// Ping's answer, asked again once it is older than daemonInfoMaxAge.
func (c *Client) currentDaemonInfo(ctx context.Context) (DaemonInfo, error) {
	c.described.mu.Lock()
	info, at := c.described.info, c.described.at
	c.described.mu.Unlock()
	now := c.memory.now()
	if !at.IsZero() && now.Sub(at) < daemonInfoMaxAge {
		info.TLSPeer = c.guard.peerDescription()
		return info, nil
	}
	info, err := c.Ping(ctx)
	if err != nil {
		return DaemonInfo{}, err
	}
	c.described.mu.Lock()
	c.described.info, c.described.at = info, now
	c.described.mu.Unlock()
	return info, nil
}

// negotiate pings the daemon, refuses APIs older than MinAPIVersion, and
// settles the API version once. Settling only once keeps the Docker
// client's version field from being rewritten while other goroutines'
// requests read it.
func (c *Client) negotiate(ctx context.Context) (string, error) {
	var ping types.Ping
	err := c.call(ctx, "ping daemon", func(ctx context.Context) (err error) {
		ping, err = c.docker.Ping(ctx)
		return err
	})
	if err != nil {
		return "", err
	}
	if ping.APIVersion != "" && versions.LessThan(ping.APIVersion, MinAPIVersion) {
		return "", &OpError{Op: "ping daemon", Endpoint: c.endpoint.raw, Err: fmt.Errorf(
			"%w: the daemon speaks API %s, older than %s (Docker Engine 1.12), the oldest dockwatch supports; upgrade the daemon",
			ErrAPITooOld, ping.APIVersion, MinAPIVersion)}
	}
	c.negotiateMu.Lock()
	defer c.negotiateMu.Unlock()
	if c.apiVersion == "" {
		c.docker.NegotiateAPIVersionPing(ping)
		c.apiVersion = c.docker.ClientVersion()
	}
	return c.apiVersion, nil
}

// daemonInfo assembles what status and the CLI show about the daemon.
func (c *Client) daemonInfo(v types.Version, info system.Info, apiVersion string) DaemonInfo {
	d := DaemonInfo{
		Version:              v.Version,
		APIVersion:           v.APIVersion,
		OS:                   info.OperatingSystem,
		KernelVersion:        info.KernelVersion,
		NCPU:                 info.NCPU,
		MemTotalBytes:        info.MemTotal,
		TLSPeer:              c.guard.peerDescription(),
		OSType:               info.OSType,
		NegotiatedAPIVersion: apiVersion,
	}
	d.Engine, d.EngineVersion = engineOf(v)
	if d.OS == "" {
		d.OS = v.Os
	}
	if d.KernelVersion == "" {
		d.KernelVersion = v.KernelVersion
	}
	if d.OSType == "" {
		d.OSType = v.Os
	}
	return d
}
