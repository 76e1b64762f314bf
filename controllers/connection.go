package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"sync"

	"sigs.k8s.io/controller-runtime/pkg/client"

	dockwatchv1 "github.com/dockwatch/dockwatch/api/v1alpha1"
	"github.com/dockwatch/dockwatch/internal/docker"
)

// HostClient is the part of a Docker connection the reconciler uses. The
// real one is *docker.Client; tests may dial fakes.
type HostClient interface {
	Snapshot(ctx context.Context, sel docker.Selection) (*docker.Snapshot, error)
	Close() error
}

// Dialer builds a HostClient without touching the network.
type Dialer func(cfg docker.Config) (HostClient, error)

// DialDocker is the production Dialer: samples come from the daemon's stats endpoint.
func DialDocker(cfg docker.Config) (HostClient, error) {
	return docker.New(cfg)
}

// DialFromCgroups is the node agent's fast-path Dialer: it lists containers
// through the daemon but reads their counters from the host's cgroup and
// proc filesystems, mounted at cgroupRoot and procRoot ("" for the defaults).
func DialFromCgroups(cgroupRoot, procRoot string) Dialer {
	return func(cfg docker.Config) (HostClient, error) {
		cfg.StatsSource, cfg.CgroupRoot, cfg.ProcRoot = docker.StatsSourceCgroup, cgroupRoot, procRoot
		return docker.New(cfg)
	}
}

// ConnectionCache keeps one Docker client per DockerHost, so the stats
// engine's per-container memory (previous CPU samples, CPU limits) carries
// over between polls. A client is rebuilt when anything it was built from
// changes: the endpoint, TLS settings or the Secret's resourceVersion.
type ConnectionCache struct {
	dial Dialer

	mu      sync.Mutex
	clients map[client.ObjectKey]cachedClient
}

type cachedClient struct {
	fingerprint string
	client      HostClient
}

// NewConnectionCache returns an empty cache that builds clients with dial.
func NewConnectionCache(dial Dialer) *ConnectionCache {
	if dial == nil {
		dial = DialDocker
	}
	return &ConnectionCache{dial: dial, clients: map[client.ObjectKey]cachedClient{}}
}

// Lookup returns the client for key if it was built from fingerprint.
func (c *ConnectionCache) Lookup(key client.ObjectKey, fingerprint string) HostClient {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cached, ok := c.clients[key]; ok && cached.fingerprint == fingerprint {
		return cached.client
	}
	return nil
}

// Known reports whether a client was ever built for key (and not forgotten).
func (c *ConnectionCache) Known(key client.ObjectKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.clients[key]
	return ok
}

// Connect builds a client for key from cfg, replacing (and closing) any
// client built from an older fingerprint.
func (c *ConnectionCache) Connect(key client.ObjectKey, fingerprint string, cfg docker.Config) (HostClient, error) {
	fresh, err := c.dial(cfg)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	old, hadOld := c.clients[key]
	c.clients[key] = cachedClient{fingerprint: fingerprint, client: fresh}
	c.mu.Unlock()
	if hadOld {
		_ = old.client.Close()
	}
	return fresh, nil
}

// Forget closes and drops the client of a deleted host.
func (c *ConnectionCache) Forget(key client.ObjectKey) {
	c.mu.Lock()
	old, ok := c.clients[key]
	delete(c.clients, key)
	c.mu.Unlock()
	if ok {
		_ = old.client.Close()
	}
}

// Len reports how many clients are cached.
func (c *ConnectionCache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.clients)
}

// connectionFingerprint identifies everything a client is built from, so a
// changed endpoint, TLS option, API pin or rotated Secret yields a new
// client, and so does a host deleted and created again under the same name.
func connectionFingerprint(host *dockwatchv1.DockerHost, secretVersion string) string {
	parts := struct {
		UID, Endpoint, APIVersion, SecretVersion, Timeout string
		TLS                                               *dockwatchv1.TLSConfig
	}{string(host.UID), host.Spec.Endpoint, host.Spec.APIVersion, secretVersion, pollTimeout(host).String(), host.Spec.TLS}
	raw, _ := json.Marshal(parts) // cannot fail: plain strings and bools
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}
