package lifecycle

import (
	"reflect"
	"testing"
	"time"
	"unsafe"
)

// nonZero is a value of type t other than its zero.
func nonZero(t *testing.T, typ reflect.Type) reflect.Value {
	t.Helper()
	v := reflect.New(typ).Elem()
	switch {
	case typ == reflect.TypeOf(time.Time{}):
		v.Set(reflect.ValueOf(at(1)))
	case typ == reflect.TypeOf([]time.Time{}):
		v.Set(reflect.ValueOf([]time.Time{at(2)}))
	case typ.Kind() == reflect.String:
		v.SetString("x")
	case typ.Kind() == reflect.Int:
		v.SetInt(7)
	case typ.Kind() == reflect.Bool:
		v.SetBool(true)
	default:
		t.Fatalf("no non-zero value for a Mark field of type %v: extend nonZero", typ)
	}
	return v
}

// Every field of Mark, set alone on top of a plain mark, comes back from
// Keep and Marks: a field added to Mark but not to isZero fails here.
func TestKeptRoundTripsEveryField(t *testing.T) {
	base := Mark{ID: "c1", Name: "web", Health: "healthy", RestartCount: 2, Seen: at(3)}
	typ := reflect.TypeOf(base)
	for i := range typ.NumField() {
		f := typ.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			m := base
			field := reflect.ValueOf(&m).Elem().Field(i)
			reflect.NewAt(f.Type, unsafe.Pointer(field.UnsafeAddr())).Elem().Set(nonZero(t, f.Type))
			got := Keep([]Mark{m}).Marks()
			if len(got) != 1 || !reflect.DeepEqual(got[0], m) {
				t.Errorf("Keep(%+v).Marks() = %+v", m, got)
			}
		})
	}
}

func TestKeptHoldsPlainMarksShortAndTheRestWholeFirst(t *testing.T) {
	plain := Mark{ID: "a", Name: "web", Health: "healthy", RestartCount: 1, Seen: at(1)}
	crashed := Mark{ID: "b", Name: "db", LastExit: at(2), LastExitCode: 3, Seen: at(2)}
	plain2 := Mark{ID: "c", RestartCount: -1, Seen: at(3)}
	k := Keep([]Mark{plain, crashed, plain2})
	if len(k.full) != 1 || len(k.plain) != 2 {
		t.Fatalf("kept %d whole and %d short, want 1 and 2", len(k.full), len(k.plain))
	}
	if got, want := k.Marks(), []Mark{crashed, plain, plain2}; !reflect.DeepEqual(got, want) {
		t.Errorf("Marks() = %+v, want %+v", got, want)
	}
	if got := Keep(nil).Marks(); got != nil {
		t.Errorf("Keep(nil).Marks() = %+v, want nil", got)
	}
}

// The short form is what makes Kept worth having: at most a third of a Mark.
func TestPlainMarkIsSmall(t *testing.T) {
	if p, m := unsafe.Sizeof(plainMark{}), unsafe.Sizeof(Mark{}); p*3 > m {
		t.Errorf("plainMark is %d bytes, Mark %d; want the short form a third or less", p, m)
	}
}

// A host's short marks take one allocation of exactly their size: grown by
// append, up to half of each host's slice was unused (about 4 MiB at 1,000
// hosts of 50 containers).
func TestKeepAllocatesTheShortFormsOnce(t *testing.T) {
	marks := make([]Mark, 50)
	for i := range marks {
		marks[i] = Mark{ID: "id", Name: "name", RestartCount: i, Seen: time.Unix(1, 0)}
	}
	var k Kept
	if allocs := testing.AllocsPerRun(10, func() { k = Keep(marks) }); allocs != 1 {
		t.Errorf("Keep of 50 short marks made %v allocations, want 1", allocs)
	}
	if len(k.plain) != 50 || cap(k.plain) != 50 {
		t.Errorf("short forms len %d cap %d, want 50 and 50", len(k.plain), cap(k.plain))
	}
	if k := Keep([]Mark{{ID: "id", OOMKills: 1}}); k.plain != nil {
		t.Errorf("a host with no short mark keeps a short-form slice of cap %d", cap(k.plain))
	}
}
