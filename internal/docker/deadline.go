package docker

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// minPollReserve is the least time kept after the container deadline for
// the poll's own work (sorting, and the caller's status and alerts).
const minPollReserve = 200 * time.Millisecond

// containerDeadline is when every container's requests must be done in a
// poll whose context ends at pollDeadline: four fifths of the time left
// (keeping at least minPollReserve, or half of a shorter time), so that a
// container whose stats never answer is skipped, and the poll still returns
// before its own deadline with its siblings' figures.
func containerDeadline(now, pollDeadline time.Time) time.Time {
	left := pollDeadline.Sub(now)
	reserve := max(left/5, minPollReserve)
	if reserve >= left {
		reserve = left / 2
	}
	return now.Add(left - reserve)
}

// withContainerDeadline derives the containers' context from the poll's:
// bounded by containerDeadline when the poll has a deadline, otherwise the
// per-call timeout bounds each request as before. share is the time the
// containers got, for messages (0 without a deadline).
func withContainerDeadline(ctx context.Context, now time.Time) (context.Context, context.CancelFunc, time.Duration) {
	pollDeadline, ok := ctx.Deadline()
	if !ok {
		ctx, cancel := context.WithCancel(ctx)
		return ctx, cancel, 0
	}
	d := containerDeadline(now, pollDeadline)
	ctx, cancel := context.WithDeadline(ctx, d)
	return ctx, cancel, d.Sub(now)
}

// explainContainerDeadline says so when a container's own deadline, not
// the poll's, cut its requests.
func explainContainerDeadline(err error, containerCtx, pollCtx context.Context, share time.Duration) error {
	if err == nil || pollCtx.Err() != nil || !errors.Is(containerCtx.Err(), context.DeadlineExceeded) {
		return err
	}
	return fmt.Errorf("no answer within %s, the per-container share of the poll deadline: %w", share.Round(time.Millisecond), err)
}

// unfinished is the result of a container whose turn did not come before
// the container deadline (every concurrent slot was taken by slower ones).
func unfinished(s listed, share time.Duration) sampleResult {
	return sampleResult{
		stats:   s.withoutFigures(),
		sampled: true, done: true,
		err: fmt.Errorf("container %s not sampled within %s, the per-container share of the poll deadline: %w",
			s.Name, share.Round(time.Millisecond), context.DeadlineExceeded),
	}
}
