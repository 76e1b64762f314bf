package docker

import (
	"context"
	"fmt"

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
