package main

import (
	"math"
	"os"
	"strings"

	"github.com/KimMachineGun/automemlimit/memlimit"
	units "github.com/docker/go-units"
	"github.com/go-logr/logr"
)

// memoryLimitRatio is the share of the container's memory limit given to
// the Go runtime as its soft limit; the rest is for what the runtime does
// not count (the binary's pages, thread stacks outside the heap).
const memoryLimitRatio = 0.9

// applyMemoryLimit sets the Go runtime's soft memory limit (GOMEMLIMIT) to
// 90% of the memory limit provider reports (the container's cgroup limit in
// production). Left to GOGC alone, the heap grows to about twice what is
// live before each collection: a manager of 1,000 hosts peaks near 400 MiB
// with some 100 MiB live. With the soft limit, the collector runs sooner as
// the limit nears, instead of the kernel OOM-killing the pod.
//
// automemlimit's rules apply: GOMEMLIMIT in the environment wins,
// AUTOMEMLIMIT=off turns this off and AUTOMEMLIMIT=0.8 sets another ratio.
// It returns the limit in force (math.MaxInt64: none).
func applyMemoryLimit(provider memlimit.Provider) (int64, error) {
	return memlimit.Set(memlimit.WithProvider(provider), memlimit.WithRatio(memoryLimitRatio))
}

// memoryLimitMessage says which soft memory limit the manager runs under
// and where it comes from, given applyMemoryLimit's answer and getenv.
func memoryLimitMessage(limit int64, err error, getenv func(string) string) (string, []any) {
	kv := []any{"goMemLimit", "none"}
	if limit != math.MaxInt64 {
		kv[1] = units.BytesSize(float64(limit))
	}
	switch {
	case getenv("GOMEMLIMIT") != "":
		return "Go runtime soft memory limit from GOMEMLIMIT", kv
	case strings.EqualFold(getenv("AUTOMEMLIMIT"), "off"):
		return "Go runtime soft memory limit not taken from the container's (AUTOMEMLIMIT=off)", kv
	case err != nil:
		return "Cannot take the Go runtime's soft memory limit from the container's", append(kv, "error", err.Error())
	case limit == math.MaxInt64:
		return "No container memory limit found; the Go runtime has no soft memory limit", kv
	default:
		return "Go runtime soft memory limit set from the container's memory limit", kv
	}
}

// logMemoryLimit logs memoryLimitMessage.
func logMemoryLimit(log logr.Logger, limit int64, err error) {
	msg, kv := memoryLimitMessage(limit, err, os.Getenv)
	log.Info(msg, kv...)
}
