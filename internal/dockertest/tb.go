package dockertest

import (
	"fmt"
	"io"
	"os"
	"sync"
)

// TB is the part of testing.TB the harness needs. testing.TB satisfies it;
// programs outside tests use Standalone.
type TB interface {
	Helper()
	Cleanup(func())
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

// Standalone adapts TB for programs that are not tests, such as the README
// demo. Cleanups run in reverse order on Close, and Fatalf runs them before
// exiting so a failed demo leaves no daemons behind.
type Standalone struct {
	mu       sync.Mutex
	out      io.Writer
	cleanups []func()
}

// NewStandalone returns a TB that logs to out (os.Stderr when nil).
func NewStandalone(out io.Writer) *Standalone {
	if out == nil {
		out = os.Stderr
	}
	return &Standalone{out: out}
}

// Helper does nothing; there is no call stack to trim outside tests.
func (s *Standalone) Helper() {}

// Cleanup registers f to run on Close, last registered first.
func (s *Standalone) Cleanup(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cleanups = append(s.cleanups, f)
}

// Logf writes one line to the output.
func (s *Standalone) Logf(format string, args ...any) {
	fmt.Fprintf(s.out, format+"\n", args...)
}

// Fatalf logs, runs every cleanup and exits with status 1, as a failed test
// would end, so that the daemons it started do not outlive it.
func (s *Standalone) Fatalf(format string, args ...any) {
	s.Logf(format, args...)
	s.Close()
	os.Exit(1)
}

// Close runs the registered cleanups in reverse order. It is safe to call
// more than once; each cleanup runs once.
func (s *Standalone) Close() {
	for {
		s.mu.Lock()
		n := len(s.cleanups)
		if n == 0 {
			s.mu.Unlock()
			return
		}
		f := s.cleanups[n-1]
		s.cleanups = s.cleanups[:n-1]
		s.mu.Unlock()
		f()
	}
}
