// Package pacing plans how many requests a poll keeps in flight against a
// daemon that answers in waves. Docker Engine 20.10 answers every waiting
// one-shot stats request at its collector's next tick, about once a second,
// so n requests take n/k ticks over k connections: a poll that keeps few in
// flight opens few connections (each a TLS handshake), as long as its waves
// end before its deadline. The plan starts from the expected tick and is
// made again as answers come in, so a daemon slower than expected gets more
// requests in flight instead of containers left unmeasured.
//
// The package is pure: durations and counts in, a count out.
package pacing

import (
	"slices"
	"time"
)

// Plan bounds the requests a poll keeps in flight.
type Plan struct {
	// Floor is the fewest in flight, so a small host is polled in one wave.
	Floor int
	// Ceiling is the most in flight (the connection limit).
	Ceiling int
	// MaxWaves, when positive, is the most waves planned however much
	// room there is: a poll then ends sooner (a manager's worker is free
	// again) at the cost of more requests in flight.
	MaxWaves int
}

// InFlight is how many requests to keep in flight so that left more end
// within room when each wave takes tick: left spread evenly over the whole
// waves room holds (at most MaxWaves), at least Floor and at most Ceiling;
// when room holds not one wave, all of them (up to Ceiling), which is the
// best left to do.
func (p Plan) InFlight(left int, room, tick time.Duration) int {
	if left <= 0 {
		return 0
	}
	waves := 0
	if tick > 0 {
		waves = int(room / tick)
	}
	if p.MaxWaves > 0 {
		waves = min(waves, p.MaxWaves)
	}
	n := left
	if waves > 1 {
		n = (left + waves - 1) / waves
	}
	return min(p.Ceiling, max(p.Floor, n))
}

// Tick is the expected time of one wave, from the latencies of the
// requests answered so far: their upper median, which a few slow or hung
// containers do not move, and at least base (the daemon's nominal tick, or
// what the last poll saw), since the first wave of a poll is answered
// early, at whatever part of a tick was left.
func Tick(latencies []time.Duration, base time.Duration) time.Duration {
	if len(latencies) == 0 {
		return base
	}
	sorted := slices.Clone(latencies)
	slices.Sort(sorted)
	return max(base, sorted[len(sorted)/2])
}
