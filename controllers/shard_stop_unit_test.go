package controllers

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
	coordinationv1 "k8s.io/api/coordination/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/cache/informertest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

// listingCache is a cache whose lists come from a client (the informers'
// own behaviour is not under test).
type listingCache struct {
	*informertest.FakeInformers
	reader client.Reader
}

func (c listingCache) List(ctx context.Context, list client.ObjectList, opts ...client.ListOption) error {
	return c.reader.List(ctx, list, opts...)
}

// A stopped Shard owns nothing (the controllers, which stop after it, must
// start no poll on a membership it no longer follows) but keeps its Lease
// (the others must take nothing over while its last polls are saved) until
// Release.
func TestAStoppedShardOwnsNothingAndKeepsItsLeaseUntilRelease(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(testScheme).Build()
	clock := clocktesting.NewFakeClock(time.Now())
	shard := NewShard(ShardOptions{Client: c, Cache: listingCache{&informertest.FakeInformers{}, c},
		Namespace: "dockwatch-system", Identity: "m-0", Clock: clock, Log: logr.Discard()}, nil)
	host := client.ObjectKey{Namespace: "ns", Name: "web"}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = shard.Start(ctx) }()

	deadline := time.Now().Add(30 * time.Second)
	for !shard.Owns(host) { // the lone member owns every host once its join grace is over
		if time.Now().After(deadline) {
			t.Fatal("the lone member never came to own the host")
		}
		clock.Step(time.Second)
		time.Sleep(100 * time.Millisecond)
	}
	stop()
	<-done
	if shard.Owns(host) {
		t.Error("a stopped shard still owns a host")
	}
	lease := &coordinationv1.Lease{}
	key := client.ObjectKey{Namespace: "dockwatch-system", Name: "dockwatch-shard-m-0"}
	if err := c.Get(context.Background(), key, lease); err != nil {
		t.Fatalf("the Lease went with Start: %v", err)
	}
	shard.Release()
	if err := c.Get(context.Background(), key, lease); err == nil {
		t.Error("the Lease is still there after Release")
	}
}
