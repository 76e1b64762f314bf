package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// recorder counts the polls of the measurement window.
type recorder struct {
	mu            sync.Mutex
	on            bool
	polls, failed int
	lags          []time.Duration // poll start - due
}

func (r *recorder) start() { r.mu.Lock(); r.on = true; r.mu.Unlock() }

func (r *recorder) stop() (polls, failed int, lags []time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	return r.polls, r.failed, r.lags
}

func (r *recorder) add(lag time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.on {
		return
	}
	r.polls++
	r.lags = append(r.lags, lag)
	if err != nil {
		r.failed++
	}
}

// cpuTime is this process's user and system time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmHWM is this process's peak RSS in KiB.
func vmHWM() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}
