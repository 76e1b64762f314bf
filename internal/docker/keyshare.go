package docker

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"time"
)

// keyShareTTL is how long a client offers only the key exchange group an
// authenticated daemon chose before it offers Go's full list again, so a
// daemon upgraded to a post-quantum group is offered it within the hour.
const keyShareTTL = time.Hour

// keyShare remembers the key exchange group the daemon chose in its last
// verified handshake. Go's TLS client offers the hybrid X25519MLKEM768
// group first and computes its key share for every connection, resumed
// ones too; Engine 20.10 knows no such group and picks X25519, so the
// share is wasted work (two thirds of the manager's handshake CPU at
// 1,000 hosts). Offering only what the daemon chose is no downgrade: that
// choice was made from Go's full list in a handshake whose transcript the
// daemon's verified certificate signed, so no one on the path changed it.
// An unverified handshake (insecureSkipVerify) teaches nothing.
type keyShare struct {
	mu      sync.Mutex
	group   tls.CurveID
	learned time.Time
}

// preferences is the CurvePreferences for a new connection at now: nil
// (Go's defaults) until a group is learned and after it expires.
func (k *keyShare) preferences(now time.Time) []tls.CurveID {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.group == 0 || now.Sub(k.learned) >= keyShareTTL {
		return nil
	}
	return []tls.CurveID{k.group}
}

// observe learns from a completed handshake at now. It keeps the time of
// the first handshake that taught the current group, so the group expires
// keyShareTTL after it was learned from Go's full list, not after it was
// last confirmed from the pinned one.
func (k *keyShare) observe(state tls.ConnectionState, now time.Time) {
	if len(state.VerifiedChains) == 0 || state.CurveID == 0 {
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.group == state.CurveID && now.Sub(k.learned) < keyShareTTL {
		return
	}
	k.group, k.learned = state.CurveID, now
}

// tlsDialer dials TCP and does the handshake itself, so each connection
// offers the group learned so far (see keyShare). It does what
// http.Transport would do with TLSClientConfig: the server name defaults
// to the address's host, and the handshake has its own deadline.
type tlsDialer struct {
	dialer  *net.Dialer
	config  *tls.Config
	timeout time.Duration
	share   keyShare

	mu     sync.Mutex
	cached dialConfig // the last handshake's configuration
}

// dialConfig is a handshake configuration and what it was made for.
type dialConfig struct {
	addr  string
	group tls.CurveID // 0: Go's defaults
	cfg   *tls.Config
}

func (d *tlsDialer) DialTLSContext(ctx context.Context, network, addr string) (net.Conn, error) {
	raw, err := d.dialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	cfg := d.configFor(addr, time.Now())
	conn := tls.Client(raw, cfg)
	hsCtx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	if err := conn.HandshakeContext(hsCtx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	d.share.observe(conn.ConnectionState(), time.Now())
	return conn, nil
}

// configFor is the configuration of a handshake with addr at now: the
// dialer's, with the server name and the key share to offer. Connections
// share it until the offer changes (crypto/tls never modifies a Config):
// a copy per connection was ~1 KiB more garbage per dial, held as long as
// the connection, at hundreds of dials a second.
func (d *tlsDialer) configFor(addr string, now time.Time) *tls.Config {
	prefs := d.share.preferences(now)
	var group tls.CurveID
	if len(prefs) == 1 {
		group = prefs[0]
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.cached; c.cfg != nil && c.addr == addr && c.group == group {
		return c.cfg
	}
	cfg := d.config.Clone() // keeps the shared session cache
	if cfg.ServerName == "" {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg.ServerName = host
		}
	}
	cfg.CurvePreferences = prefs
	d.cached = dialConfig{addr: addr, group: group, cfg: cfg}
	return cfg
}
