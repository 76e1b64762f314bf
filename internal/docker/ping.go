package docker

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/versions"
)

// Ping checks that the daemon answers, that its API is recent enough, and
// identifies it from /version and /info. The first successful ping fixes the
// API version the Client speaks until the daemon's drops below it (a
// rollback, or a name now pointing at an older engine), when it is
// negotiated again; build a new Client after an upgrade to use a newer API.
func (c *Client) Ping(ctx context.Context) (DaemonInfo, error) {
	apiVersion, err := c.negotiate(ctx)
	if err != nil {
		return DaemonInfo{}, err
	}
	var v types.Version
	err = c.call(ctx, "read daemon version", func(ctx context.Context) (err error) {
		v, err = c.api().ServerVersion(ctx)
		return err
	})
	if err != nil {
		return DaemonInfo{}, err
	}
	if c.downgraded(v.APIVersion) {
		if apiVersion, err = c.renegotiate(types.Ping{APIVersion: v.APIVersion}); err != nil {
			return DaemonInfo{}, err
		}
	}
	var info system.Info
	err = c.call(ctx, "read daemon info", func(ctx context.Context) (err error) {
		info, err = c.api().Info(ctx)
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
// settles the API version: once, or again when the daemon's dropped below
// it. A new version means a new Docker library client (renegotiate), so the
// version field of the one other goroutines use is never rewritten.
func (c *Client) negotiate(ctx context.Context) (string, error) {
	var ping types.Ping
	err := c.call(ctx, "ping daemon", func(ctx context.Context) (err error) {
		ping, err = c.api().Ping(ctx)
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
	settled := c.apiVersion
	c.negotiateMu.Unlock()
	if settled != "" && !c.downgraded(ping.APIVersion) {
		return settled, nil
	}
	return c.renegotiate(ping)
}

// downgraded reports a daemon API version below the one negotiated.
func (c *Client) downgraded(daemonAPI string) bool {
	if c.pinned != "" || daemonAPI == "" {
		return false
	}
	c.negotiateMu.Lock()
	defer c.negotiateMu.Unlock()
	return c.apiVersion != "" && versions.LessThan(daemonAPI, c.apiVersion)
}

// renegotiate settles the API version from ping on a fresh Docker library
// client and makes it the current one. The first negotiation reuses the
// client New built.
func (c *Client) renegotiate(ping types.Ping) (string, error) {
	c.negotiateMu.Lock()
	defer c.negotiateMu.Unlock()
	next := c.api()
	if c.apiVersion != "" || c.renegotiated {
		fresh, err := c.newDockerClient()
		if err != nil {
			return "", err
		}
		next = fresh
	}
	next.NegotiateAPIVersionPing(ping)
	c.docker.Store(next)
	c.apiVersion, c.renegotiated = next.ClientVersion(), true
	return c.apiVersion, nil
}

// forgetNegotiation makes the next snapshot ping, identify the daemon and
// negotiate afresh, after a call was refused as too new for the daemon.
func (c *Client) forgetNegotiation() {
	c.negotiateMu.Lock()
	c.apiVersion = ""
	c.negotiateMu.Unlock()
	c.described.mu.Lock()
	c.described.at = time.Time{}
	c.described.mu.Unlock()
}

// isTooNew recognises the daemon's refusal of our API version, "client
// version 1.45 is too new. Maximum supported API version is 1.41".
func isTooNew(err error) bool {
	return err != nil && strings.Contains(err.Error(), "is too new")
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
