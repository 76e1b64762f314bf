// Package sharding splits objects between the live replicas of a
// controller: rendezvous (highest random weight) hashing assigns every key
// to exactly one member, moving only the keys of a member that leaves (or,
// to one that joins, about 1/N of them); Membership decides which members
// are live from the leases they renew, against the local clock only.
//
// The package is pure: no Kubernetes client, no goroutines, time comes in
// as arguments, so its decisions are table-tested.
package sharding

import (
	"hash/fnv"
	"slices"
	"time"
)

// Owner returns the member that owns key: the one with the highest
// Score(member, key); "" when there are no members. Every replica that
// sees the same members computes the same owner.
func Owner(members []string, key string) string {
	var (
		best      string
		bestScore uint64
	)
	for _, m := range members {
		s := Score(m, key)
		if best == "" || s > bestScore || (s == bestScore && m < best) {
			best, bestScore = m, s
		}
	}
	return best
}

// Score is member's weight for key: FNV-1a over both, then a 64-bit
// finaliser so that similar names spread evenly.
func Score(member, key string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(member))
	_, _ = h.Write([]byte{0})
	_, _ = h.Write([]byte(key))
	return mix(h.Sum64())
}

// mix is the splitmix64 finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Gained returns the keys that self owns under after but did not own under
// before: the ones a replica must start polling when membership changes.
func Gained(before, after []string, self string, keys []string) []string {
	var out []string
	for _, k := range keys {
		if Owner(after, k) == self && Owner(before, k) != self {
			out = append(out, k)
		}
	}
	return out
}

// Lease is one member's lease as read from the API server.
type Lease struct {
	// Holder is the member's identity.
	Holder string
	// Marker changes whenever the member renews (a resourceVersion).
	Marker string
	// Duration is how long the member stays live after a renewal.
	Duration time.Duration
}

// Membership tracks which members are live. A member is live for its
// lease duration after this process last saw its lease change, measured
// on the local clock, so clock skew between replicas does not matter
// (as in client-go's leader election). A lease seen for the first time
// counts as just renewed: a replica that starts next to a dead member's
// lease waits one lease duration before taking its keys.
type Membership struct {
	seen map[string]observation
}

type observation struct {
	marker   string
	at       time.Time
	duration time.Duration
}

// NewMembership returns a membership that has seen no leases.
func NewMembership() *Membership {
	return &Membership{seen: map[string]observation{}}
}

// Update records the leases listed now; members whose lease is gone (a
// replica that shut down cleanly deletes its own) leave at once.
func (m *Membership) Update(leases []Lease, now time.Time) {
	next := make(map[string]observation, len(leases))
	for _, l := range leases {
		if l.Holder == "" {
			continue
		}
		obs, ok := m.seen[l.Holder]
		if !ok || obs.marker != l.Marker {
			obs = observation{marker: l.Marker, at: now}
		}
		obs.duration = l.Duration
		next[l.Holder] = obs
	}
	m.seen = next
}

// Live returns the live members at now, sorted.
func (m *Membership) Live(now time.Time) []string {
	var out []string
	for holder, obs := range m.seen {
		if now.Before(obs.at.Add(obs.duration)) {
			out = append(out, holder)
		}
	}
	slices.Sort(out)
	return out
}

// Expired returns members whose lease has not changed for longer than
// their duration plus grace: leases of replicas that died without deleting
// them, which a survivor may garbage-collect.
func (m *Membership) Expired(now time.Time, grace time.Duration) []string {
	var out []string
	for holder, obs := range m.seen {
		if !now.Before(obs.at.Add(obs.duration + grace)) {
			out = append(out, holder)
		}
	}
	slices.Sort(out)
	return out
}
