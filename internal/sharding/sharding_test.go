package sharding

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func keys(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("fleet/host-%04d", i)
	}
	return out
}

func owners(members, ks []string) map[string]string {
	out := map[string]string{}
	for _, k := range ks {
		out[k] = Owner(members, k)
	}
	return out
}

func TestOwnerIsStableAndIndependentOfMemberOrder(t *testing.T) {
	ks := keys(1000)
	a := owners([]string{"m-a", "m-b", "m-c"}, ks)
	b := owners([]string{"m-c", "m-a", "m-b"}, ks)
	for _, k := range ks {
		if a[k] != b[k] || a[k] != Owner([]string{"m-a", "m-b", "m-c"}, k) {
			t.Fatalf("%s: owner %q vs %q depends on order or call", k, a[k], b[k])
		}
	}
	if got := Owner(nil, "x"); got != "" {
		t.Errorf("Owner with no members = %q, want empty", got)
	}
	if got := Owner([]string{"only"}, "x"); got != "only" {
		t.Errorf("Owner with one member = %q", got)
	}
}

func TestOwnerSpreadsKeysEvenly(t *testing.T) {
	ks := keys(3000)
	count := map[string]int{}
	for _, o := range owners([]string{"dockwatch-0", "dockwatch-1", "dockwatch-2"}, ks) {
		count[o]++
	}
	for m, n := range count {
		if n < 850 || n > 1150 {
			t.Errorf("%s owns %d of 3000 keys, want about 1000: %v", m, n, count)
		}
	}
}

func TestMembershipChangesMoveOnlyTheKeysTheyMust(t *testing.T) {
	ks := keys(3000)
	three := []string{"a", "b", "c"}
	four := []string{"a", "b", "c", "d"}
	before, after := owners(three, ks), owners(four, ks)
	moved := 0
	for _, k := range ks {
		if before[k] != after[k] {
			moved++
			if after[k] != "d" {
				t.Fatalf("%s moved from %s to %s when d joined; only moves to d are allowed", k, before[k], after[k])
			}
		}
	}
	if moved < 600 || moved > 900 {
		t.Errorf("d joining moved %d of 3000 keys, want about 750", moved)
	}
	// c leaving moves exactly c's keys, and nothing else.
	two := owners([]string{"a", "b"}, ks)
	for _, k := range ks {
		if before[k] != "c" && two[k] != before[k] {
			t.Fatalf("%s moved from %s to %s when c left", k, before[k], two[k])
		}
	}
}

func TestGainedListsOnlyNewlyOwnedKeys(t *testing.T) {
	ks := keys(500)
	before, after := []string{"a", "b", "c"}, []string{"a", "b"}
	gained := Gained(before, after, "a", ks)
	for _, k := range gained {
		if Owner(before, k) != "c" || Owner(after, k) != "a" {
			t.Fatalf("%s reported gained by a, but moved %s -> %s", k, Owner(before, k), Owner(after, k))
		}
	}
	want := 0
	for _, k := range ks {
		if Owner(before, k) == "c" && Owner(after, k) == "a" {
			want++
		}
	}
	if len(gained) != want || want == 0 {
		t.Errorf("gained %d keys, want %d (>0)", len(gained), want)
	}
	if g := Gained(after, after, "a", ks); len(g) != 0 {
		t.Errorf("no change gained %d keys", len(g))
	}
	// Starting from no members, a replica gains everything it owns.
	if g := Gained(nil, []string{"a"}, "a", ks); len(g) != len(ks) {
		t.Errorf("first membership gained %d keys, want all %d", len(g), len(ks))
	}
}

func TestMembershipFollowsRenewalsOnTheLocalClock(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	d := 15 * time.Second
	lease := func(holder, marker string) Lease { return Lease{Holder: holder, Marker: marker, Duration: d} }
	steps := []struct {
		name   string
		at     time.Duration
		leases []Lease
		live   []string
	}{
		{"first sight counts as renewed", 0, []Lease{lease("a", "1"), lease("b", "7")}, []string{"a", "b"}},
		{"both still live before expiry", 14 * time.Second, []Lease{lease("a", "2"), lease("b", "7")}, []string{"a", "b"}},
		{"b stopped renewing: gone after its duration", 15 * time.Second, []Lease{lease("a", "2"), lease("b", "7")}, []string{"a"}},
		{"b renews again: back at once", 16 * time.Second, []Lease{lease("a", "3"), lease("b", "8")}, []string{"a", "b"}},
		{"a deletes its lease on shutdown: gone at once", 17 * time.Second, []Lease{lease("b", "8")}, []string{"b"}},
		{"a lease without holder is ignored", 18 * time.Second, []Lease{lease("b", "8"), lease("", "1")}, []string{"b"}},
	}
	m := NewMembership()
	for _, s := range steps {
		now := t0.Add(s.at)
		m.Update(s.leases, now)
		if got := m.Live(now); !slices.Equal(got, s.live) {
			t.Errorf("%s: live %v, want %v", s.name, got, s.live)
		}
	}
}

func TestExpiredNamesLeasesLeftByDeadMembers(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewMembership()
	m.Update([]Lease{{Holder: "dead", Marker: "1", Duration: 15 * time.Second}, {Holder: "alive", Marker: "1", Duration: 15 * time.Second}}, t0)
	later := t0.Add(time.Minute)
	m.Update([]Lease{{Holder: "dead", Marker: "1", Duration: 15 * time.Second}, {Holder: "alive", Marker: "2", Duration: 15 * time.Second}}, later)
	if got := m.Expired(later, 30*time.Second); !slices.Equal(got, []string{"dead"}) {
		t.Errorf("expired %v, want [dead]", got)
	}
	if got := m.Expired(t0.Add(40*time.Second), 30*time.Second); len(got) != 0 {
		t.Errorf("expired %v within the grace, want none", got)
	}
}
