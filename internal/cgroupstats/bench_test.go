package cgroupstats

import "testing"

// BenchmarkRead measures one Read of a located container over the fixture
// trees: the per-container cost of a cgroup-source poll, file system aside.
func BenchmarkRead(b *testing.B) {
	for _, tt := range []struct {
		name string
		c    Container
	}{{"v1", fixtureV1}, {"v2", fixtureV2}} {
		b.Run(tt.name, func(b *testing.B) {
			root, proc := fixture(b, tt.name)
			r := NewReader(root, proc)
			loc, err := r.Locate(tt.c)
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := r.Read(loc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
