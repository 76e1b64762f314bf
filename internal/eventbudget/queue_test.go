package eventbudget

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// drain takes everything out of q and tallies it.
func drain(q *Queue[string, int]) (items map[string][]int, summarised map[string]map[string]int, order []string) {
	items, summarised = map[string][]int{}, map[string]map[string]int{}
	for {
		out, ok := q.TryNext()
		if !ok {
			return items, summarised, order
		}
		order = append(order, out.Key)
		if out.Summary != nil {
			if summarised[out.Key] == nil {
				summarised[out.Key] = map[string]int{}
			}
			for class, n := range out.Summary.Counts {
				summarised[out.Key][class] += n
			}
			continue
		}
		items[out.Key] = append(items[out.Key], out.Item)
	}
}

func TestBurstIsEveryItemQueuedOrCounted(t *testing.T) {
	q := New[string, int](Limits{PerKey: 100, Total: 1000})
	pushed := map[string]int{}
	for i := range 3000 {
		class := []string{"fired", "resolved"}[i%2]
		q.Push("big-host", i, class)
		pushed[class]++
	}
	if queued, over := q.Len(); queued != 100 || over != 2900 {
		t.Fatalf("Len = %d queued, %d overflowed; want 100 and 2900", queued, over)
	}
	items, summarised, _ := drain(q)
	if len(items["big-host"]) != 100 || items["big-host"][0] != 0 || items["big-host"][99] != 99 {
		t.Fatalf("want the first 100 items in order, got %d", len(items["big-host"]))
	}
	for class, n := range pushed {
		inItems := 0
		for _, i := range items["big-host"] {
			if []string{"fired", "resolved"}[i%2] == class {
				inItems++
			}
		}
		if inItems+summarised["big-host"][class] != n {
			t.Errorf("class %s: %d delivered + %d summarised, want %d pushed", class, inItems, summarised["big-host"][class], n)
		}
	}
	if queued, over := q.Len(); queued != 0 || over != 0 {
		t.Fatalf("drained queue still holds %d/%d", queued, over)
	}
}

func TestSummaryComesAfterTheKeysQueuedItemsWithTheLastOverflowed(t *testing.T) {
	q := New[string, int](Limits{PerKey: 2, Total: 10})
	for i := range 5 {
		q.Push("h", i, "c")
	}
	var got []string
	for {
		out, ok := q.TryNext()
		if !ok {
			break
		}
		if out.Summary != nil {
			got = append(got, fmt.Sprintf("summary %d last %d", out.Summary.Len(), out.Summary.Last))
		} else {
			got = append(got, fmt.Sprint(out.Item))
		}
	}
	if fmt.Sprint(got) != "[0 1 summary 3 last 4]" {
		t.Fatalf("got %v", got)
	}
}

func TestTotalLimitIsSharedAndLanesAreServedRoundRobin(t *testing.T) {
	q := New[string, int](Limits{PerKey: 10, Total: 4})
	for i := range 3 {
		q.Push("a", i, "c")
	}
	if !q.Push("b", 0, "c") || q.Push("b", 1, "c") {
		t.Fatal("want b's first item to fit the total and its second to overflow")
	}
	_, summarised, order := drain(q)
	if fmt.Sprint(order) != "[a b a b a]" {
		t.Errorf("serving order %v, want lanes interleaved", order)
	}
	if summarised["b"]["c"] != 1 || len(summarised["a"]) != 0 {
		t.Errorf("summaries %v, want only b's one overflowed item", summarised)
	}
}

func TestRoomFreedByDeliveryTakesNewItemsAgain(t *testing.T) {
	q := New[string, int](Limits{PerKey: 1, Total: 1})
	q.Push("h", 1, "c")
	q.Push("h", 2, "c") // overflow
	if out, _ := q.TryNext(); out.Item != 1 {
		t.Fatalf("want item 1 first, got %+v", out)
	}
	if !q.Push("h", 3, "c") {
		t.Fatal("room was freed, yet the next item overflowed")
	}
	items, summarised, _ := drain(q)
	if fmt.Sprint(items["h"]) != "[3]" || summarised["h"]["c"] != 1 {
		t.Fatalf("items %v summaries %v", items, summarised)
	}
}

func TestNextWaitsForAPushOrTheContext(t *testing.T) {
	q := New[string, int](Limits{PerKey: 1, Total: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() {
		time.Sleep(20 * time.Millisecond)
		q.Push("h", 7, "c")
	}()
	if out, ok := q.Next(ctx); !ok || out.Item != 7 {
		t.Fatalf("Next = %+v, %v; want the pushed item", out, ok)
	}
	short, cancelShort := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancelShort()
	if _, ok := q.Next(short); ok {
		t.Fatal("Next on an empty queue returned before its context ended")
	}
}
