// Package eventbudget is a bounded, fair queue for events on their way to
// an API server that may be slow or away. Each key (a DockerHost) has its
// own lane of at most PerKey items, and all lanes together hold at most
// Total. An item that does not fit is not lost silently: it is counted in
// its key's overflow, by class, and the overflow comes out of the queue as
// one Summary once the key's queued items are out. Lanes are served round
// robin, so one host's burst never delays another host's events for long.
//
// The package knows nothing of Kubernetes: items are opaque values.
package eventbudget

import (
	"context"
	"sync"
)

// Limits bound a queue.
type Limits struct {
	// PerKey is the most items one key may have queued.
	PerKey int
	// Total is the most items all keys together may have queued.
	Total int
}

// Summary is what a key's overflow comes out as: how many items of each
// class did not fit, and the last of them, as a template for the summary
// event (it names the object the items were about).
type Summary[T any] struct {
	Counts map[string]int
	Last   T
}

// Len is the number of items the summary stands for.
func (s Summary[T]) Len() int {
	n := 0
	for _, c := range s.Counts {
		n += c
	}
	return n
}

// Out is one thing to deliver: an item, or (Summary non-nil) a summary.
type Out[K comparable, T any] struct {
	Key     K
	Item    T
	Summary *Summary[T]
}

// Queue is safe for concurrent use.
type Queue[K comparable, T any] struct {
	limits Limits

	mu     sync.Mutex
	lanes  map[K]*lane[T]
	ring   []K // keys with something to hand out, in serving order
	queued int
	wake   chan struct{}
}

type lane[T any] struct {
	items    []T
	overflow *Summary[T]
}

// New returns an empty queue. Limits below 1 are raised to 1.
func New[K comparable, T any](limits Limits) *Queue[K, T] {
	limits.PerKey, limits.Total = max(1, limits.PerKey), max(1, limits.Total)
	return &Queue[K, T]{limits: limits, lanes: map[K]*lane[T]{}, wake: make(chan struct{}, 1)}
}

// Push queues item for key. It reports false when the item did not fit and
// was counted in the key's overflow under class instead.
func (q *Queue[K, T]) Push(key K, item T, class string) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	l, ok := q.lanes[key]
	if !ok {
		l = &lane[T]{}
		q.lanes[key] = l
		q.ring = append(q.ring, key)
	}
	queued := len(l.items) < q.limits.PerKey && q.queued < q.limits.Total
	if queued {
		l.items = append(l.items, item)
		q.queued++
	} else {
		if l.overflow == nil {
			l.overflow = &Summary[T]{Counts: map[string]int{}}
		}
		l.overflow.Counts[class]++
		l.overflow.Last = item
	}
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return queued
}

// TryNext hands out the next item (or summary) round robin over keys,
// without waiting; ok is false when the queue is empty.
func (q *Queue[K, T]) TryNext() (out Out[K, T], ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.ring) > 0 {
		key := q.ring[0]
		q.ring = q.ring[1:]
		l := q.lanes[key]
		switch {
		case len(l.items) > 0:
			out = Out[K, T]{Key: key, Item: l.items[0]}
			var zero T
			l.items[0] = zero
			l.items = l.items[1:]
			q.queued--
		case l.overflow != nil:
			out = Out[K, T]{Key: key, Summary: l.overflow}
			l.overflow = nil
		default:
			delete(q.lanes, key)
			continue
		}
		if len(l.items) > 0 || l.overflow != nil {
			q.ring = append(q.ring, key)
		} else {
			delete(q.lanes, key)
		}
		return out, true
	}
	return out, false
}

// Next is TryNext that waits for something to hand out, or for ctx to end.
func (q *Queue[K, T]) Next(ctx context.Context) (Out[K, T], bool) {
	for {
		if out, ok := q.TryNext(); ok {
			return out, true
		}
		select {
		case <-ctx.Done():
			var zero Out[K, T]
			return zero, false
		case <-q.wake:
		}
	}
}

// Len reports how many items are queued and how many more are held as
// overflow counts.
func (q *Queue[K, T]) Len() (queued, overflowed int) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, l := range q.lanes {
		if l.overflow != nil {
			overflowed += l.overflow.Len()
		}
	}
	return q.queued, overflowed
}
