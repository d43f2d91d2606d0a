package diff

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// TestTasksGoldenJSON: the JSON of a state is byte for byte what the map-based state
// wrote (testdata/tasks_golden.json was made by json.Marshal of a map[string]TaskState),
// with every kind of id, escaping and omitted field; a nil and an empty set too.
func TestTasksGoldenJSON(t *testing.T) {
	for _, tt := range []struct {
		file string
		st   *ProjectState
	}{
		{"tasks_golden.json", &ProjectState{Horizon: 42, Tasks: TasksOf(goldenTasks), Durations: map[string][]int64{"EXTEND": {1, 2}}, LastOK: 5}},
		{"empty_golden.json", &ProjectState{Tasks: TasksOf(map[string]TaskState{})}},
		{"empty_golden.json", &ProjectState{Tasks: &Tasks{}}},
		{"nil_golden.json", &ProjectState{}},
	} {
		want, err := os.ReadFile("testdata/" + tt.file)
		if err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(tt.st)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", tt.file, got, want)
		}
	}
}

// TestTasksReadLikeTheMap: a state file written by the map-based code reads back to the
// same tasks as a map reads it (ids, case and all), and writes the same bytes again.
func TestTasksReadLikeTheMap(t *testing.T) {
	golden, err := os.ReadFile("testdata/tasks_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var st ProjectState
	if err := json.Unmarshal(golden, &st); err != nil {
		t.Fatal(err)
	}
	var old struct {
		Tasks map[string]TaskState `json:"tasks"`
	}
	if err := json.Unmarshal(golden, &old); err != nil {
		t.Fatal(err)
	}
	if got := st.Tasks.Map(); !maps.Equal(got, old.Tasks) {
		t.Fatalf("read\n%v\nthe map reads\n%v", got, old.Tasks)
	}
	again, _ := json.Marshal(st.Tasks)
	want, _ := json.Marshal(old.Tasks)
	if !bytes.Equal(again, want) {
		t.Fatalf("written again:\n%s\nthe map writes\n%s", again, want)
	}
	for _, s := range []string{`{"tasks":null}`, `{}`} {
		var st ProjectState
		if err := json.Unmarshal([]byte(s), &st); err != nil || st.Tasks != nil {
			t.Errorf("%s: %v, tasks %v: a state without a task map must read as one without", s, err, st.Tasks)
		}
	}
}

// mapTasks is a map[string]TaskState that encodes as the old state did (for comparisons).
type mapTasks map[string]TaskState

// TestTasksRoundTrip: every id comes back exactly (case, dashes, odd bytes), with its task.
func TestTasksRoundTrip(t *testing.T) {
	m := maps.Clone(goldenTasks)
	delete(m, "bad\xffutf8") // JSON itself cannot carry invalid UTF-8: the map lost it too
	ts := TasksOf(m)
	if ts.Len() != len(m) {
		t.Fatalf("len %d, want %d", ts.Len(), len(m))
	}
	for id, want := range m {
		if got, ok := ts.Get(id); !ok || got != want {
			t.Errorf("Get(%q) = %+v, %v; want %+v", id, got, ok, want)
		}
	}
	for _, id := range []string{"C8D3A1F0-5B2E-4C1A-9F3E-0A1B2C3D4E5f", "c8d3a1f0-5b2e-4c1a-9f3e-0a1b2c3d4e50", "t2", "c8d3a1f05b2e4c1a9f3e0a1b2c3d4e5e"} {
		if _, ok := ts.Get(id); ok {
			t.Errorf("Get(%q) found a task that is not there", id)
		}
	}
	ids := slices.Collect(maps.Keys(ts.Map()))
	if got, want := idsOf(ts), slices.Sorted(slices.Values(ids)); !slices.Equal(got, want) {
		t.Errorf("All is not in id order:\n%q\n%q", got, want)
	}
	b, err := json.Marshal(ts)
	if err != nil {
		t.Fatal(err)
	}
	var back Tasks
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(back.Map(), m) {
		t.Errorf("round trip:\n%v\n%v", back.Map(), m)
	}
	if !reflect.DeepEqual(&back, ts) {
		t.Error("a round trip does not give the same value")
	}
}

func idsOf(ts *Tasks) []string {
	var out []string
	for id := range ts.All() {
		out = append(out, id)
	}
	return out
}

// TestTasksLongAndManyStrings: statuses and names past the shared table's bounds (too
// long, or too many distinct ones) are kept by the state itself, exactly.
func TestTasksLongAndManyStrings(t *testing.T) {
	m := map[string]TaskState{}
	for i := range maxSymbols + 50 {
		m[fmt.Sprintf("id-%d", i)] = TaskState{Status: fmt.Sprintf("S%d", i), Name: strings.Repeat("n", i%300), Created: int64(i)}
	}
	ts := TasksOf(m)
	if !maps.Equal(ts.Map(), m) {
		t.Fatal("strings past the table's bounds are not kept")
	}
	if n := len(*symbols.list.Load()); n > maxSymbols {
		t.Fatalf("the shared table grew to %d entries", n)
	}
	if len(ts.strs) == 0 {
		t.Fatal("no string was kept by the state: the test did not reach the bounds")
	}
	b, _ := json.Marshal(ts)
	want, _ := json.Marshal(mapTasks(m))
	if !bytes.Equal(b, want) {
		t.Fatal("the JSON differs from the map's")
	}
	// A state built from this one by the diff keeps them, and drops the strings of the
	// tasks it forgets.
	bd := newBuilder(ts)
	for i := range 10 {
		bd.del(fmt.Sprintf("id-%d", maxSymbols+i))
		delete(m, fmt.Sprintf("id-%d", maxSymbols+i))
	}
	next := bd.done()
	if !maps.Equal(next.Map(), m) || !maps.Equal(ts.Map(), TasksOf(ts.Map()).Map()) {
		t.Fatal("a change lost or kept the wrong strings, or changed the previous tasks")
	}
	if len(next.strs) >= len(ts.strs) {
		t.Errorf("forgotten tasks' strings are kept: %d, were %d", len(next.strs), len(ts.strs))
	}
}

// TestTasksBuilderIsAMap: random sets and deletes through the builder, over a previous
// state, give what the same operations give on a map, and never change the previous state.
func TestTasksBuilderIsAMap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ids := []string{"", "a", "B", "t1", "zz", "c8d3a1f05b2e4c1a9f3e0a1b2c3d4e5f", "C8D3A1F05B2E4C1A9F3E0A1B2C3D4E5F"}
	for range 40 {
		ids = append(ids, randomUUID(r))
		b := []byte(randomUUID(r))
		ids = append(ids, string(slices.Delete(b, 8, 9))) // 35 characters: not a UUID
	}
	for i := range 40 {
		ids = append(ids, fmt.Sprintf("%032x", r.Uint64()>>uint(i)))
	}
	statuses := []string{"RUNNING", "SUCCESS", "FAILED", "", strings.Repeat("x", maxSymbolSz+1)}
	model := map[string]TaskState{}
	prev := TasksOf(model)
	for round := range 200 {
		before := prev.Map()
		bd := newBuilder(prev)
		for range r.IntN(30) {
			id := ids[r.IntN(len(ids))]
			switch r.IntN(4) {
			case 0:
				bd.del(id)
				delete(model, id)
			case 1:
				if i, ok := prev.find(id); ok && round%2 == 0 { // as the diff does: by index
					bd.delAt(i)
					delete(model, id)
					continue
				}
				fallthrough
			default:
				st := TaskState{Status: statuses[r.IntN(len(statuses))], Created: r.Int64(), Seq: r.Uint32(),
					Missing: r.Int64N(3), Name: statuses[r.IntN(len(statuses))], Stuck: r.IntN(2) == 0}
				if i, ok := prev.find(id); ok && r.IntN(2) == 0 {
					bd.setAt(i, st)
				} else {
					bd.set(id, st)
				}
				model[id] = st
			}
		}
		next := bd.done()
		if !maps.Equal(prev.Map(), before) {
			t.Fatalf("round %d: the previous tasks changed", round)
		}
		if !maps.Equal(next.Map(), model) {
			t.Fatalf("round %d:\n%v\nwant\n%v", round, next.Map(), model)
		}
		if got, want := idsOf(next), slices.Sorted(maps.Keys(model)); !slices.Equal(got, want) {
			t.Fatalf("round %d: not sorted:\n%q\n%q", round, got, want)
		}
		for id, want := range model {
			if got, ok := next.Get(id); !ok || got != want {
				t.Fatalf("round %d: Get(%q) = %+v, %v", round, id, got, ok)
			}
		}
		got, _ := json.Marshal(next)
		want, _ := json.Marshal(mapTasks(model))
		if !bytes.Equal(got, want) {
			t.Fatalf("round %d: JSON\n%s\nwant\n%s", round, got, want)
		}
		prev = next
	}
}

func randomUUID(r *rand.Rand) string {
	h := fmt.Sprintf("%016x%016x", r.Uint64(), r.Uint64())
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// FuzzTasksJSON: whatever JSON a state file holds, the tasks read it as a map[string]TaskState
// reads it (or refuse it when the map does), and write what the map writes.
func FuzzTasksJSON(f *testing.F) {
	golden, _ := os.ReadFile("testdata/tasks_golden.json")
	var st struct {
		Tasks json.RawMessage `json:"tasks"`
	}
	_ = json.Unmarshal(golden, &st)
	f.Add([]byte(st.Tasks))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"a":null,"A":{"S":"x","C":1.0}}`))
	f.Add([]byte(`{"a":{"s":"x"},"a":{"c":2}}`))
	f.Add([]byte(`{"c8d3a1f0-5b2e-4c1a-9f3e-0a1b2c3d4e5f":{"s":"SUCCESS","c":1,"q":-1}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m map[string]TaskState
		merr := json.Unmarshal(b, &m)
		var ts *Tasks
		terr := json.Unmarshal(b, &ts)
		if (merr == nil) != (terr == nil) {
			t.Fatalf("the map: %v; the tasks: %v", merr, terr)
		}
		if merr != nil {
			return
		}
		if (m == nil) != (ts == nil) {
			t.Fatalf("null: map %v, tasks %v", m == nil, ts == nil)
		}
		if !maps.Equal(ts.Map(), m) {
			t.Fatalf("read\n%v\nthe map reads\n%v", ts.Map(), m)
		}
		got, err := json.Marshal(ts)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(m)
		if !bytes.Equal(got, want) {
			t.Fatalf("wrote\n%s\nthe map writes\n%s", got, want)
		}
	})
}

// TestTaskRecordIsSmallAndFlat: a task costs 40 bytes and holds no pointer (so a state's
// records are not scanned by the garbage collector).
func TestTaskRecordIsSmallAndFlat(t *testing.T) {
	if n := unsafe.Sizeof(rec{}); n != 40 {
		t.Errorf("a task record is %d bytes, want 40", n)
	}
	typ := reflect.TypeFor[rec]()
	for i := range typ.NumField() {
		switch typ.Field(i).Type.Kind() {
		case reflect.Array, reflect.Int64, reflect.Uint32, reflect.Uint16:
		default:
			t.Errorf("field %s is a %s", typ.Field(i).Name, typ.Field(i).Type)
		}
	}
}

// TestTasksSharedTableConcurrently: states built at once by many pollers share the table
// of statuses and names safely (run with -race).
func TestTasksSharedTableConcurrently(t *testing.T) {
	done := make(chan *Tasks)
	for g := range 8 {
		go func() {
			m := map[string]TaskState{}
			for i := range 50 {
				m[fmt.Sprint(i)] = TaskState{Status: fmt.Sprintf("C%d-%d", g, i%5), Name: fmt.Sprintf("N%d", i%7)}
			}
			ts := TasksOf(m)
			if !maps.Equal(ts.Map(), m) {
				t.Error("a state built concurrently lost its strings")
			}
			done <- ts
		}()
	}
	for range 8 {
		<-done
	}
}
